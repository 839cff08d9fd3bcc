// How the outbox writes addresses, times and statuses.
import i18next, { dateTimeText } from '../i18n';
import type { Address, EmailStatus } from '../types';

export const addressText = (a: Address) => (a.name ? `${a.name} <${a.email}>` : a.email);
export const addressList = (list: Address[]) => list.map(addressText).join(', ');
export const timeText = (iso: string | null) => dateTimeText(iso);

/** A status as the console's language names it. */
export const statusLabel = (s: EmailStatus): string => i18next.t(`status.${s}`);
