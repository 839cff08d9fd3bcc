// Addresses as people type them on a command line ("Alice <alice@example.org>", several separated
// by commas), read with nodemailer's addressparser, and a refusal that says what is wrong with one.
import addressparser from 'nodemailer/lib/addressparser';
import { emailAddress } from '../settings/index.js';
import { whyInvalid, type Address } from '../mail/index.js';
import { PostroomError } from '../errors.js';

export interface ParsedOption {
  address: Address;
  /** The option value it came from, to name it in an error. */
  source: string;
}

/** A value the user gave, quoted for an error message: control characters visible, long ones cut. */
export function quoteValue(value: string, max = 60): string {
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(cut);
}

/** An address option the user typed is not an address: names the option and the value. */
export class AddressOptionError extends PostroomError {
  override name = 'AddressOptionError';
  readonly code = 'invalid_request';
  constructor(
    readonly option: string,
    reason: string,
  ) {
    super(reason);
  }
  override get publicMessage() {
    return `e-mail refused, nothing stored: ${this.message}`;
  }
  override get fields() {
    return [{ field: this.option.replace(/^--/, ''), message: this.message }];
  }
}

/** Every address of the option's values; throws naming the option and value when one is not valid. */
export function parseAddressOption(option: string, values: string[]): ParsedOption[] {
  const out: ParsedOption[] = [];
  for (const value of values) {
    const parsed = addressparser(value, { flatten: true });
    if (parsed.length === 0) throw new AddressOptionError(option, `${option} ${quoteValue(value)}: no e-mail address in it`);
    for (const entry of parsed) {
      const email = entry.address.trim();
      if (!emailAddress.safeParse(email).success) {
        const shown = parsed.length > 1 ? ` (${quoteValue(email || entry.name)} in it)` : '';
        throw new AddressOptionError(option, `${option} ${quoteValue(value)}${shown}: is not a valid e-mail address (${whyInvalid(email, entry.name)})`);
      }
      const name = entry.name.trim();
      out.push({ address: name ? { email, name } : { email }, source: value });
    }
  }
  return out;
}

