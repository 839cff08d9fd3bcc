// PEM blocks (-----BEGIN X----- … -----END X-----) found in linear time. A regular expression
// with a lazy body tried every BEGIN against the rest of the text: 400 KB of BEGIN lines took 14 s.

export interface PemBlock {
  /** CERTIFICATE, PRIVATE KEY, RSA PRIVATE KEY, … */
  label: string;
  /** The whole block, BEGIN and END lines included. */
  text: string;
  /** What lies between the BEGIN and END lines (base64 and line breaks, or anything in a damaged block). */
  body: string;
  start: number;
  end: number;
}

const LABEL = /^[A-Z0-9 ]{1,64}-----/;

/** Positions of `-----<word> LABEL-----` markers, by label, in one pass. */
function markers(text: string, word: 'BEGIN' | 'END'): { at: number; label: string; after: number }[] {
  const found: { at: number; label: string; after: number }[] = [];
  const head = `-----${word} `;
  for (let at = text.indexOf(head); at >= 0; at = text.indexOf(head, at + 1)) {
    const start = at + head.length;
    const m = LABEL.exec(text.slice(start, start + 70));
    if (m) found.push({ at, label: m[0].slice(0, -5), after: start + m[0].length });
  }
  return found;
}

/** The blocks of `text` in order, each a BEGIN with the first matching END after it; a BEGIN without one is no block. */
export function pemBlocks(text: string): PemBlock[] {
  const ends = new Map<string, number[]>();
  for (const e of markers(text, 'END')) {
    const list = ends.get(e.label) ?? [];
    list.push(e.at);
    ends.set(e.label, list);
  }
  // Per label, the first END not yet passed: the scan only moves forward, so each END is looked at once.
  const next = new Map<string, number>();
  const blocks: PemBlock[] = [];
  let from = 0;
  for (const b of markers(text, 'BEGIN')) {
    if (b.at < from) continue;
    const list = ends.get(b.label) ?? [];
    let i = next.get(b.label) ?? 0;
    while (i < list.length && (list[i] as number) < b.after) i++;
    next.set(b.label, i);
    const end = list[i];
    if (end === undefined) continue;
    const close = end + `-----END ${b.label}-----`.length;
    blocks.push({ label: b.label, text: text.slice(b.at, close), body: text.slice(b.after, end), start: b.at, end: close });
    from = close;
  }
  return blocks;
}

/** The text outside every block (what a bundle must not hold). */
export function outsidePemBlocks(text: string, blocks: PemBlock[]): string {
  let out = '';
  let at = 0;
  for (const b of blocks) {
    out += text.slice(at, b.start);
    at = b.end;
  }
  return out + text.slice(at);
}
