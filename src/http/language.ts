// Which of Postroom's languages a request asks for: the first of its Accept-Language tags
// (by quality) that Postroom speaks, English otherwise; and a settings view worded in it.
import type { FastifyRequest } from 'fastify';
import { translateProblems, type SettingsView } from '../settings/index.js';
import { translate } from '../transports/index.js';
export const LANGUAGES = ['en', 'fr'] as const;
export type Language = (typeof LANGUAGES)[number];

export function preferredLanguage(header: string | string[] | undefined): Language {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  const tags = value
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((x) => x !== undefined);
      return { base: tag.trim().toLowerCase().split('-')[0] ?? '', q: q === undefined ? 1 : Number(q), i };
    })
    .filter((t) => t.base && t.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  return (tags.find((t) => (LANGUAGES as readonly string[]).includes(t.base))?.base as Language | undefined) ?? 'en';
}

/** The settings view with its problems and warnings in the request's language. */
export async function viewFor(req: FastifyRequest, view: SettingsView | Promise<SettingsView>): Promise<SettingsView> {
  const v = await view;
  const lang = preferredLanguage(req.headers['accept-language']);
  return { ...v, problems: translateProblems(v.problems, lang), warnings: translateProblems(v.warnings, lang) };
}

/** What Postroom wrote about an e-mail's sending (its failures), in the request's language; servers' replies stay as written. */
export function sendingWordsIn<
  E extends {
    lastReply: string | null;
    recipients?: { reply: string | null }[];
    attemptLog?: { reply: string | null }[];
    waitingReason?: { reason: string | null } | null;
  },
>(email: E, lang: Language): E {
  if (lang === 'en') return email;
  const say = (text: string | null) => (text === null ? null : translate(text, lang));
  return {
    ...email,
    lastReply: say(email.lastReply),
    ...(email.recipients ? { recipients: email.recipients.map((r) => ({ ...r, reply: say(r.reply) })) } : {}),
    ...(email.attemptLog ? { attemptLog: email.attemptLog.map((a) => ({ ...a, reply: say(a.reply) })) } : {}),
    ...(email.waitingReason ? { waitingReason: { ...email.waitingReason, reason: say(email.waitingReason.reason) } } : {}),
  };
}
