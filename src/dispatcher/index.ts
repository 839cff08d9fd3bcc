// The sending process: campaigns, paced claims, retries with back-off, expiry, purge, start-up
// hold, and the status board where each running process reports.
export { Dispatcher, type DispatcherObserver, type DispatcherOptions, type CampaignReport, type CampaignOutcome } from './dispatcher.js';
export { backoffDelay, decideRetry, DEFAULT_BACKOFF, type BackoffPolicy } from './retry.js';
export { StatusBoard, type InstanceStatus } from './status.js';
