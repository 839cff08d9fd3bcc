// A batch of hand-overs (a month-end run of invoices): each e-mail checked on its own, the valid
// ones stored in one transaction, and one result per e-mail in order. One bad e-mail refuses itself only.
import { refusesOneRow, refusesOneRowPg } from '../db/index.js';
import type { ErrorCode, FieldProblem } from '../errors.js';
import { EmailInputError, emailInputSchema, type ValidEmailInput } from './input.js';
import { newEmail } from './new-email.js';
import type { EmailRepository, NewEmail } from './repository.js';
import type { HandOverResult } from './service.js';

/** The most e-mails one batch may hold. */
export const BATCH_MAX_EMAILS = 500;

export type BatchItemResult =
  | ({ index: number } & HandOverResult)
  | { index: number; error: { code: ErrorCode; message: string; fields: FieldProblem[] } };

export interface BatchDeps {
  repo: EmailRepository;
  postmaster(): Promise<string>;
  /** Throws an EmailInputError for what the route in use could never send. */
  refuseWhatRouteCannotTake(email: ValidEmailInput): Promise<void>;
}

const refused = (index: number, fields: FieldProblem[]): BatchItemResult => ({
  index,
  error: { code: 'invalid_request', message: `e-mail refused, nothing stored: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, fields },
});

const isConstraint = (err: unknown) => refusesOneRow(err) || refusesOneRowPg(err);

/**
 * Results in the order of `inputs`. A storage failure (database gone, disk full) throws for the
 * whole batch: nothing is reported stored that is not.
 */
export async function handOverBatch(deps: BatchDeps, inputs: unknown[], source: string): Promise<BatchItemResult[]> {
  const results: BatchItemResult[] = [];
  const postmaster = await deps.postmaster();
  const valid: { index: number; email: ValidEmailInput }[] = [];
  for (const [index, input] of inputs.entries()) {
    const parsed = emailInputSchema.safeParse(input);
    if (!parsed.success) {
      results[index] = refused(index, parsed.error.issues.map((i) => ({ field: i.path.length ? i.path.join('.') : '(body)', message: i.message })));
    } else if (parsed.data.compose) {
      // A draft is made in Microsoft 365 at once, outside this transaction: alone it is.
      results[index] = refused(index, [{ field: 'compose', message: 'is not taken in a batch: hand an e-mail to be composed in Outlook (New) over alone (POST /emails)' }]);
    } else if (!parsed.data.sender && !postmaster) {
      results[index] = refused(index, [{ field: 'sender', message: 'no sender: name a user, or set the Mail postmaster first' }]);
    } else {
      valid.push({ index, email: parsed.data });
    }
  }
  const checked: typeof valid = [];
  for (const v of valid) {
    try {
      await deps.refuseWhatRouteCannotTake(v.email);
      checked.push(v);
    } catch (err) {
      if (!(err instanceof EmailInputError)) throw err;
      results[v.index] = refused(v.index, err.errors);
    }
  }

  // Idempotency keys: one seen before answers with its e-mail; one twice in this batch makes one e-mail.
  const keys = [...new Set(checked.map((v) => v.email.idempotencyKey).filter((k): k is string => k !== undefined))];
  const existing = keys.length ? await deps.repo.findByIdempotencyKeys(source, keys) : new Map();
  const firstWithKey = new Map<string, number>();
  const sameAs = new Map<number, number>();
  const toStore: { index: number; email: NewEmail }[] = [];
  const now = Date.now();
  for (const { index, email } of checked) {
    const key = email.idempotencyKey;
    const before = key === undefined ? undefined : existing.get(key);
    if (before) {
      results[index] = { index, id: before.id, status: before.status, messageId: before.message_id, duplicate: true };
    } else if (key !== undefined && firstWithKey.has(key)) {
      sameAs.set(index, firstWithKey.get(key) as number);
    } else {
      if (key !== undefined) firstWithKey.set(key, index);
      toStore.push({ index, email: newEmail(email, source, postmaster, now) });
    }
  }

  const stored = await store(deps, toStore.map((s) => s.email), source);
  for (const [k, s] of toStore.entries()) results[s.index] = { index: s.index, ...(stored[k] as HandOverResult) };
  for (const [index, first] of sameAs) {
    const r = results[first];
    results[index] = r && 'id' in r ? { ...r, index, duplicate: true } : (r ?? refused(index, []));
  }
  return results;
}

/** Stores the e-mails in one transaction; what each became, in order. */
async function store(deps: BatchDeps, emails: NewEmail[], source: string): Promise<HandOverResult[]> {
  const made = (e: NewEmail, id: number): HandOverResult => ({ id, status: 'pending', messageId: e.row.message_id, duplicate: false });
  try {
    const ids = await deps.repo.insertMany(emails);
    return emails.map((e, k) => made(e, ids[k] as number));
  } catch (err) {
    // Another request stored one of these keys a moment ago (the unique index refused the batch):
    // each again alone, where a refused key finds its e-mail.
    if (!isConstraint(err)) throw err;
    const out: HandOverResult[] = [];
    for (const e of emails) {
      try {
        out.push(made(e, await deps.repo.insert(e)));
      } catch (one) {
        const key = e.row.idempotency_key;
        const found = key !== null && isConstraint(one) ? (await deps.repo.findByIdempotencyKeys(source, [key])).get(key) : undefined;
        if (!found) throw one;
        out.push({ id: found.id, status: found.status, messageId: found.message_id, duplicate: true });
      }
    }
    return out;
  }
}
