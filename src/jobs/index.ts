// What every kind of retried work shares (e-mails, webhook deliveries): the back-off between tries.
export { backoffDelay, type BackoffPolicy } from './backoff.js';
