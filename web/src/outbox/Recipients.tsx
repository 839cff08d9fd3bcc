// Every recipient of an e-mail with what became of it: the relay's answer, then what a delivery
// report from the postmaster's mailbox said (bounced, with its type and the server's words; delayed).
import { useTranslation } from 'react-i18next';
import type { Recipient } from '../types';
import { timeText } from './format';
import { ServerWords, Worded } from '../shell/ServerWords';

/** " · 1 of 2 bounced" beside a status that is not bounced itself (some recipients did get it). */
export function BouncedNote({ recipients }: { recipients: Recipient[] }) {
  const { t } = useTranslation();
  const bounced = recipients.filter((r) => r.state === 'bounced').length;
  if (bounced === 0) return null;
  return <span className="bounced-note"> · {t('recipients.someBounced', { count: bounced, n: bounced, total: recipients.length })}</span>;
}

export function Recipients({ recipients }: { recipients: Recipient[] }) {
  const { t } = useTranslation();
  if (recipients.length === 0) return null;
  return (
    <section aria-labelledby="recipients-title">
      <h2 id="recipients-title">{t('recipients.title')}</h2>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('recipients.recipient')}</th>
              <th scope="col">{t('recipients.state')}</th>
              <th scope="col">{t('recipients.detail')}</th>
            </tr>
          </thead>
          <tbody>
            {recipients.map((r) => (
              <tr key={r.recipient}>
                <td>{r.recipient}</td>
                <td>
                  <span className={`badge ${r.state}`}>{t(`recipients.states.${r.state}`)}</span>
                  {r.bounce && <div>{t(`recipients.types.${r.bounce.type}`)}</div>}
                </td>
                <td className="reply">
                  {r.bounce ? (
                    <>
                      {t('recipients.bouncedAt', { when: timeText(r.bounce.reportedAt), mta: r.bounce.remoteMta ?? r.bounce.reportingMta ?? '—' })}{' '}
                      <strong>{r.bounce.status}</strong> {r.bounce.diagnostic && <ServerWords>{r.bounce.diagnostic}</ServerWords>}
                    </>
                  ) : (
                    <Worded text={r.reply} />
                  )}
                  {r.delayed && (
                    <div>
                      {t('recipients.delayedAt', { when: timeText(r.delayed.reportedAt) })} <strong>{r.delayed.status}</strong> {r.delayed.diagnostic && <ServerWords>{r.delayed.diagnostic}</ServerWords>}
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
