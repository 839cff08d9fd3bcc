// Sending routes behind one interface: SMTP with a password (or none), SMTP with XOAUTH2 and a
// Microsoft or Google token, and Microsoft Graph.
export { createRoute, endpointsFor, isSmtpRoute, routeFingerprint, type RouteOptions } from './create.js';
export { testConnection, type ConnectionTest } from './test-connection.js';
export { DeliveryError, type Route, type RouteName, type DeliveryReport, type RejectedRecipient, type FailureKind, type FailureScope } from './route.js';
export { classify as classifySmtpFailure, isPermanent as isPermanentReply, EXCHANGE_SMTP_HOST, type Diagnosis, type DiagnosisStep, type SmtpRoute, type SmtpTimeouts } from './smtp/index.js';
export { translate, type Language } from '../i18n/index.js';
export { microsoftEndpoints, tokenProviderFor, tokenRoles, credentialsOf, TokenProvider, type MicrosoftEndpoints, type OAuthCredentials } from './oauth.js';
export { readAadsts } from './aadsts.js';
export { smtpTrust, microsoftTrust } from './trust.js';
export { parseJson, type HttpsAnswer } from './https.js';
export { GraphClient, graphFailure, planAttachments, needsDraft, type AttachmentPlan, type Draft, type GraphConfig } from './graph-client.js';
export { missingGraphPermissions } from './graph.js';
export { mailboxSlotsFor, withSlot, ProcessSlots, DatabaseSlots, GRAPH_SLOTS_PER_MAILBOX, type MailboxSlots } from './graph-slots.js';
export { GoogleTokenProvider, googleTokenProviderFor, googleTokenUrl, GMAIL_SCOPE, GMAIL_SMTP_HOST, GMAIL_IMAP_HOST, GOOGLE_TOKEN_URL } from './google.js';


