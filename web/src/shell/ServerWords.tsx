// What another server wrote (an SMTP server's reply, a webhook receiver's answer, a delivery
// report's diagnostic) shown as it wrote it, marked as such in the page: class server-words,
// translate="no" (a browser's translator must not change what the server said: the administrator
// quotes it to its operator, searches for it) and lang for its language.
//
// The language: an SMTP reply's text is English in practice (RFC 5321's own replies, Postfix,
// Exchange, Gmail), so lang="en" lets a screen reader read it with an English voice inside a French
// page. A webhook receiver's body, a database's or a report's words may be in any language: they
// get lang="" (the language is unknown, HTML's own value for that), which no reader mistakes for
// the page's French.
import type { ReactNode } from 'react';

export function ServerWords({ children, lang = 'en', className }: { children: ReactNode; lang?: string; className?: string }) {
  return (
    <span className={className ? `server-words ${className}` : 'server-words'} lang={lang} translate="no">
      {children}
    </span>
  );
}

/**
 * Where an SMTP server's reply sits inside one of Postroom's sentences ("… failed: 535 5.7.8 …",
 * "… a échoué : 535 5.7.8 … (vérifiez …)"): from its reply code, after a colon or at the start, to
 * the end, less Postroom's own tail after it (advice in parentheses, "; nothing was sent…").
 */
export function replyIn(text: string): { before: string; reply: string; after: string } | null {
  const m = /(^|: )([2-5]\d\d)(?=[ -]|$)/.exec(text);
  if (!m) return null;
  const start = m.index + (m[1] ?? '').length;
  let end = text.length;
  // A French tail after a reply starts with a no-break space before its semicolon (no server writes one).
  const semicolon = text.indexOf('\u00a0; ', start);
  if (semicolon >= 0) end = semicolon;
  else if (text.endsWith('; nothing was sent in plain text')) end = text.length - '; nothing was sent in plain text'.length;
  // Advice in parentheses at the very end: Postroom's, not the server's.
  if (text[end - 1] === ')') {
    let depth = 0;
    for (let i = end - 1; i > start; i--) {
      if (text[i] === ')') depth++;
      else if (text[i] === '(' && --depth === 0) {
        if (text[i - 1] === ' ' && i - 1 > start + 3) end = i - 1;
        break;
      }
    }
  }
  return { before: text.slice(0, start), reply: text.slice(start, end), after: text.slice(end) };
}

/** One of Postroom's sentences (already in the console's language), its server's reply marked. */
export function Worded({ text }: { text: string | null | undefined }) {
  if (!text) return null;
  const parts = replyIn(text);
  if (!parts) return <>{text}</>;
  return (
    <>
      {parts.before}
      <ServerWords>{parts.reply}</ServerWords>
      {parts.after}
    </>
  );
}
