// The one job engine of e-mails and webhook deliveries, each with its own table and rules: claiming
// (skipLocked), leases and their renewal, the back-off between tries, the purge schedule, the loop.
export { backoffDelay, type BackoffPolicy } from './backoff.js';
export { skipLocked, type Lockable } from './claim.js';
export { Leases, type LeaseOptions } from './leases.js';
export { PollLoop } from './loop.js';
export { PurgeSchedule, type Purge, type PurgeScheduleOptions } from './purge.js';
