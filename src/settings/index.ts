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
export { findProblems, findWarnings, secretDaysLeft, type Problem } from './problems.js';
export { PRESETS, PRESET_NAMES, type Preset } from './presets.js';
export { describePem, readPemBundle, type CertificateInfo } from './certificates.js';
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
