// The e-mail queue: hand-over and its checks, the stored record and its repository, the
// message a route sends, and the administrator actions.
export { Queue, STATUSES, EmailNotFoundError, EmailStateError, type HandOverResult, type EmailSummary, type EmailDetail, type HourTally, type RetryFilter } from './service.js';
export { BATCH_MAX_EMAILS, type BatchItemResult } from './batch.js';
export { EmailInputError, LIMITS, emailInputSchema, parseEmailInput, type EmailInput, type ValidEmailInput, type Address } from './input.js';
export { EmailRepository, type EmailRow, type AttemptRecord } from './repository.js';
export { EmailLifecycle, type Lease, type Outcome } from './lifecycle.js';
export { TRANSITIONS, FINISHED, type Verb } from './states.js';
export {
  mergeRecipients,
  settledRecipients,
  parseRecipients,
  deferredSummary,
  recipientViews,
  bouncedSummary,
  parseReports,
  REPORT_ACTIONS,
  type RecipientOutcome,
  type RecipientState,
  type RecipientView,
  type RecipientReport,
  type ReportAction,
  type BounceType,
} from './recipients.js';
export { DeliveryReports, RAW_REPORT_CHARS, type ReportTarget, type MatchedBy, type NewReport, type RecordedReport, type StoredReport } from './reports.js';
export { composeMessage, composeTestMessage } from './compose.js';
