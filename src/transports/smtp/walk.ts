// The route check and Test connection: one recorded walk over the session that sends (connect,
// STARTTLS, AUTH, MAIL FROM, RCPT TO, RSET; never DATA), each failure read by the one classifier.
import { DeliveryError } from '../route.js';
import { say } from '../../i18n/index.js';
import { classify, type FailureContext } from './classify.js';
import { firstLine, isSenderRefusedAtRcpt } from './replies.js';
import { SmtpSession, SmtpStageError, type SessionOptions } from './session.js';
import { STEPS } from './words.js';

export type StepName = 'token' | 'connect' | 'starttls' | 'auth' | 'sender' | 'recipient';

export interface DiagnosisStep {
  step: StepName;
  ok: boolean;
  /** What happened, in a sentence an administrator can act on. */
  detail: string;
  /** The server's reply, when it gave one. */
  reply?: string;
}

export interface Diagnosis {
  ok: boolean;
  route: string;
  steps: DiagnosisStep[];
}

/** The walk's steps, and the first failure as the sending process reads it (always the route's). */
export interface Walk {
  steps: DiagnosisStep[];
  failure: DeliveryError | null;
}

/** The step a failure to open the session belongs to. */
function failedStep(err: unknown, o: SessionOptions): StepName {
  if (!(err instanceof SmtpStageError)) return 'connect';
  if (err.stage === 'auth') return 'auth';
  const e = err.cause as { command?: string; code?: string };
  return !o.implicitTls && (e.command === 'STARTTLS' || e.code === 'ETLS') ? 'starttls' : 'connect';
}

const replyOf = (err: unknown): string | undefined => {
  const cause = err instanceof SmtpStageError ? err.cause : err;
  const response = (cause as { response?: unknown }).response;
  return typeof response === 'string' && response ? firstLine(response) : undefined;
};

/**
 * Walks the route as the sending process would open it. `sender` null: the walk ends after AUTH
 * (no address to try). `recipient` null (the route check): RCPT TO asks for the sender itself,
 * so that a server that judges senders at RCPT TO (Postfix) gives its answer.
 */
export async function walk(o: SessionOptions, ctx: FailureContext, sender: string | null, recipient: string | null): Promise<Walk> {
  const where = ctx.where;
  const steps: DiagnosisStep[] = [];
  const failed = (step: StepName, err: unknown, reply = replyOf(err)): Walk => {
    const c = classify(err, ctx);
    // Whatever the check meets, every e-mail would meet it: the route's failure.
    const failure = c.scope === 'route' ? c : new DeliveryError(c.message, c.kind, 'route', c.replyCode, c.rejected);
    steps.push({ step, ok: false, detail: failure.message, ...(reply ? { reply } : {}) });
    return { steps, failure };
  };

  const replies: string[] = [];
  const greeted = () => (replies[0] ? { reply: firstLine(replies[0]) } : {});
  let session: SmtpSession;
  try {
    session = await SmtpSession.open(o, replies);
  } catch (err) {
    const step = failedStep(err, o);
    // The steps passed before the one that failed.
    if (step !== 'connect') steps.push({ step: 'connect', ok: true, detail: o.implicitTls ? say(STEPS.connectedTls, { where, protocol: 'TLS' }) : say(STEPS.connected, { where }), ...greeted() });
    if (step === 'auth' && !o.implicitTls) steps.push(tlsStep(o, null));
    return failed(step, err);
  }
  try {
    const protocol = session.secureProtocol;
    steps.push({
      step: 'connect',
      ok: true,
      detail: o.implicitTls ? say(STEPS.connectedTls, { where, protocol: protocol ?? 'TLS' }) : say(STEPS.connected, { where }),
      ...greeted(),
    });
    if (!o.implicitTls) steps.push(tlsStep(o, protocol));
    const user = o.signIn?.user;
    if (!user) steps.push({ step: 'auth', ok: true, detail: say(STEPS.noUser) });
    else {
      const detail = o.signIn?.kind === 'xoauth2' ? say(STEPS.signedInOAuth, { user }) : say(STEPS.signedIn, { user });
      steps.push({ step: 'auth', ok: true, detail, ...(session.signInReply ? { reply: firstLine(session.signInReply.text) } : {}) });
    }
    if (sender === null) return { steps, failure: null };

    let envelope;
    try {
      envelope = await session.envelope(sender, recipient ?? sender);
    } catch (err) {
      return failed('sender', err);
    }
    const rcpt = envelope.rcpt;
    if (rcpt && rcpt.code >= 400 && isSenderRefusedAtRcpt(rcpt.text)) {
      const refusal = Object.assign(new Error(rcpt.text), { rejectedErrors: [{ recipient: recipient ?? sender, responseCode: rcpt.code, response: rcpt.text }] });
      return failed('sender', new SmtpStageError('envelope', refusal, false), firstLine(rcpt.text));
    }
    steps.push({ step: 'sender', ok: true, detail: say(STEPS.maySend, { sender }), reply: firstLine(envelope.mail.text) });
    if (recipient !== null && rcpt) {
      const ok = rcpt.code === 250 || rcpt.code === 251;
      steps.push({ step: 'recipient', ok, detail: say(ok ? STEPS.recipientAccepted : STEPS.recipientRefused, { recipient }), reply: firstLine(rcpt.text) });
    }
    return { steps, failure: null };
  } finally {
    session.close();
  }
}

function tlsStep(o: SessionOptions, protocol: string | null): DiagnosisStep {
  return o.startTls ? { step: 'starttls', ok: true, detail: say(STEPS.encrypted, { protocol: protocol ?? 'TLS' }) } : { step: 'starttls', ok: true, detail: say(STEPS.plainText) };
}
