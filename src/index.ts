// Postroom as a library: open it on a data directory or a PostgreSQL URL, hand e-mails over,
// change settings, run the sending process.
export { openPostroom, type Postroom, type PostroomOptions } from './app.js';
export { readConfig, ConfigError, type RuntimeConfig } from './config.js';
export { PostroomError, ERROR_CODES, type ErrorCode } from './errors.js';
export { EmailInputError, EmailNotFoundError, EmailStateError, LIMITS, STATUSES, type EmailInput, type HandOverResult } from './queue/index.js';
export { SettingsValidationError, PRESETS, FIELDS, type EmailSettings, type SettingsView } from './settings/index.js';
export { DeliveryError } from './transports/index.js';
export type { CampaignReport } from './dispatcher/index.js';
export { MissingGraphSettingsError, type ComposeResult, type Composed, type CreatedDraft, type DraftInput } from './outlook/index.js';
export { verifySignature, signPayload, SIGNATURE_HEADER, EVENT_ID_HEADER, EMAIL_EVENT_TYPES, type WebhookEventBody, type EmailEventType } from './webhooks/index.js';
