// Integer path and query parameters: decimal digits only (" 1", "0x10", "1e3", "1\r\n" are refused,
// where Number() would take them), documented as integers with their bounds.
import { z } from 'zod';

/** The number schema behind each decimal parameter, for the OpenAPI document. */
const numberBehind = new WeakMap<object, z.ZodType>();

/** A parameter written in decimal digits, then checked by `as` (bounds, positive). */
export function decimal(as: z.ZodNumber = z.number().int(), message = 'must be a whole number written in decimal digits') {
  const schema = z.string().regex(/^[0-9]{1,16}$/, { message }).transform(Number).pipe(as);
  numberBehind.set(schema, as);
  return schema;
}

/** For z.toJSONSchema's `override`: a decimal parameter is described as the integer it stands for. */
export function describeDecimal(ctx: { zodSchema: object; jsonSchema: Record<string, unknown> }): void {
  const as = numberBehind.get(ctx.zodSchema);
  if (!as) return;
  const { $schema: _drop, ...integer } = z.toJSONSchema(as) as Record<string, unknown>;
  delete ctx.jsonSchema.pattern;
  Object.assign(ctx.jsonSchema, integer);
}
