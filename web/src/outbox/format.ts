// How the outbox writes addresses, times and statuses.
import { useEffect, useState } from 'react';
import { call } from '../api';
import i18next, { dateTimeText } from '../i18n';
import type { Address, EmailStatus } from '../types';

export const addressText = (a: Address) => (a.name ? `${a.name} <${a.email}>` : a.email);
export const addressList = (list: Address[]) => list.map(addressText).join(', ');
export const timeText = (iso: string | null) => dateTimeText(iso);

/** A status as the console's language names it. */
export const statusLabel = (s: EmailStatus): string => i18next.t(`status.${s}`);

let postmasterRead: Promise<string> | null = null;

/** The postmaster's address, read once per page load: an e-mail without a sender goes out from it. */
export function usePostmaster(): string {
  const [address, setAddress] = useState('');
  useEffect(() => {
    postmasterRead ??= call<{ settings: { postmaster?: unknown } }>('GET', '/settings/email').then(
      (v) => (typeof v.settings.postmaster === 'string' ? v.settings.postmaster : ''),
      () => '',
    );
    let live = true;
    void postmasterRead.then((a) => live && setAddress(a));
    return () => {
      live = false;
    };
  }, []);
  return address;
}
