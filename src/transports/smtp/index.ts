// SMTP: one session (session.ts) that sends, checks the route and runs Test connection, one
// reading of its failures (classify.ts), and the route built on them (route.ts).
export { createSmtpRoute, EXCHANGE_SMTP_HOST, type SmtpRoute, type RouteOptions, type SmtpTimeouts, type XOAuth2, type XOAuth2Tokens } from './route.js';
export { classify, exchangeAdvice, type FailureContext } from './classify.js';
export { enhancedCode, isAuthRequired, isSenderRefusal, isTooManyRecipients, isPermanent } from './replies.js';
export type { Diagnosis, DiagnosisStep, StepName } from './walk.js';
export { SmtpStageError, SignInRefused, type SmtpStage } from './session.js';
export { HINTS as SMTP_HINTS } from './words.js';
