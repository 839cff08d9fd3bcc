// Outlook (New) drafts: instead of sending, Postroom creates the e-mail as a draft in a mailbox
// (outlookNewAddress, else the postmaster) for the user to open in the new Outlook and send.
import crypto from 'node:crypto';
import { z } from 'zod';
import type { SettingsService } from '../settings/index.js';
import type { UserDirectory } from '../users/index.js';
import { applySenderPolicy, emailInputSchema, EmailInputError, type Address, type OutgoingMessage } from '../queue/index.js';
import { GraphClient, microsoftTrust, splitForGraph, tokenProviderFor, type MicrosoftEndpoints } from '../transports/index.js';

export const draftInputSchema = emailInputSchema.safeExtend({
  /** The user the draft is for (from the directory); or name the sender directly. */
  userId: z.string().max(200).optional(),
});

export type DraftInput = z.input<typeof draftInputSchema>;

/** The Graph settings drafts need are not filled in: names them. */
export class MissingGraphSettingsError extends Error {
  override name = 'MissingGraphSettingsError';
  constructor(readonly missing: string[]) {
    super(`Outlook (New) drafts need Microsoft Graph: fill in ${missing.join(', ')} in Configuration > Email`);
  }
}

export interface CreatedDraft {
  id: string;
  webLink: string | null;
  mailbox: string;
}

export class OutlookDrafts {
  constructor(
    private readonly settings: SettingsService,
    private readonly users: UserDirectory,
    private readonly endpoints: MicrosoftEndpoints,
    private readonly ca?: string | string[],
  ) {}

  async create(raw: unknown): Promise<CreatedDraft> {
    const parsed = draftInputSchema.safeParse(raw);
    if (!parsed.success) {
      throw new EmailInputError(parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })));
    }
    const input = parsed.data;
    const s = await this.settings.load();
    const mailbox = s.outlookNewAddress || s.postmaster;
    const missing = [
      ...(['tenantId', 'clientId', 'clientSecret'] as const).filter((k) => !s[k]),
      ...(mailbox ? [] : ['outlookNewAddress (or postmaster)']),
    ];
    if (missing.length) throw new MissingGraphSettingsError(missing);

    let user: Address | null = input.sender ? { email: input.sender.email, ...(input.sender.name ? { name: input.sender.name } : {}) } : null;
    if (input.userId) {
      const found = await this.users.get(input.userId);
      if (!found) throw new EmailInputError([{ field: 'userId', message: `no user "${input.userId}" in the directory` }]);
      user = { email: found.email, ...(found.name ? { name: found.name } : {}) };
    }
    // The draft is sent from the mailbox it lives in: that mailbox plays the postmaster's part
    // (forced: From the mailbox, Reply-To the user), so no Send As right on another one is needed.
    const { from, replyTo } = applySenderPolicy({ ...s, postmaster: mailbox }, user);
    const addr = (a: string | { email: string; name?: string | undefined }): Address =>
      typeof a === 'string' ? { email: a } : { email: a.email, ...(a.name ? { name: a.name } : {}) };
    const to = input.to.map(addr);
    const cc = input.cc.map(addr);
    const bcc = input.bcc.map(addr);
    const message: OutgoingMessage = {
      id: 0,
      messageId: `<${crypto.randomUUID()}@${mailbox.split('@')[1] ?? 'postroom'}>`,
      date: new Date(),
      from,
      replyTo,
      to,
      cc,
      bcc,
      envelope: { from: from.email, to: [...to, ...cc, ...bcc].map((a) => a.email) },
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
    };
    const { tenantId, clientId, clientSecret } = s;
    const graph = new GraphClient({
      graphUrl: this.endpoints.graphUrl,
      scope: this.endpoints.graphScope,
      provider: tokenProviderFor({ tenantId, clientId, clientSecret }, this.endpoints, microsoftTrust(s, this.ca)),
      ca: microsoftTrust(s, this.ca),
    });
    const { small, large } = await splitForGraph(message);
    const draft = await graph.createDraft(mailbox, message, small, large);
    return { id: draft.id, webLink: draft.webLink, mailbox };
  }
}
