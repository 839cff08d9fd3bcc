// Bounce processing: the postmaster's mailbox read (IMAP or Microsoft Graph), delivery reports
// understood (RFC 3464, plain-text fallbacks) and matched to their e-mails and recipients.
export { BounceChecker, REPORT_HEAD_BYTES, type CheckerOptions, type CheckOutcome, type CheckerObserver, type MailboxCheckStatus } from './checker.js';
export { emptyCounts, type CheckCounts } from './check-state.js';
export { readReport, mayBeReport, recipientsInText, type ParsedReport, type Reading, type ReportEvidence } from './report.js';
export { readDeliveryStatus, enhancedStatus, type DeliveryStatus, type RecipientStatus } from './delivery-status.js';
export { classify, type Classified } from './classify.js';
export { matchReport, type Match, type ReportLookup } from './match.js';
export { openImapMailbox, EXCHANGE_IMAP_HELP } from './imap-mailbox.js';
export { openGraphMailbox } from './graph-mailbox.js';
export { MailboxError, type MailboxSession, type ReportFolder } from './mailbox.js';
