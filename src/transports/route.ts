// The one small interface every sending route implements, and the typed failure it throws:
// transient or permanent, for this message or for the whole route, with the server's reply.
import type { OutgoingMessage } from '../mail/index.js';
import { PostroomError } from '../errors.js';

export type RouteName = 'smtp' | 'smtp-oauth' | 'graph';

export interface RejectedRecipient {
  recipient: string;
  code: number | null;
  reply: string;
}

/**
 * What became of each recipient of `message.envelope.to` (and only those): a route sends to exactly
 * the envelope it is given, so a retry names only the recipients still owed.
 */
export interface DeliveryReport {
  /** The server's final reply, e.g. "250 2.0.0 OK queued as 1234". */
  reply: string;
  replyCode: number | null;
  accepted: string[];
  /** Refused for good (5xx): recorded with the reply, never tried again. */
  rejected: RejectedRecipient[];
  /** Refused for now (4xx, or the transaction that carried them failed): to retry later. */
  deferred: RejectedRecipient[];
  /** The Message-ID the service gave the message, when it is not the one Postroom set. */
  messageId?: string;
}

export interface Route {
  readonly name: RouteName;
  /** Describes where it sends, for logs and errors: never holds a secret. */
  readonly description: string;
  send(message: OutgoingMessage): Promise<DeliveryReport>;
  /**
   * Starts the part of a send that needs no connection (building the MIME) for a message that
   * will be sent soon, so that send(message) finds it done. Optional; never throws (a failure
   * shows in send).
   */
  prepare?(message: OutgoingMessage): void;
  /** Connects, secures and authenticates without sending: proves the route works. */
  verify(): Promise<void>;
  /** Lets in-flight sends finish, then closes pooled connections. */
  close(): Promise<void>;
}

export type FailureKind = 'transient' | 'permanent';
/**
 * `message`: this e-mail failed, others may well go through.
 * `route`: the route itself is broken (unreachable, bad credentials, no STARTTLS); sending more
 * e-mails in this campaign would only fail them the same way.
 */
export type FailureScope = 'message' | 'route';

export class DeliveryError extends PostroomError {
  override name = 'DeliveryError';
  readonly code = 'upstream';
  constructor(
    message: string,
    readonly kind: FailureKind,
    readonly scope: FailureScope,
    readonly replyCode: number | null = null,
    /**
     * When every recipient was refused: each refusal with its code. Those with a 4xx code (or
     * none) are deferred, those with a 5xx code refused for good.
     */
    readonly rejected: RejectedRecipient[] = [],
    /** The server asked to wait this long before the next try (Graph's Retry-After). */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }

  /**
   * The connection to the server was lost during this send (a relay restarting, say): worth trying
   * again as soon as the route works again rather than after the usual back-off.
   */
  connectionLost = false;

  get transient(): boolean {
    return this.kind === 'transient';
  }

  /** Marks the failure as a lost connection (see connectionLost); returns it. */
  lostConnection(): this {
    this.connectionLost = true;
    return this;
  }
}
