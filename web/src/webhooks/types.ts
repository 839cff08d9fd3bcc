// The shapes of the webhook API as the console reads them: aliases of the types generated from
// the OpenAPI document (api-types.ts), so the page and the server cannot drift apart.
import type { components } from '../api-types';

type Schemas = components['schemas'];

export const EVENT_TYPES = ['email.sent', 'email.failed', 'email.deferred', 'email.recipient_refused', 'email.cancelled', 'email.held'] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export type WebhookInfo = Schemas['Webhook'];
export type DeliveryInfo = Schemas['WebhookDelivery'];
export type DeliveryPage = Schemas['WebhookDeliveryPage'];
