// Webhooks: host applications learn what happened to their e-mails, signed, durable, retried.
// The queue records events in its own transactions; the deliverer sends them on its own timer.
export { recordEmailEvents, emailEventsFromPostgres, EMAIL_EVENT_SQLITE, eventForStatus, EVENT_SOURCE_COLUMNS, EMAIL_EVENT_TYPES, type EmailEvent, type EmailEventType, type StatusEventType, type ReportEventType } from './events.js';
export { verifySignature, signPayload, SIGNATURE_HEADER, EVENT_ID_HEADER, DEFAULT_TOLERANCE_SECONDS } from './signature.js';
export { Webhooks, WebhookInputError, WebhookNotFoundError, webhookInputSchema, type WebhookInfo, type DeliveryInfo, type WebhookViewer } from './service.js';
export { WebhookDeliverer, type DelivererOptions, type RoundReport } from './deliverer.js';
export { addressRefusal, parseWebhookUrl, checkWebhookTarget, WebhookAddressError } from './address.js';
export type { WebhookEventBody } from './payload.js';
