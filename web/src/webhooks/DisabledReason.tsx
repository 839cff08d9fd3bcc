// Why a webhook was disabled, in the console's language: the server stores its reason in English
// ("failing since <ISO> (last answer: <status> <the receiver's body>)", webhooks/deliverer.ts);
// the console says it again in its own words, the receiver's answer as the receiver wrote it.
import { useTranslation } from 'react-i18next';
import { dateTimeText } from '../i18n';
import { ServerWords } from '../shell/ServerWords';

const REASON = /^failing since (\S+) \(last answer: (\S+) ([^]*)\)$/;

export function DisabledReason({ reason }: { reason: string }) {
  const { t } = useTranslation();
  const m = REASON.exec(reason);
  // Worded otherwise by a server newer than this console: shown as written, in English.
  if (!m) return <span lang="en">{reason}</span>;
  const [, since = '', status = '', excerpt = ''] = m;
  if (status === 'none') {
    // No answer at all: the words are the connection's error (Node's, in English), not a receiver's.
    return (
      <>
        {t('webhooks.reasonNoAnswer', { since: dateTimeText(since) })} <span lang="en">{excerpt}</span>
      </>
    );
  }
  return (
    <>
      {t('webhooks.reason', { since: dateTimeText(since), status })}
      {excerpt && (
        <>
          {' '}
          {/* A receiver's body: any language. */}
          <ServerWords lang="">{excerpt}</ServerWords>
        </>
      )}
    </>
  );
}
