// The text/plain alternative of an e-mail the host handed over with an HTML body only: a lone
// text/html part scores as spam (SpamAssassin's MIME_HTML_ONLY), and some readers show text only.
import { convert } from 'html-to-text';

const OPTIONS = {
  wordwrap: 78,
  selectors: [
    // Links stay readable and usable: "the invoice [https://…]", the address once when it is the text.
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true, noAnchorUrl: true } },
    // An image says nothing in text; its address would be noise.
    { selector: 'img', format: 'skip' },
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
    { selector: 'table', format: 'dataTable' },
  ],
};

/** Plain text for an HTML body; undefined when the host gave its own text or there is no HTML. */
export function textAlternative(text: string | null | undefined, html: string | null | undefined): string | undefined {
  if (text !== null && text !== undefined) return text;
  if (!html) return undefined;
  return convert(html, OPTIONS).trim();
}
