// "Test connection" (each step with its result and the server's reply, nothing sent) and
// "Send a test e-mail" (asks for an address, sends now, shows the outcome).
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { call, errorText } from '../api';
import type { ConnectionTest, TestEmailOutcome } from '../types';
import { ServerWords, Worded } from '../shell/ServerWords';

export function TestPanel() {
  const { t } = useTranslation();
  const [test, setTest] = useState<ConnectionTest | null>(null);
  const [testing, setTesting] = useState(false);
  const [testError, setTestError] = useState('');
  const [to, setTo] = useState('');
  const [sending, setSending] = useState(false);
  const [outcome, setOutcome] = useState<TestEmailOutcome | null>(null);
  const [sendError, setSendError] = useState('');

  const runTest = async () => {
    setTesting(true);
    setTest(null);
    setTestError('');
    try {
      setTest(await call<ConnectionTest>('POST', '/settings/email/test-connection', {}));
    } catch (err) {
      setTestError(errorText(err));
    } finally {
      setTesting(false);
    }
  };

  const sendTest = async (e: FormEvent) => {
    e.preventDefault();
    setSending(true);
    setOutcome(null);
    setSendError('');
    try {
      setOutcome(await call<TestEmailOutcome>('POST', '/settings/email/test-email', { to: to.trim() }));
    } catch (err) {
      setSendError(errorText(err));
    } finally {
      setSending(false);
    }
  };

  return (
    <section className="tests" aria-labelledby="tests-title">
      <h2 id="tests-title">{t('tests.title')}</h2>
      <div className="test-block">
        <button type="button" onClick={() => void runTest()} disabled={testing}>
          {testing ? t('tests.testing') : t('tests.testConnection')}
        </button>
        <p className="help">{t('tests.testHelp')}</p>
        {testError && <p className="field-error" role="alert">{testError}</p>}
        {test && (
          <div className="test-result" role="status">
            <p className={test.ok ? 'ok' : 'bad'}>
              {t(test.ok ? 'tests.worksOn' : 'tests.failedOn', { route: test.route })}
            </p>
            <ol className="steps">
              {test.steps.map((s, i) => (
                <li key={i} className={s.ok ? 'ok' : 'bad'}>
                  <strong>{t(`tests.steps.${s.step}`, { defaultValue: s.step })}</strong> {s.ok ? '✓' : '✗'} <Worded text={s.detail} />
                  {s.reply && (
                    <>
                      {' '}
                      {t('config.serverReply')} <ServerWords className="reply">{s.reply}</ServerWords>
                    </>
                  )}
                </li>
              ))}
            </ol>
          </div>
        )}
      </div>
      <form className="test-block" onSubmit={sendTest} noValidate>
        <label htmlFor="test-to">{t('tests.sendTo')}</label>
        <div className="inline">
          <input id="test-to" type="email" autoComplete="email" value={to} onChange={(e) => setTo(e.target.value)} placeholder={t('tests.placeholder')} />
          <button disabled={sending || to.trim() === ''}>{sending ? t('tests.sending') : t('tests.send')}</button>
        </div>
        {sendError && <p className="field-error" role="alert">{sendError}</p>}
        {outcome && (
          <p className={outcome.ok ? 'ok' : 'bad'} role="status">
            {t(outcome.ok ? 'tests.sentThrough' : 'tests.notSentThrough', { route: outcome.route })} <span className="reply">
              <Worded text={outcome.reply} />
            </span>
          </p>
        )}
      </form>
    </section>
  );
}
