// Access: the administrator account and its sessions, API tokens for host applications,
// and the throttle on failed logins.
export { AdminAccounts, ADMIN, type AdminState } from './admins.js';
export { Sessions, sameSecret, SESSION_LIFETIME_MS, SESSION_IDLE_MS, type Session, type SessionTimes } from './sessions.js';
export { ApiTokens, TokenNameError, tokenSource, TOKEN_PREFIX, type TokenInfo, type TokenCaller } from './tokens.js';
export { LoginThrottle, DEFAULT_THROTTLE, type ThrottleOptions } from './throttle.js';
export { PasswordPolicyError, MIN_PASSWORD_LENGTH } from './passwords.js';
