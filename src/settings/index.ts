// Configuration > Email: the settings, their rules, presets and secret sealing.
export {
  FIELDS,
  SETTING_KEYS,
  SECRET_KEYS,
  isSettingKey,
  emailAddress,
  fieldCatalogue,
  type EmailSettings,
  type SettingKey,
  type FieldInfo,
  type RouteKind,
} from './fields.js';
export { findProblems, findWarnings, secretDaysLeft, certificateDaysLeft, type Problem } from './problems.js';
export { CLOUDS, CLOUD_NAMES, cloudOf, isCloudName, UPLOAD_SESSION_MIN_BYTES, UPLOAD_SESSION_MAX_BYTES, type CloudName, type MicrosoftCloud } from './clouds.js';
export { readClientCertificate, certificateProblem, type ClientCertificate } from './certificate.js';
export { readGoogleServiceAccountKey, googleKeyProblem, describeGoogleKey, type GoogleServiceAccountKey } from './google-key.js';
export { routeKind, activeRoutes, googleDelegatedUser, needsMicrosoftApp, missingMicrosoftApp, draftsMailbox, filesRouteCannotCarry, MICROSOFT_APP_KEYS, type SendingRoute, type CarriedFile, type RefusedFile } from './routes.js';
export { SECRET_BINDINGS, type ClearedSecret } from './bindings.js';
export { PRESETS, PRESET_NAMES, type Preset } from './presets.js';
export { bounceMailbox, defaultImapHost, type BounceMailbox, type MailboxPlan } from './mailbox.js';
export { describePem, expiryWarnings, readPemBundle, type CertificateInfo } from './certificates.js';
export { translateMessage, translateProblems, refusedPreamble, messageId, FRENCH_LABELS, MESSAGES, type Language } from './messages.js';
export { Sealer, loadMasterKey, parseMasterKey, MasterKeyError } from './secrets.js';
export {
  SettingsService,
  SettingsValidationError,
  coerceSettingText,
  type SettingsView,
  type PublicSettings,
  type AuditEntry,
  type FieldError,
} from './service.js';
