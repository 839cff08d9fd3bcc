// A local HTTPS stand-in for the Microsoft identity platform's token endpoint and the Microsoft
// Graph mail endpoints, written from Microsoft's documentation, for tests of the Microsoft 365 routes.
//
// What it follows (learn.microsoft.com):
// - client-credentials flow: POST /{tenant}/oauth2/v2.0/token, form body with client_id,
//   client_secret, grant_type=client_credentials and a resource's /.default scope; success is
//   {token_type, expires_in, ext_expires_in, access_token}; errors are 400/401 with {error,
//   error_description "AADSTSnnn: …\r\nTrace ID…", error_codes, timestamp, trace_id, correlation_id}.
// - Graph: sendMail and create-message take base64 MIME with Content-Type text/plain (202 / 201);
//   createUploadSession (201, uploadUrl, nextExpectedRanges) then PUT ranges with Content-Range to
//   a pre-authenticated URL that must not get an Authorization header (200 with the next offset,
//   201 with a Location on the last range); POST …/send is 202; errors are {error: {code, message}},
//   429/503 with Retry-After.
//
// Microsoft's documented limits it enforces, each with its page:
// - 4 MB per request body ("Attach large files to Outlook messages or events"; "attachment:
//   createUploadSession": ranges of up to 4 MB): 413 above it.
// - POST …/messages/{id}/attachments takes a file under 3 MB ("message: add attachment": "limits the
//   size of the attachment you can add to under 3 MB"); createUploadSession takes 3 MB to 150 MB
//   ("Attach large files…"; below: ErrorAttachmentSizeShouldNotBeLessThanMinimumSize, its Errors
//   section). MB read as 10^6 bytes, the reading under which no file is left without a way in.
// - Four concurrent requests per app per mailbox ("Microsoft Graph service-specific throttling
//   limits", Outlook service limits): the fifth gets 429 ApplicationThrottled with Retry-After
//   ("Microsoft Graph throttling guidance": 429 carries Retry-After).
// - Permissions ("sendMail": Mail.Send; "Create message", "add attachment", "createUploadSession":
//   Mail.ReadWrite; "message: send": Mail.Send): a token without the role gets 403 ErrorAccessDenied,
//   as does a mailbox outside the app's RBAC for Applications scope ("Role Based Access Control for
//   Applications in Exchange Online"). An unknown user is 404 ErrorInvalidUser, a user without an
//   Exchange Online mailbox 404 MailboxNotEnabledForRESTAPI, a From the mailbox may not send as
//   403 ErrorSendAsDenied ("Microsoft Graph error responses", users' reports of the same codes).
// - App tokens are JWTs whose "roles" claim lists the application permissions ("Microsoft identity
//   platform access tokens", claims reference).
// - Certificate credentials ("Microsoft identity platform application authentication certificate
//   credentials"): client_assertion_type urn:ietf:params:oauth:client-assertion-type:jwt-bearer and
//   a client_assertion JWT (RS256 or PS256, header x5t or x5t#S256 = the certificate's thumbprint,
//   aud = the token endpoint, iss = sub = client ID, exp/nbf) signed by the key of a certificate
//   uploaded to the app registration; otherwise AADSTS700027 / AADSTS700024.
// - The Message-ID of MIME sent or drafted through Graph: the pages ("user: sendMail", "Create
//   message", "Send messages with MIME content") do not say. "Send mail by using the Microsoft Graph
//   API" (/graph/outlook-things-to-know-about-send-mail) says Exchange copies provided MIME "to a
//   single property in the new draft message" and transport "copies the MIME content more or less
//   intact"; MS-OXCMAIL 2.1.3.2.11 (/openspecs/exchange_server_protocols/ms-oxcmail/1ce0f861-39ef-
//   476f-9548-4b5e49ed4f68): "Once set, the value of the Message-ID header and the corresponding
//   value of the PidTagInternetMessageId property SHOULD remain constant". So the stand-in keeps the
//   Message-ID as internetMessageId; MIME without one gets an Exchange-made id, shaped like those in
//   the "Create message" examples (<…@….prod.outlook.com>).
// - The postmaster's mailbox (mail folders, message delta, get a message or its MIME, move): see
//   microsoft-mailbox.ts, which cites its pages.
// - Exchange Online IMAP with an app-only token ("Authenticate an IMAP, POP or SMTP connection using
//   OAuth", /exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-
//   application-by-using-oauth): checkImapAccess.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { simpleParser, type ParsedMail } from 'mailparser';
import { microsoftEndpoints, type MicrosoftEndpoints } from '../../src/transports/index.js';
import { GraphProblem, MailboxStore, type MailAnswer, type MailboxFolderView, type MailboxMessageView } from './microsoft-mailbox.js';
import { closeHttpsServer, listenHttps } from './https-server.js';

/** The scope of Exchange Online SMTP (what Postroom asks for on the SMTP OAuth route). */
export const EXCHANGE_SMTP_SCOPE = 'https://outlook.office365.com/.default';
/** Graph refuses a single upload request above 4 MB on Outlook attachment sessions. */
export const MAX_UPLOAD_RANGE = 4 * 1024 * 1024;
/** A request body above 4 MB is refused (upload ranges, sendMail, create message, add attachment). */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** Attachments through an upload session: 3 MB to 150 MB; POSTed attachments: under 3 MB. */
export const MIN_SESSION_SIZE = 3_000_000;
export const MAX_SESSION_SIZE = 150_000_000;
/** Graph's concurrent requests per app per mailbox. */
export const MAILBOX_CONCURRENCY = 4;
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The one app registration the stand-in knows, changeable by the test at any time. */
export interface StandInApp {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** The secret's end date has passed: AADSTS7000222. */
  secretExpired: boolean;
  /** Admin consent was granted for the app's permissions; without it, AADSTS65001. */
  consented: boolean;
  /** Application permissions granted on Microsoft Graph (the Graph token's roles claim). */
  graphRoles: string[];
  /**
   * Application permissions granted on Office 365 Exchange Online: the roles of a token for
   * https://outlook.office365.com/.default (SMTP.SendAsApp for SMTP, IMAP.AccessAsApp for IMAP).
   */
  smtpRoles: string[];
  /** The same list as smtpRoles, by the name that fits IMAP too. */
  exchangeRoles: string[];
  /** PEM certificates uploaded under Certificates & secrets: a client assertion must be signed by one. */
  certificates: string[];
  /** RBAC for Applications: the mailboxes the app may use; null: every mailbox of the tenant. */
  mailboxScope: string[] | null;
  /** New-ServicePrincipal was run for the app in Exchange Online (IMAP and POP with app-only tokens need it). */
  servicePrincipalRegistered: boolean;
  /** Mailboxes the Exchange service principal has FullAccess on (Add-MailboxPermission); null: all. */
  mailboxAccess: string[] | null;
}

export interface TokenRequestRecord {
  tenant: string;
  form: Record<string, string>;
  status: number;
  /** The AADSTS code of a refusal, null when a token was issued. */
  aadsts: number | null;
}

export interface GraphRequestRecord {
  method: string;
  path: string;
  contentType: string | undefined;
  status: number;
}

/** A scripted Graph answer for the next matching requests. */
export interface GraphReply {
  status: number;
  code?: string;
  message?: string;
  retryAfterSeconds?: number;
}

export interface UploadRecord {
  draftId: string;
  name: string;
  start: number;
  end: number;
  total: number;
  /** An Authorization header came with the range (Graph refuses it). */
  authorization: boolean;
  status: number;
}

export interface UploadedAttachment {
  name: string;
  contentType: string | undefined;
  isInline: boolean;
  contentId: string | undefined;
  content: Buffer;
}

export interface StandInDraft {
  id: string;
  mailbox: string;
  webLink: string;
  mime: Buffer;
  parsed: ParsedMail;
  /** The draft's internetMessageId: the MIME's Message-ID, or one Exchange made. */
  internetMessageId: string;
  /** Files added through upload sessions, in the order they completed. */
  uploaded: UploadedAttachment[];
  /** Files added with POST …/attachments. */
  posted: UploadedAttachment[];
}

/** A message Graph accepted for delivery: by sendMail, or a draft that was sent. */
export interface SentMessage {
  mailbox: string;
  via: 'sendMail' | 'draft';
  mime: Buffer;
  parsed: ParsedMail;
  /** The message's internetMessageId: the Message-ID the service gave, or one Exchange made. */
  internetMessageId: string;
  uploaded: UploadedAttachment[];
  posted: UploadedAttachment[];
}

interface IssuedToken {
  scope: string;
  expiresAt: number;
  revoked: boolean;
  roles: string[];
}

interface UploadSession {
  id: string;
  secret: string;
  draft: StandInDraft;
  item: { name: string; size: number; contentType: string | undefined; isInline: boolean; contentId: string | undefined };
  received: Buffer[];
  next: number;
  done: boolean;
}

interface Script {
  reply: GraphReply;
  remaining: number;
  match: RegExp | undefined;
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

const graphError = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
  new HttpFailure(
    status,
    { error: { code, message, innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': crypto.randomUUID(), 'client-request-id': crypto.randomUUID() } } },
    headers,
  );

export class MicrosoftStandIn {
  readonly app: StandInApp;
  /** The HTTPS certificate and key; unset: the test CA's localhost certificate. */
  certificate: { certPem: string; keyPem: string } | undefined;
  /** Seconds a token lives (expires_in). */
  expiresInSeconds = 3599;
  /** Holds each token answer this long, so that concurrent requests overlap. */
  tokenDelayMs = 0;
  /** Holds each Graph answer this long (to see how many calls a mailbox gets at once). */
  graphDelayMs = 0;
  /** The most Graph requests in flight at once, per mailbox (refused ones not counted). */
  readonly maxConcurrentPerMailbox = new Map<string, number>();
  /** Requests refused with 429 for being over the mailbox's four. */
  concurrencyRefusals = 0;
  /**
   * The tenant's users: address → 'licensed' (an Exchange Online mailbox) or 'unlicensed'; an
   * address missing is not a user. Null: every address is a licensed mailbox.
   */
  mailboxes: Map<string, 'licensed' | 'unlicensed'> | null = null;
  /** Send As grants: mailbox → addresses it may put in From besides its own. */
  readonly sendAs = new Map<string, string[]>();
  private readonly inFlight = new Map<string, number>();
  readonly tokenRequests: TokenRequestRecord[] = [];
  readonly graphRequests: GraphRequestRecord[] = [];
  readonly uploads: UploadRecord[] = [];
  readonly sent: SentMessage[] = [];
  readonly drafts = new Map<string, StandInDraft>();
  /** Upload sessions refused for a file under the minimum size. */
  readonly sessionsRefused: { name: string; size: number }[] = [];
  /** Requests for paths the stand-in does not serve (MSAL discovery, say): should stay empty. */
  readonly unknownRequests: string[] = [];
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly sessions = new Map<string, UploadSession>();
  private readonly scripts: Script[] = [];
  private readonly tokenScripts: number[] = [];
  private server: https.Server | null = null;
  private port = 0;
  private readonly mail = new MailboxStore(() => this.origin);
  /** Mailboxes whose IMAP is turned off (Set-CASMailbox -ImapEnabled $false). */
  readonly imapDisabled = new Set<string>();

  constructor(app: Partial<StandInApp> = {}) {
    const { exchangeRoles, ...rest } = app;
    const fields = {
      tenantId: '8f1c3a52-6d0e-4b7a-9c21-5e4d3b2a1f00',
      clientId: '2b7d9e14-3c5a-4f68-8a1b-0c9d8e7f6a55',
      clientSecret: 'Xy8Q~standin.secret-value_0123456789abcdefgh',
      secretExpired: false,
      consented: true,
      graphRoles: ['Mail.Send', 'Mail.ReadWrite'],
      smtpRoles: ['SMTP.SendAsApp'],
      certificates: [],
      mailboxScope: null,
      servicePrincipalRegistered: true,
      mailboxAccess: null,
      ...rest,
    };
    if (exchangeRoles) fields.smtpRoles = exchangeRoles;
    // exchangeRoles is smtpRoles under another name: one list, whichever a test sets.
    this.app = Object.defineProperty(fields, 'exchangeRoles', {
      get: () => fields.smtpRoles,
      set: (roles: string[]) => {
        fields.smtpRoles = roles;
      },
      enumerable: false,
    }) as StandInApp;
  }

  /** https://localhost:PORT: the login URL and the Graph URL both point here. */
  get origin(): string {
    return `https://localhost:${this.port}`;
  }

  /** The endpoints Postroom reads from POSTROOM_MS_LOGIN_URL / POSTROOM_GRAPH_URL, for this stand-in. */
  get endpoints(): MicrosoftEndpoints {
    return microsoftEndpoints({ POSTROOM_MS_LOGIN_URL: this.origin, POSTROOM_GRAPH_URL: this.origin });
  }

  get graphScope(): string {
    return `${this.origin}/.default`;
  }

  /** Tokens issued (successful token requests). */
  get tokensIssued(): number {
    return this.tokenRequests.filter((r) => r.status === 200).length;
  }

  async start(): Promise<this> {
    const { server, port } = await listenHttps((req, res) => void this.handle(req, res), this.certificate);
    this.port = port;
    this.server = server;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await closeHttpsServer(server);
  }

  /** What a resource server checks: issued here, for this scope, not expired, not revoked. */
  tokenIsValid(token: string, scope: string): boolean {
    const t = this.tokens.get(token);
    return !!t && !t.revoked && t.scope === scope && t.expiresAt > Date.now();
  }

  /** Every token issued so far stops working (a key rollover, a revoked grant). */
  revokeAll(): void {
    for (const t of this.tokens.values()) t.revoked = true;
  }

  /** The next `times` Graph requests whose "METHOD /v1.0/path" matches get this answer. */
  failGraph(reply: GraphReply, times = 1, match?: RegExp): void {
    this.scripts.push({ reply, remaining: times, match });
  }

  /** The next token requests are refused with these AADSTS codes, one each, whatever they carry. */
  failToken(...codes: number[]): void {
    this.tokenScripts.push(...codes);
  }

  // --- the mailboxes (microsoft-mailbox.ts) ---------------------------------------------------

  /** Delivers a message to the mailbox's Inbox (headers parsed for Graph's properties); returns its id. */
  deliverToMailbox(mailbox: string, mime: Buffer | string, opts?: { receivedAt?: Date; isRead?: boolean }): string {
    return this.mail.deliver(mailbox, mime, opts);
  }

  /** The mailbox's folders under the top of the information store, depth first, by path ('Postroom/Processed'). */
  mailboxFolders(mailbox: string): MailboxFolderView[] {
    return this.mail.folders(mailbox);
  }

  /** The messages now in a folder, by path ('Inbox', 'Postroom/Processed'). */
  messagesIn(mailbox: string, folderPath: string): MailboxMessageView[] {
    return this.mail.messagesIn(mailbox, folderPath);
  }

  /** Someone marks the message read or unread in Outlook (a change delta reports). */
  setRead(mailbox: string, id: string, isRead: boolean): void {
    this.mail.setRead(mailbox, id, isRead);
  }

  /** The message is deleted for good (delta reports it @removed). */
  deleteFromMailbox(mailbox: string, id: string): void {
    this.mail.delete(mailbox, id);
  }

  /** Every delta state token issued so far drops out of Outlook's cache: 410 SyncStateNotFound. */
  expireDeltaTokens(): void {
    this.mail.expireDeltaTokens();
  }

  /** Graph resets synchronization: tokens issued so far get 410 ResyncRequired with a Location to start over. */
  resetDeltaSync(): void {
    this.mail.resetDeltaSync();
  }

  /** $value GETs answered with the MIME. */
  get mimeDownloads(): number {
    return this.mail.mimeDownloads;
  }

  /** Message delta GETs that reached a mailbox, refused ones (410, 403) included. */
  get deltaRequests(): number {
    return this.mail.deltaRequests;
  }

  /** Messages moved (201 answers to POST …/move). */
  get moves(): number {
    return this.mail.moves;
  }

  /** State-token generations a folder keeps before older nextLinks and deltaLinks expire (default 3). */
  get syncStateGenerations(): number {
    return this.mail.syncStateGenerations;
  }

  set syncStateGenerations(n: number) {
    this.mail.syncStateGenerations = n;
  }

  // --- Exchange Online IMAP ------------------------------------------------------------------

  /**
   * Whether Exchange Online's IMAP would take this XOAUTH2 login ("user=" + mailbox, "auth=Bearer " +
   * token) from an app, per "Authenticate an IMAP, POP or SMTP connection using OAuth": an
   * unexpired token issued here for https://outlook.office365.com/.default, carrying the Office 365
   * Exchange Online application permission IMAP.AccessAsApp (admin-consented), the app's service
   * principal registered in Exchange (New-ServicePrincipal), FullAccess on the mailbox
   * (Add-MailboxPermission), and the mailbox a licensed user's. Exchange itself only answers
   * "NO AUTHENTICATE failed."; the reason says what an administrator has to fix.
   */
  checkImapAccess(token: string, mailbox: string): { ok: true } | { ok: false; reason: string } {
    const fail = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });
    const t = this.tokens.get(token);
    const a = this.app;
    const box = mailbox.trim().toLowerCase();
    if (!t) return fail('The access token was not issued by the Microsoft identity platform for this tenant (or is malformed).');
    if (t.revoked) return fail('The access token has been revoked: the app must request a new one.');
    if (t.expiresAt <= Date.now()) return fail('The access token has expired: the app must request a new one with the client credentials flow.');
    // "You must use https://outlook.office365.com/.default in the scope property in the body
    // payload for the access token request."
    if (t.scope !== EXCHANGE_SMTP_SCOPE) {
      return fail(`The access token is for ${t.scope.replace(/\/\.default$/, '')}, not Office 365 Exchange Online: request it with the scope ${EXCHANGE_SMTP_SCOPE}.`);
    }
    // "For IMAP access, choose the IMAP.AccessAsApp permission" under "APIs my organization uses" →
    // "Office 365 Exchange Online" → Application permissions, then "get tenant admin consent". The
    // roles are those the token was issued with: a grant added later needs a new token.
    if (!t.roles.includes('IMAP.AccessAsApp')) {
      return fail(
        `The access token has no IMAP.AccessAsApp role: add the application permission IMAP.AccessAsApp of Office 365 Exchange Online to the app registration ${a.clientId}, grant admin consent, then request a new token.`,
      );
    }
    // "the tenant admin must register your AAD application's service principal in Exchange via
    // Exchange Online PowerShell": New-ServicePrincipal -AppId <APPLICATION_ID> -ObjectId
    // <OBJECT_ID>, the Object ID of the Enterprise application, not of the App registration.
    if (!a.servicePrincipalRegistered) {
      return fail(
        `The app's service principal is not registered in Exchange Online: run New-ServicePrincipal -AppId ${a.clientId} -ObjectId <Object ID from Enterprise applications, not App registrations>.`,
      );
    }
    const known = this.mailboxes ? this.mailboxes.get(box) : 'licensed';
    if (!known) return fail(`${mailbox} is not a mailbox in this tenant.`);
    if (known === 'unlicensed') return fail(`${mailbox} has no Exchange Online mailbox: assign the user a licence that includes Exchange Online.`);
    // POP3 and IMAP4 can be turned off per mailbox ("Set-CASMailbox": -ImapEnabled). RBAC for
    // Applications (mailboxScope) has no IMAP role and plays no part here: the mailbox permission does.
    if ([...this.imapDisabled].some((m) => m.toLowerCase() === box)) return fail(`IMAP is turned off for ${mailbox}: run Set-CASMailbox -Identity ${mailbox} -ImapEnabled $true.`);
    // "The tenant admin can now add the specific mailboxes … Add-MailboxPermission -Identity
    // "john.smith@contoso.com" -User <SERVICE_PRINCIPAL_ID> -AccessRights FullAccess".
    if (a.mailboxAccess && !a.mailboxAccess.some((m) => m.toLowerCase() === box)) {
      return fail(`The app's service principal has no FullAccess on ${mailbox}: run Add-MailboxPermission -Identity ${mailbox} -User <service principal Identity from Get-ServicePrincipal> -AccessRights FullAccess.`);
    }
    return { ok: true };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    try {
      const body = await readBody(req);
      const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
      if (token && req.method === 'POST') return send(res, 200, await this.issueToken(decodeURIComponent(token[1] ?? ''), req, body));
      if (url.pathname.startsWith('/upload/') && req.method === 'PUT') return this.upload(url, req, body, res);
      if (url.pathname.startsWith('/v1.0/')) return await this.graph(url, req, body, res);
      this.unknownRequests.push(`${req.method} ${url.pathname}`);
      throw graphError(404, 'ResourceNotFound', `the stand-in does not serve ${req.method} ${url.pathname}`);
    } catch (err) {
      if (err instanceof HttpFailure) return send(res, err.status, err.body, err.headers);
      return send(res, 500, { error: { code: 'InternalServerError', message: err instanceof Error ? err.message : String(err) } });
    }
  }

  // --- identity platform -------------------------------------------------------------------

  private async issueToken(tenant: string, req: IncomingMessage, body: Buffer): Promise<unknown> {
    const form = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
    const record: TokenRequestRecord = { tenant, form, status: 200, aadsts: null };
    this.tokenRequests.push(record);
    if (this.tokenDelayMs) await new Promise((r) => setTimeout(r, this.tokenDelayMs));
    const refuse = (status: number, error: string, code: number, text: string, suberror?: string, headers: Record<string, string> = {}): never => {
      record.status = status;
      record.aadsts = code;
      throw this.aadError(status, error, code, text, suberror, headers);
    };
    const a = this.app;
    const scripted = this.tokenScripts.shift();
    // A transient refusal asks to wait two seconds (MSAL then holds further requests that long).
    if (scripted !== undefined) refuse(503, 'temporarily_unavailable', scripted, 'A transient error has occurred. Please try again.', undefined, { 'retry-after': '2' });
    if (!/application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) {
      refuse(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
    }
    if (tenant.toLowerCase() !== a.tenantId.toLowerCase()) {
      refuse(400, 'invalid_request', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
    }
    if (form.grant_type !== 'client_credentials') refuse(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${form.grant_type ?? ''}'.`);
    if (!form.client_id) refuse(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
    if (form.client_id !== a.clientId) {
      refuse(400, 'unauthorized_client', 700016, `Application with identifier '${form.client_id}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
    }
    if (form.client_assertion !== undefined || form.client_assertion_type !== undefined) {
      const problem = this.checkAssertion(form, tenant);
      if (problem) refuse(401, 'invalid_client', problem.code, problem.text);
    } else if (!form.client_secret) {
      refuse(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    } else if (form.client_secret !== a.clientSecret) {
      refuse(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${a.clientId}'.`);
    }
    if (a.secretExpired && form.client_secret !== undefined) {
      refuse(401, 'invalid_client', 7000222, `The provided client secret keys for app '${a.clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`);
    }
    const scope = form.scope ?? '';
    if (!scope.endsWith('/.default') || scope.includes(' ')) {
      refuse(400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
    }
    if (scope !== this.graphScope && scope !== EXCHANGE_SMTP_SCOPE) {
      refuse(400, 'invalid_resource', 500011, `The resource principal named ${scope.replace(/\/\.default$/, '')} was not found in the tenant named ${tenant}.`);
    }
    if (!a.consented) {
      refuse(400, 'invalid_grant', 65001, `The user or administrator has not consented to use the application with ID '${a.clientId}'. Send an interactive authorization request for this user and resource.`, 'consent_required');
    }
    // Shaped like Entra ID's app tokens: a JWT whose roles claim names the application permissions.
    const roles = scope === EXCHANGE_SMTP_SCOPE ? [...a.smtpRoles] : [...a.graphRoles];
    const now = Math.floor(Date.now() / 1000);
    const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = { aud: scope.replace(/\/\.default$/, ''), iss: `${this.origin}/${a.tenantId}/`, iat: now, nbf: now, exp: now + this.expiresInSeconds, appid: a.clientId, tid: a.tenantId, roles, jti: crypto.randomUUID() };
    const accessToken = `${part({ typ: 'JWT', alg: 'RS256' })}.${part(claims)}.${crypto.randomBytes(32).toString('base64url')}`;
    this.tokens.set(accessToken, { scope, expiresAt: Date.now() + this.expiresInSeconds * 1000, revoked: false, roles });
    return { token_type: 'Bearer', expires_in: this.expiresInSeconds, ext_expires_in: this.expiresInSeconds, access_token: accessToken };
  }

  /** Checks a client assertion as Entra ID does; the problem as an AADSTS code and text, or null. */
  private checkAssertion(form: Record<string, string>, tenant: string): { code: number; text: string } | null {
    if (form.client_assertion_type !== JWT_BEARER) return { code: 700025, text: `Client assertion type '${form.client_assertion_type ?? ''}' is not supported.` };
    const [h, p, sig] = (form.client_assertion ?? '').split('.');
    if (!h || !p || !sig) return { code: 700023, text: 'The client assertion is not a well-formed JWT.' };
    let header: { alg?: string; x5t?: string; 'x5t#S256'?: string };
    let claims: { aud?: string; iss?: string; sub?: string; exp?: number; nbf?: number };
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as typeof header;
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return { code: 700023, text: 'The client assertion is not a well-formed JWT.' };
    }
    const certs = this.app.certificates.map((pem) => new crypto.X509Certificate(pem));
    const cert = certs.find((c) =>
      header['x5t#S256'] ? crypto.createHash('sha256').update(c.raw).digest('base64url') === header['x5t#S256'] : crypto.createHash('sha1').update(c.raw).digest('base64url') === header.x5t,
    );
    const keyId = header['x5t#S256'] ?? header.x5t ?? '(none)';
    if (!cert) return { code: 700027, text: `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${keyId}']` };
    const data = Buffer.from(`${h}.${p}`);
    const signature = Buffer.from(sig, 'base64url');
    const valid =
      header.alg === 'PS256'
        ? crypto.verify('sha256', data, { key: cert.publicKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature)
        : header.alg === 'RS256'
          ? crypto.verify('sha256', data, cert.publicKey, signature)
          : false;
    if (!valid) return { code: 700027, text: 'Client assertion contains an invalid signature.' };
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.exp !== 'number' || claims.exp < now || (typeof claims.nbf === 'number' && claims.nbf > now + 300)) {
      return { code: 700024, text: 'Client assertion is not within its valid time range.' };
    }
    if (claims.aud !== `${this.origin}/${tenant}/oauth2/v2.0/token`) return { code: 700021, text: `Client assertion audience claim does not match Realm issuer. Audience: '${claims.aud ?? ''}'.` };
    if (claims.iss !== this.app.clientId || claims.sub !== this.app.clientId) return { code: 700021, text: 'Client assertion issuer and subject must be the client ID.' };
    if (Date.parse(cert.validTo) < Date.now()) return { code: 700027, text: 'The certificate used to sign the client assertion has expired.' };
    return null;
  }

  private aadError(status: number, error: string, code: number, text: string, suberror?: string, headers: Record<string, string> = {}): HttpFailure {
    const traceId = crypto.randomUUID();
    const correlationId = crypto.randomUUID();
    const timestamp = new Date().toISOString().replace('T', ' ').slice(0, 19) + 'Z';
    return new HttpFailure(status, {
      error,
      error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${this.origin}/error?code=${code}`,
      ...(suberror ? { suberror } : {}),
    }, headers);
  }

  // --- Graph -------------------------------------------------------------------------------

  private async graph(url: URL, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const record: GraphRequestRecord = { method, path, contentType: req.headers['content-type'], status: 0 };
    this.graphRequests.push(record);
    const mailbox = decodeURIComponent(/^\/v1\.0\/users\/([^/]+)/.exec(path)?.[1] ?? '').toLowerCase();
    const now = (this.inFlight.get(mailbox) ?? 0) + 1;
    if (mailbox && now > MAILBOX_CONCURRENCY) {
      this.concurrencyRefusals++;
      record.status = 429;
      throw graphError(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', { 'retry-after': '1' });
    }
    this.inFlight.set(mailbox, now);
    this.maxConcurrentPerMailbox.set(mailbox, Math.max(now, this.maxConcurrentPerMailbox.get(mailbox) ?? 0));
    try {
      if (this.graphDelayMs) await new Promise((r) => setTimeout(r, this.graphDelayMs));
      const answer = await this.graphRoute(method, url, req, body);
      record.status = answer.status;
      if (answer.raw) {
        res.writeHead(answer.status, { 'content-type': answer.raw.contentType, 'content-length': answer.raw.bytes.length, ...answer.headers });
        res.end(answer.raw.bytes);
      } else send(res, answer.status, answer.body, answer.headers);
    } catch (err) {
      if (err instanceof HttpFailure) record.status = err.status;
      throw err;
    } finally {
      this.inFlight.set(mailbox, (this.inFlight.get(mailbox) ?? 1) - 1);
    }
  }

  private async graphRoute(method: string, url: URL, req: IncomingMessage, body: Buffer): Promise<MailAnswer> {
    const path = url.pathname;
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer) throw graphError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    if (!this.tokenIsValid(bearer, this.graphScope)) {
      const t = this.tokens.get(bearer);
      const why = !t ? 'IDX14100: JWT is not well formed.' : t.scope !== this.graphScope ? 'Invalid audience.' : t.revoked ? 'Access token has been revoked.' : 'Lifetime validation failed, the token is expired.';
      throw graphError(401, 'InvalidAuthenticationToken', why);
    }
    const script = this.scripts.find((s) => s.remaining > 0 && (!s.match || s.match.test(`${method} ${path}`)));
    if (script) {
      script.remaining--;
      const { status, code, message, retryAfterSeconds } = script.reply;
      throw graphError(status, code ?? (status === 429 ? 'TooManyRequests' : 'ErrorInternalServerTransientError'), message ?? 'scripted by the test', retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) });
    }

    if (body.length > MAX_REQUEST_BYTES) throw graphError(413, 'ErrorRequestEntityTooLarge', `The request body of ${body.length} bytes is over the 4 MB limit.`);
    const user = /^\/v1\.0\/users\/([^/]+)(\/.*)$/.exec(path);
    if (!user) throw graphError(400, 'BadRequest', `Resource not found for the segment '${path.split('/')[2] ?? ''}'.`);
    const mailbox = decodeURIComponent(user[1] ?? '').toLowerCase();
    const rest = user[2] ?? '';
    const roles = this.tokens.get(bearer)?.roles ?? [];
    const need = (role: string) => {
      if (!roles.includes(role)) throw graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    };
    const scope = this.app.mailboxScope;
    if (scope && !scope.map((m) => m.toLowerCase()).includes(mailbox)) throw graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    const known = this.mailboxes ? this.mailboxes.get(mailbox) : 'licensed';
    if (!known) throw graphError(404, 'ErrorInvalidUser', `The requested user '${mailbox}' is invalid.`);
    if (known === 'unlicensed') throw graphError(404, 'MailboxNotEnabledForRESTAPI', 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.');
    const mayUseFrom = (mail: ParsedMail) => {
      const from = mail.from?.value[0]?.address?.toLowerCase();
      if (from && from !== mailbox && !(this.sendAs.get(mailbox) ?? []).map((a) => a.toLowerCase()).includes(from)) {
        throw graphError(403, 'ErrorSendAsDenied', 'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message.');
      }
    };

    if (method === 'POST' && rest === '/sendMail') {
      need('Mail.Send');
      const parsed = await this.mime(req, body);
      mayUseFrom(parsed.mail);
      this.sent.push({ mailbox, via: 'sendMail', mime: parsed.mime, parsed: parsed.mail, internetMessageId: internetMessageIdOf(parsed.mail), uploaded: [], posted: [] });
      return { status: 202 };
    }
    if (method === 'POST' && rest === '/messages') {
      need('Mail.ReadWrite');
      const parsed = await this.mime(req, body);
      const id = `AAMkAD${crypto.randomBytes(24).toString('base64url')}=`;
      const webLink = `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(id)}&exvsurl=1&viewmodel=ReadMessageItem`;
      const draft: StandInDraft = { id, mailbox, webLink, mime: parsed.mime, parsed: parsed.mail, internetMessageId: internetMessageIdOf(parsed.mail), uploaded: [], posted: [] };
      this.drafts.set(id, draft);
      return {
        status: 201,
        body: {
          '@odata.context': `${this.origin}/v1.0/$metadata#users('${mailbox}')/messages/$entity`,
          id,
          createdDateTime: new Date().toISOString(),
          isDraft: true,
          subject: parsed.mail.subject ?? '',
          internetMessageId: draft.internetMessageId,
          hasAttachments: parsed.mail.attachments.length > 0,
          webLink,
        },
      };
    }
    const item = /^\/messages\/([^/]+)(\/.*)?$/.exec(rest);
    const draft = item ? this.drafts.get(decodeURIComponent(item[1] ?? '')) : undefined;
    if (item && draft && draft.mailbox === mailbox) {
      const action = item[2] ?? '';
      if (method === 'DELETE' && action === '') {
        this.drafts.delete(draft.id);
        return { status: 204 };
      }
      if (method === 'POST' && action === '/send') {
        need('Mail.Send');
        mayUseFrom(draft.parsed);
        this.drafts.delete(draft.id);
        this.sent.push({ mailbox, via: 'draft', mime: draft.mime, parsed: draft.parsed, internetMessageId: draft.internetMessageId, uploaded: draft.uploaded, posted: draft.posted });
        return { status: 202 };
      }
      if (method === 'POST' && action === '/attachments/createUploadSession') {
        need('Mail.ReadWrite');
        return this.createSession(draft, body);
      }
      if (method === 'POST' && action === '/attachments') {
        need('Mail.ReadWrite');
        return this.addAttachment(draft, body);
      }
      throw graphError(400, 'BadRequest', `the stand-in has no ${method} ${rest}`);
    }
    try {
      const prefer = req.headers.prefer;
      const answer = this.mail.route({ method, mailbox, rest, query: url.searchParams, prefer: Array.isArray(prefer) ? prefer.join(', ') : (prefer ?? ''), body, roles });
      if (answer) return answer;
    } catch (err) {
      if (err instanceof GraphProblem) throw graphError(err.status, err.code, err.message, err.headers);
      throw err;
    }
    if (item) throw graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    throw graphError(400, 'BadRequest', `the stand-in has no ${method} ${rest}`);
  }

  /** A MIME request body: Content-Type text/plain, the message base64-encoded. */
  private async mime(req: IncomingMessage, body: Buffer): Promise<{ mime: Buffer; mail: ParsedMail }> {
    if (!/^text\/plain\b/i.test(req.headers['content-type'] ?? '')) {
      throw graphError(400, 'ErrorInvalidRequest', 'the stand-in only takes MIME content (Content-Type: text/plain)');
    }
    const text = body.toString('ascii').trim();
    if (!text || !/^[A-Za-z0-9+/\r\n]+={0,2}$/.test(text)) throw graphError(400, 'ErrorMimeContentInvalidBase64String', 'Invalid base64 string for MIME content.');
    const mime = Buffer.from(text, 'base64');
    // Keep cid: links as sent (mailparser would inline them as data: URLs).
    const mail = await simpleParser(mime, { skipImageLinks: true });
    const recipients = [mail.to, mail.cc, mail.bcc].flatMap((a) => (a ? (Array.isArray(a) ? a : [a]) : [])).flatMap((a) => a.value);
    if (!mail.headers.has('from')) throw graphError(400, 'ErrorMimeContentInvalid', 'The MIME content has no From header.');
    if (recipients.length === 0 && req.url?.endsWith('/sendMail')) throw graphError(400, 'ErrorInvalidRecipients', 'At least one recipient is not valid., A message can\'t be sent because it contains no recipients.');
    return { mime, mail };
  }

  /** POST …/attachments with a fileAttachment: files under 3 MB only. */
  private addAttachment(draft: StandInDraft, body: Buffer): { status: number; body: unknown } {
    let a: { '@odata.type'?: string; name?: string; contentType?: string; contentBytes?: string; isInline?: boolean; contentId?: string };
    try {
      a = JSON.parse(body.toString('utf8')) as typeof a;
    } catch {
      throw graphError(400, 'BadRequest', 'Unable to read JSON request payload.');
    }
    if (a['@odata.type'] !== '#microsoft.graph.fileAttachment' || !a.name || typeof a.contentBytes !== 'string') {
      throw graphError(400, 'ErrorInvalidRequest', 'A fileAttachment with name and contentBytes is required.');
    }
    const content = Buffer.from(a.contentBytes, 'base64');
    if (content.length >= MIN_SESSION_SIZE) throw graphError(413, 'ErrorRequestEntityTooLarge', 'Use an upload session for attachments of 3 MB or more.');
    const attachment: UploadedAttachment = { name: a.name, contentType: a.contentType, isInline: a.isInline ?? false, contentId: a.contentId, content };
    draft.posted.push(attachment);
    return { status: 201, body: { '@odata.type': '#microsoft.graph.fileAttachment', id: `AAMkAD${crypto.randomBytes(12).toString('base64url')}`, name: a.name, size: content.length } };
  }

  private createSession(draft: StandInDraft, body: Buffer): { status: number; body: unknown } {
    let input: { AttachmentItem?: { attachmentType?: string; name?: string; size?: number; contentType?: string; isInline?: boolean; contentId?: string } };
    try {
      input = JSON.parse(body.toString('utf8')) as typeof input;
    } catch {
      throw graphError(400, 'BadRequest', 'Unable to read JSON request payload.');
    }
    const a = input.AttachmentItem;
    if (!a || a.attachmentType !== 'file' || !a.name || typeof a.size !== 'number') {
      throw graphError(400, 'ErrorInvalidRequest', 'AttachmentItem with attachmentType "file", name and size is required.');
    }
    if (a.size < MIN_SESSION_SIZE) {
      this.sessionsRefused.push({ name: a.name, size: a.size });
      throw graphError(400, 'ErrorAttachmentSizeShouldNotBeLessThanMinimumSize', `Attachment size ${a.size} is less than the minimum size for an upload session: POST the attachment instead.`);
    }
    if (a.size > MAX_SESSION_SIZE) throw graphError(400, 'ErrorAttachmentSizeLimitExceeded', `The attachment size ${a.size} is over the 150 MB limit of an upload session.`);
    const session: UploadSession = {
      id: crypto.randomUUID(),
      secret: crypto.randomBytes(24).toString('base64url'),
      draft,
      item: { name: a.name, size: a.size, contentType: a.contentType, isInline: a.isInline ?? false, contentId: a.contentId },
      received: [],
      next: 0,
      done: false,
    };
    this.sessions.set(session.id, session);
    return {
      status: 201,
      body: {
        '@odata.context': `${this.origin}/v1.0/$metadata#microsoft.graph.uploadSession`,
        // Pre-authenticated: the URL carries its own token, like Outlook's.
        uploadUrl: `${this.origin}/upload/${session.id}?authtoken=${session.secret}`,
        expirationDateTime: new Date(Date.now() + 3_600_000).toISOString(),
        nextExpectedRanges: ['0-'],
      },
    };
  }

  private upload(url: URL, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const session = this.sessions.get(url.pathname.slice('/upload/'.length));
    if (!session || url.searchParams.get('authtoken') !== session.secret || session.done) {
      throw graphError(404, 'ErrorItemNotFound', 'The upload session was not found or has ended.');
    }
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(req.headers['content-range'] ?? '');
    const [start, end, total] = range ? [Number(range[1]), Number(range[2]), Number(range[3])] : [-1, -1, -1];
    const record: UploadRecord = { draftId: session.draft.id, name: session.item.name, start, end, total, authorization: req.headers.authorization !== undefined, status: 0 };
    this.uploads.push(record);
    const fail = (status: number, code: string, message: string): never => {
      record.status = status;
      throw graphError(status, code, message);
    };
    // The upload URL is pre-authenticated: a bearer token sent along makes Graph refuse the range.
    if (record.authorization) fail(401, 'InvalidAuthenticationToken', 'Do not send an Authorization header to the upload URL.');
    if (!range) fail(400, 'ErrorInvalidContentRange', 'A Content-Range header "bytes start-end/total" is required.');
    if (total !== session.item.size) fail(400, 'ErrorInvalidContentRange', `The total ${total} differs from the session size ${session.item.size}.`);
    if (start !== session.next || end < start || end >= total) fail(416, 'ErrorInvalidContentRange', `Expected the range to start at ${session.next}.`);
    if (end - start + 1 > MAX_UPLOAD_RANGE) fail(400, 'ErrorRequestEntityTooLarge', 'A range may not exceed 4 MB.');
    if (body.length !== end - start + 1 || Number(req.headers['content-length']) !== body.length) fail(400, 'ErrorInvalidContentRange', 'Content-Length does not match Content-Range.');
    session.received.push(body);
    session.next = end + 1;
    if (session.next < total) {
      record.status = 200;
      return send(res, 200, { expirationDateTime: new Date(Date.now() + 3_600_000).toISOString(), nextExpectedRanges: [String(session.next)] });
    }
    session.done = true;
    const attachmentId = `AAMkAD${crypto.randomBytes(12).toString('base64url')}`;
    session.draft.uploaded.push({ ...session.item, content: Buffer.concat(session.received) });
    record.status = 201;
    send(res, 201, undefined, {
      location: `${this.origin}/v1.0/users('${session.draft.mailbox}')/messages('${session.draft.id}')/attachments('${attachmentId}')`,
    });
  }
}

/**
 * The internetMessageId Exchange keeps for MIME it was given: its Message-ID (see the opening
 * comment), or, when it has none, one made as Exchange makes them: <…@{server}.{region}.prod.outlook.com>.
 */
function internetMessageIdOf(mail: ParsedMail): string {
  if (mail.messageId) return mail.messageId.startsWith('<') ? mail.messageId : `<${mail.messageId}>`;
  const server = `PH0PR${crypto.randomInt(10, 99)}MB${crypto.randomInt(1000, 9999)}`;
  return `<${server}${crypto.randomBytes(16).toString('hex').toUpperCase()}@${server}.namprd${crypto.randomInt(10, 99)}.prod.outlook.com>`;
}

/** Starts a stand-in on a free loopback port. */
export async function startMicrosoftStandIn(app: Partial<StandInApp> = {}, certificate?: { certPem: string; keyPem: string }): Promise<MicrosoftStandIn> {
  const standIn = new MicrosoftStandIn(app);
  // A TLS-inspecting proxy's certificate, from a CA only a setting trusts (default: the test CA's).
  standIn.certificate = certificate;
  return standIn.start();
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(payload ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

/**
 * A self-signed client certificate and its key as one PEM text (what the administrator pastes),
 * made with openssl as the guide tells: `openssl req -x509 -newkey rsa:2048 -nodes …`.
 */
export function makeClientCertificate(days = 365, cn = 'Postroom'): { pem: string; certificatePem: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-cert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', String(days), '-subj', `/CN=${cn}`], { cwd: dir, stdio: 'pipe' });
    const certificatePem = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
    return { pem: certificatePem + fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'), certificatePem };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
