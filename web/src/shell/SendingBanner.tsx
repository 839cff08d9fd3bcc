// On every page while sending is stopped: why (with the server's reply), since when, how many
// e-mails wait, and what makes sending resume, linked to the setting to fix; and while the database
// does not take writes (a full disk, a database that keeps failing), that first.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, CHANGED_EVENT } from '../api';
import { dateTimeText } from '../i18n';
import { Link, useLocation } from '../router';
import type { SendingState } from '../types';
import { ServerWords, Worded } from './ServerWords';

const POLL_MS = 15_000;

export function SendingBanner() {
  const { t } = useTranslation();
  const [state, setState] = useState<SendingState | null>(null);
  const path = useLocation();
  useEffect(() => {
    let live = true;
    const read = () =>
      call<SendingState>('GET', '/sending').then(
        (s) => live && setState(s),
        () => undefined, // the page itself reports a lost session or server
      );
    void read();
    const timer = setInterval(() => void read(), POLL_MS);
    // A save says at once what it changed: the server answers from the settings as they are now.
    const onChange = () => void read();
    window.addEventListener(CHANGED_EVENT, onChange);
    return () => {
      live = false;
      clearInterval(timer);
      window.removeEventListener(CHANGED_EVENT, onChange);
    };
  }, []);
  if (!state) return null;
  if (state.storage.failing) return <StorageBanner storage={state.storage} />;
  if (state.state === 'sending') return null;
  // Configuration > Email has its own banner for a switched-off or incomplete configuration, each
  // problem linked to its field: one banner says it there, not two.
  if (path.split(/[?#]/)[0] === '/config/email' && (state.cause === 'disabled' || state.cause === 'incomplete')) return null;
  return (
    <section className="banner problems sending-stopped" role="alert" aria-labelledby="sending-stopped-title">
      <h2 id="sending-stopped-title">{state.state === 'no-process' ? t('sending.noProcessTitle') : t('sending.stoppedTitle')}</h2>
      {state.state === 'no-process' ? (
        <p>{t('sending.noProcessText', { count: state.waiting })}</p>
      ) : (
        <>
          {/* Postroom's sentence in the console's language; the relay's reply inside it as the relay wrote it. */}
          <p className="reason">
            <Worded text={state.reason} />
          </p>
          <p>
            {state.since ? t('sending.since', { time: dateTimeText(state.since) }) + ' ' : ''}
            {t('sending.waiting', { count: state.waiting })}
            {state.resumesWhen ? ' ' + t('sending.resumes', { when: state.resumesWhen }) : ''}
          </p>
        </>
      )}
      {state.setting && (
        <p>
          <Link href={`/config/email#field-${state.setting}`}>{t('sending.fix')}</Link>
        </p>
      )}
    </section>
  );
}

/** The database does not take writes: hand-overs are refused (and kept by the host applications), sending waits. */
function StorageBanner({ storage }: { storage: SendingState['storage'] }) {
  const { t } = useTranslation();
  return (
    <section className="banner problems storage-failing" role="alert" aria-labelledby="storage-failing-title">
      <h2 id="storage-failing-title">{storage.kind === 'full' ? t('sending.storageFullTitle') : t('sending.storageFailingTitle')}</h2>
      {storage.error && (
        <p className="reason">
          <ServerWords lang="">{storage.error}</ServerWords>
        </p>
      )}
      <p>
        {storage.since ? t('sending.since', { time: dateTimeText(storage.since) }) + ' ' : ''}
        {storage.kind === 'full' ? t('sending.storageFullText') : t('sending.storageFailingText')}
      </p>
    </section>
  );
}
