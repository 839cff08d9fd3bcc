// One line of text that goes into a header or onto a terminal: a subject, a display name, a file
// name. No line break (header injection) and no other control character (terminal escapes).
import { z } from 'zod';

const noLineBreak = (s: string) => !/[\r\n\u0000]/.test(s);
// C0 and C1 controls other than tab: what an escape sequence is made of.
const noControl = (s: string) => !/[\u0001-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(s);

/** A zod string of at most `max` characters on one line, without control characters. */
export const lineText = (max: number) =>
  z
    .string()
    .max(max, { message: `is longer than ${max} characters` })
    .refine(noLineBreak, { message: 'contains a line break' })
    .refine(noControl, { message: 'contains a control character' });
