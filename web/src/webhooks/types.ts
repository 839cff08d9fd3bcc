// The shapes of the webhook API as the console reads them (src/webhooks/service.ts).

export const EVENT_TYPES = ['email.sent', 'email.failed', 'email.deferred', 'email.recipient_refused', 'email.cancelled', 'email.held'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface WebhookInfo {
  id: number;
  url: string;
  events: EventType[];
  scope: 'all' | 'own';
  createdAt: string;
  createdBy: string;
  failingSince: string | null;
  disabledAt: string | null;
  disabledReason: string | null;
}

export interface DeliveryInfo {
  id: number;
  eventId: string;
  type: EventType;
  emailId: number;
  statusVersion: number;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastBodyExcerpt: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export interface DeliveryPage {
  items: DeliveryInfo[];
  nextCursor: string | null;
}
