// Hand an e-mail over, or, asked to compose it for a user who sends from Outlook (New), make it a
// draft in Outlook instead: decided here once, for the HTTP API and an embedding application alike.
import { parseEmailInput, type HandOverResult, type Queue, type ValidEmailInput } from '../queue/index.js';
import type { UserDirectory } from '../users/index.js';
import type { CreatedDraft, OutlookDrafts } from './drafts.js';

/** The e-mail became a draft for the user to open in Outlook (New) and send; nothing was queued. */
export interface Composed {
  composed: 'outlook-new';
  draft: CreatedDraft;
}

export type ComposeResult = Composed | HandOverResult;

export const isComposed = (result: ComposeResult): result is Composed => 'composed' in result;

export class Composer {
  constructor(
    private readonly queue: Pick<Queue, 'handOverValid'>,
    private readonly users: Pick<UserDirectory, 'findByEmail'>,
    private readonly drafts: Pick<OutlookDrafts, 'create'>,
  ) {}

  /** Validates the input first (an EmailInputError names what is wrong); then as composeValid. */
  async compose(input: unknown, source: string): Promise<ComposeResult> {
    return this.composeValid(parseEmailInput(input), source);
  }

  /**
   * With compose: true and a sender the directory knows as an Outlook (New) user, a draft;
   * otherwise the ordinary hand-over, compose or not, so no e-mail is lost to a flag.
   */
  async composeValid(email: ValidEmailInput, source: string): Promise<ComposeResult> {
    if (email.compose && email.sender) {
      const user = await this.users.findByEmail(email.sender.email);
      if (user?.emailSoftware === 'outlook-new') {
        // compose and idempotencyKey are the hand-over's own: a draft uses neither.
        const { compose: _compose, idempotencyKey: _key, ...draft } = email;
        return { composed: 'outlook-new', draft: await this.drafts.create(draft) };
      }
    }
    return this.queue.handOverValid(email, source);
  }
}
