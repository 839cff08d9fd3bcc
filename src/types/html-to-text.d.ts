// The part of html-to-text (10.x, which ships no types) that Postroom uses: convert() and the
// options src/mail/text-alternative.ts passes. See the package's README for the full options.
declare module 'html-to-text' {
  export interface SelectorDefinition {
    selector: string;
    format?: string;
    options?: Record<string, unknown>;
  }
  export interface HtmlToTextOptions {
    wordwrap?: number | false | null;
    selectors?: SelectorDefinition[];
    limits?: { maxInputLength?: number };
  }
  export function convert(html: string, options?: HtmlToTextOptions): string;
}
