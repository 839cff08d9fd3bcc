// How the outbox writes addresses, times and statuses.
import type { Address, EmailStatus } from '../types';

export const addressText = (a: Address) => (a.name ? `${a.name} <${a.email}>` : a.email);
export const addressList = (list: Address[]) => list.map(addressText).join(', ');
export const timeText = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

export const STATUS_LABELS: Record<EmailStatus, string> = {
  pending: 'Pending',
  sending: 'Sending',
  sent: 'Sent',
  error: 'Error (retrying)',
  failed: 'Failed',
  held: 'Held',
  cancelled: 'Cancelled',
};
