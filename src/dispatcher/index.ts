// The sending process: the loop (dispatcher.ts), the pipeline of slots and claims, route health,
// maintenance on its own timer, the retry back-off, and the status board each process reports to.
export { Dispatcher, DEFAULT_LEASE_MS, type DispatcherObserver, type DispatcherOptions, type CampaignReport, type CampaignOutcome } from './dispatcher.js';
export { backoffDelay, decideRetry, DEFAULT_BACKOFF, type BackoffPolicy } from './retry.js';
export { StatusBoard, type InstanceStatus } from './status.js';
export type { RouteState } from './route-health.js';
export type { SendingPolicy } from './policy.js';
export { describeSending, sendingNow, type SendingState, type SendingSources } from './sending-state.js';
export { sendingIn } from './sending-words.js';
export { waitingReason, type WaitingEmail, type WaitingReason, type WaitingKind } from './waiting.js';
export { OUTCOMES_IN_WRITING_PER_SLOT } from './pipeline.js';
