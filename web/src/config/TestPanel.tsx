// "Test connection" (each step with its result and the server's reply, nothing sent) and
// "Send a test e-mail" (asks for an address, sends now, shows the outcome).
import { useState, type FormEvent } from 'react';
import { call, errorText } from '../api';
import type { ConnectionTest, TestEmailOutcome } from '../types';

export function TestPanel() {
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
      <h2 id="tests-title">Check the route</h2>
      <div className="test-block">
        <button type="button" onClick={() => void runTest()} disabled={testing}>
          {testing ? 'Testing…' : 'Test connection'}
        </button>
        <p className="help">Connects, upgrades, signs in and checks the sender, without sending anything.</p>
        {testError && <p className="field-error" role="alert">{testError}</p>}
        {test && (
          <div className="test-result" role="status">
            <p className={test.ok ? 'ok' : 'bad'}>
              {test.ok ? 'Connection works' : 'Connection failed'}: {test.route}
            </p>
            <ol className="steps">
              {test.steps.map((s, i) => (
                <li key={i} className={s.ok ? 'ok' : 'bad'}>
                  <strong>{s.step}</strong> {s.ok ? '✓' : '✗'} {s.detail}
                  {s.reply && (
                    <>
                      {' '}
                      — server: <span className="reply">{s.reply}</span>
                    </>
                  )}
                </li>
              ))}
            </ol>
          </div>
        )}
      </div>
      <form className="test-block" onSubmit={sendTest} noValidate>
        <label htmlFor="test-to">Send a test e-mail to</label>
        <div className="inline">
          <input id="test-to" type="email" autoComplete="email" value={to} onChange={(e) => setTo(e.target.value)} placeholder="you@example.com" />
          <button disabled={sending || to.trim() === ''}>{sending ? 'Sending…' : 'Send a test e-mail'}</button>
        </div>
        {sendError && <p className="field-error" role="alert">{sendError}</p>}
        {outcome && (
          <p className={outcome.ok ? 'ok' : 'bad'} role="status">
            {outcome.ok ? 'Sent' : 'Not sent'} through {outcome.route}: <span className="reply">{outcome.reply}</span>
          </p>
        )}
      </form>
    </section>
  );
}
