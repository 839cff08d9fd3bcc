// Outlook (New) drafts: instead of sending, Postroom creates the e-mail as a draft in a mailbox
// (outlookNewAddress, else the postmaster; or the user's own with outlookNewDraftsIn=user-mailbox)
// for the user to open in the new Outlook and send.
import crypto from 'node:crypto';
import { z } from 'zod';
import { draftsMailbox, missingMicrosoftApp, type SettingsService } from '../settings/index.js';
import type { UserDirectory } from '../users/index.js';
import { emailInputSchema, EmailInputError } from '../queue/index.js';
import { address, buildMessage, type Address, type OutgoingMessage, type SenderPolicy } from '../mail/index.js';
import {
  credentialsOf,
  DeliveryError,
  endpointsFor,
  GraphClient,
  mailboxSlotsFor,
  microsoftTrust,
  planAttachments,
  tokenProviderFor,
  withSlot,
  type MailboxSlots,
  type MicrosoftEndpoints,
} from '../transports/index.js';
import { PostroomError } from '../errors.js';

export const draftInputSchema = emailInputSchema.safeExtend({
  /** The user the draft is for (from the directory); or name the sender directly. */
  userId: z.string().max(200).optional(),
});

export type DraftInput = z.input<typeof draftInputSchema>;

/** The Graph settings drafts need are not filled in: names them. */
export class MissingGraphSettingsError extends PostroomError {
  override name = 'MissingGraphSettingsError';
  readonly code = 'graph_settings_missing';
  constructor(readonly missing: string[]) {
    super(`Outlook (New) drafts need Microsoft Graph: fill in ${missing.join(', ')} in Configuration > Email`);
  }
  override get fields() {
    return this.missing.map((k) => ({ field: k, message: 'is required for Outlook (New) drafts' }));
  }
}

export interface CreatedDraft {
  id: string;
  webLink: string | null;
  mailbox: string;
  /** Why the draft is not where outlookNewDraftsIn asked (the user has no mailbox in the tenant). */
  note?: string;
}

/** Graph's answers meaning "this address has no mailbox Graph can use in this tenant". */
const NO_MAILBOX = /\b404 (ErrorInvalidUser|MailboxNotEnabledForRESTAPI)\b/;

export class OutlookDrafts {
  constructor(
    private readonly settings: SettingsService,
    private readonly users: UserDirectory,
    /** Given: a test stand-in; else the endpoints of the microsoftCloud setting. */
    private readonly endpoints: MicrosoftEndpoints | undefined,
    private readonly ca?: string | string[],
    private readonly slots: MailboxSlots = mailboxSlotsFor(undefined),
  ) {}

  async create(raw: unknown): Promise<CreatedDraft> {
    const parsed = draftInputSchema.safeParse(raw);
    if (!parsed.success) {
      throw new EmailInputError(parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })));
    }
    const input = parsed.data;
    const s = await this.settings.load();
    const mailbox = draftsMailbox(s);
    const missing = [
      ...missingMicrosoftApp(s),
      ...(mailbox ? [] : ['outlookNewAddress (or postmaster)']),
    ];
    if (missing.length) throw new MissingGraphSettingsError(missing);

    let user: Address | null = input.sender ? address(input.sender.email, input.sender.name) : null;
    if (input.userId) {
      const found = await this.users.get(input.userId);
      if (!found) throw new EmailInputError([{ field: 'userId', message: `no user "${input.userId}" in the directory` }]);
      user = address(found.email, found.name);
    }
    const endpoints = endpointsFor(s, this.endpoints);
    const ca = microsoftTrust(s, this.ca);
    const graph = new GraphClient({
      graphUrl: endpoints.graphUrl,
      scope: endpoints.graphScope,
      provider: tokenProviderFor(credentialsOf(s), endpoints, ca),
      ca,
      uploadSessions: endpoints.uploadSessions,
    });
    // The draft is sent from the mailbox it lives in: that mailbox plays the postmaster's part
    // (forced: From the mailbox, Reply-To the user), so no Send As right on another one is needed.
    const inSenderMailbox: SenderPolicy = { forcePostmaster: s.forcePostmaster, postmaster: mailbox };
    if (s.outlookNewDraftsIn === 'user-mailbox' && user) {
      // In the user's own mailbox, From the user: it lands in their Drafts with no extra rights.
      try {
        const draft = await this.make(graph, user.email, this.message(input, user, { forcePostmaster: false, postmaster: user.email }, user.email));
        return { id: draft.id, webLink: draft.webLink, mailbox: user.email };
      } catch (err) {
        if (!(err instanceof DeliveryError && NO_MAILBOX.test(err.message))) throw err;
        const note = `${user.email} has no mailbox in this tenant (${/404 \w+/.exec(err.message)?.[0] ?? '404'}): the draft was made in ${mailbox} instead`;
        const draft = await this.make(graph, mailbox, this.message(input, user, inSenderMailbox, mailbox));
        return { id: draft.id, webLink: draft.webLink, mailbox, note };
      }
    }
    const draft = await this.make(graph, mailbox, this.message(input, user, inSenderMailbox, mailbox));
    return { id: draft.id, webLink: draft.webLink, mailbox };
  }

  private async make(graph: GraphClient, mailbox: string, message: OutgoingMessage) {
    const plan = await planAttachments(message);
    return withSlot(this.slots, mailbox, () => graph.createDraft(mailbox, message, plan, { mailbox, routeMailbox: mailbox }));
  }

  private message(input: z.output<typeof draftInputSchema>, user: Address | null, policy: SenderPolicy, mailbox: string): OutgoingMessage {
    const addr = (a: string | { email: string; name?: string | undefined }): Address => (typeof a === 'string' ? { email: a } : address(a.email, a.name));
    return buildMessage(
      {
        id: 0,
        messageId: `<${crypto.randomUUID()}@${mailbox.split('@')[1] ?? 'postroom'}>`,
        date: new Date(),
        user,
        to: input.to.map(addr),
        cc: input.cc.map(addr),
        bcc: input.bcc.map(addr),
        subject: input.subject,
        text: input.text,
        html: input.html,
        headers: input.headers,
        attachments: input.attachments.map((a) => ({
          filename: a.filename,
          contentType: a.contentType ?? 'application/octet-stream',
          contentId: a.contentId ?? null,
          content: Buffer.from(a.contentBase64, 'base64'),
        })),
      },
      policy,
    );
  }
}
