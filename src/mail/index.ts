// Addresses, the sender policy and the outgoing message with its one builder: what the queue,
// the transports and the Outlook drafts share, depending on nothing else in Postroom.
export { address, uniqueMailboxes, whyInvalid, type Address } from './address.js';
export { applySenderPolicy, NoSenderError, type SenderPolicy, type SenderPolicyResult } from './sender-policy.js';
export { buildMessage, type MessageParts, type OutgoingMessage, type OutgoingAttachment } from './message.js';
export { ReportTags, readReportTag, REPORT_TAG_HEADER } from './report-tag.js';
export { lineText } from './line-text.js';
