// The e-mail queue: hand-over and its checks, the stored record and its repository, the
// message a route sends, and the administrator actions.
export { Queue, STATUSES, EmailNotFoundError, EmailStateError, type HandOverResult, type EmailSummary, type EmailDetail, type HourTally } from './service.js';
export { EmailInputError, LIMITS, emailInputSchema, type EmailInput, type ValidEmailInput, type Address } from './input.js';
export { EmailRepository, FINISHED, type EmailRow, type AttemptRecord } from './repository.js';
export { composeMessage, composeTestMessage, applySenderPolicy, NoSenderError, type OutgoingMessage, type OutgoingAttachment } from './compose.js';
