// Every error Postroom reports on purpose carries one of the stable codes listed here, with its
// meaning, its HTTP status and the CLI's exit code: the one table both interfaces read.

/**
 * The codes, each with a one-line meaning. A code is part of the API (the JSON `error` field):
 * never rename one; add a new one instead.
 */
export const ERROR_CODES = {
  invalid_request: { status: 400, exit: 1, meaning: 'the input was refused (the fields say which and why); nothing was stored' },
  usage: { status: 400, exit: 2, meaning: 'the command line was not understood' },
  unauthorized: { status: 401, exit: 1, meaning: 'no valid session or bearer token' },
  forbidden: { status: 403, exit: 1, meaning: 'the caller may not do this (an API token on an administrator route, or another token\'s e-mail)' },
  csrf: { status: 403, exit: 1, meaning: 'a session request without the matching CSRF token' },
  origin: { status: 403, exit: 1, meaning: 'a session request from a foreign or missing Origin' },
  setup_refused: { status: 403, exit: 1, meaning: 'the one-time setup token is wrong, used or expired' },
  not_found: { status: 404, exit: 1, meaning: 'no such e-mail, token, preset or route' },
  conflict: { status: 409, exit: 1, meaning: 'the e-mail\'s status does not allow this action' },
  postmaster_conflict: { status: 409, exit: 1, meaning: 'the postmaster and a user would share an address' },
  graph_settings_missing: { status: 409, exit: 1, meaning: 'Outlook (New) drafts need the Microsoft Graph settings named in the fields' },
  webhook_limit: { status: 409, exit: 1, meaning: 'the token has as many webhooks as one may have (10): remove one first' },
  no_sender: { status: 409, exit: 1, meaning: 'the sender policy finds no sender (no user and no postmaster)' },
  request_timeout: { status: 408, exit: 1, meaning: 'the request did not arrive in full within the time allowed (POSTROOM_REQUEST_TIMEOUT_SECONDS)' },
  body_too_large: { status: 413, exit: 1, meaning: 'the request body is over the route\'s limit' },
  unsupported_media_type: { status: 415, exit: 1, meaning: 'the request body is not JSON' },
  headers_too_large: { status: 431, exit: 1, meaning: 'the request headers are larger than the server reads' },
  too_many_attempts: { status: 429, exit: 1, meaning: 'too many failed sign-ins from this client; wait for Retry-After' },
  rate_limited: { status: 429, exit: 1, meaning: "over the token's hand-over rate or concurrency limit; wait for Retry-After" },
  internal: { status: 500, exit: 1, meaning: 'an unexpected failure; the server log has the details' },
  master_key: { status: 500, exit: 1, meaning: 'the master key is missing, malformed or not the one the secrets were sealed with' },
  config: { status: 500, exit: 1, meaning: 'an environment variable has a value Postroom cannot use' },
  upstream: { status: 502, exit: 1, meaning: 'the mail service (SMTP server, Microsoft identity platform or Graph) refused or failed' },
  overloaded: { status: 503, exit: 1, meaning: 'the server is receiving as many hand-over bytes as it may hold at once; nothing was stored: try again after Retry-After' },
  database_unavailable: { status: 503, exit: 1, meaning: 'the database cannot be reached or keeps failing; nothing was stored: try again after Retry-After' },
  storage_full: { status: 507, exit: 1, meaning: 'the database (or its disk) is full; nothing was stored: try again after Retry-After, once an administrator freed space' },
} as const satisfies Record<string, { status: number; exit: number; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const httpStatusOf = (code: ErrorCode): number => ERROR_CODES[code].status;
export const exitCodeOf = (code: ErrorCode): number => ERROR_CODES[code].exit;

/** A field at fault and why, for a form to show next to it. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** Base of Postroom's own errors: each subclass states its code. */
export abstract class PostroomError extends Error {
  abstract readonly code: ErrorCode;

  /** The one line a person reads (HTTP `message`, CLI standard error); never a secret. */
  get publicMessage(): string {
    return this.message;
  }

  /** The fields at fault, when the error is about input. */
  get fields(): FieldProblem[] {
    return [];
  }
}
