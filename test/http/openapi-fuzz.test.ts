// Fuzzes every operation of Postroom's own OpenAPI document as nobody, a host application and an
// administrator: each answer's status must be declared, its body must match, every error is the Error shape.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Postroom } from '../../src/app.js';
import { createTestDatabase, openTestPostroom, type TestDatabase } from '../helpers/backends.js';
import { Client, startHttp, type TestServer } from '../helpers/http.js';

// ---------------------------------------------------------------------------------------------
// Settings of the run

const PASSWORD = 'correct horse battery staple';
/** Same seed, same requests: FUZZ_SEED replays a failing run, FUZZ_ROUNDS widens it. */
const SEED = seedFrom(process.env.FUZZ_SEED);
/** Requests generated valid from the schemas, per operation and caller (mutations come on top). */
const ROUNDS = Math.max(1, Math.floor(Number(process.env.FUZZ_ROUNDS)) || 4);
/** FUZZ_LOG=file writes every exchange there, one JSON line each, to read what the fuzzer did. */
const LOG_FILE = process.env.FUZZ_LOG;
const SLOW_MS = 10_000;
const TIMEOUT_MS = 15_000;
/**
 * A public address in TEST-NET-3: the webhook is accepted without a DNS lookup, and nothing is
 * ever delivered to it (openTestPostroom does not start the deliverer; only `serve` does).
 */
const WEBHOOK_URL = 'https://203.0.113.10/hooks/postroom';
const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);
/** Spellings that Number() takes for an integer but an API must refuse: decimal digits only. */
const NOT_DECIMAL = [' 1', '0x10', '1e3', '1.5', '1\r\n'];
/** Other bad integers: out of range, too large, empty. Refusal is judged against the document. */
const BAD_INTEGERS = ['-1', '99999999999999999999', ''];

function seedFrom(text: string | undefined): number {
  if (text === undefined || text === '') return 0x5eed_2026;
  const n = Number(text);
  return Number.isFinite(n) ? n >>> 0 : hash(text);
}

// ---------------------------------------------------------------------------------------------
// The document: the subset of OpenAPI 3.1 / JSON Schema 2020-12 that Postroom's document uses

interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  format?: string;
  pattern?: string;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: JsonSchema;
}

interface ResponseObject {
  description?: string;
  content?: Record<string, { schema?: JsonSchema }>;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: JsonSchema }> };
  responses: Record<string, ResponseObject>;
  security?: Record<string, string[]>[];
}

interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema> };
}

type CallerKind = 'nobody' | 'token' | 'admin';
const CALLERS: CallerKind[] = ['nobody', 'token', 'admin'];

/** The security scheme each caller presents; nobody presents none. */
const SCHEME_OF: Record<CallerKind, string | null> = { nobody: null, token: 'bearer', admin: 'session' };

/** Whether the operation's security lets this caller in (no security, or a requirement it meets). */
function authorised(op: Operation, caller: CallerKind): boolean {
  const security = op.security ?? [];
  if (security.length === 0) return true;
  const scheme = SCHEME_OF[caller];
  return security.some((requirement) => Object.keys(requirement).every((name) => name === scheme));
}

/** What a caller the operation does not let in is answered: 401 without credentials, 403 with the wrong kind. */
const refusalsOf = (caller: CallerKind): number[] => (caller === 'nobody' ? [401] : [401, 403]);

const schemaName = (ref: string) => ref.replace(/^#\/components\/schemas\//, '');

function resolve(schema: JsonSchema, components: Record<string, JsonSchema>): JsonSchema {
  let s = schema;
  for (let hops = 0; s.$ref && hops < 10; hops++) s = components[schemaName(s.$ref)] ?? {};
  return s;
}

// ---------------------------------------------------------------------------------------------
// PRNG: mulberry32, seeded per operation so one operation's requests do not depend on the others'

function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
}

// ---------------------------------------------------------------------------------------------
// Generator: values from the schemas, and requests (valid and invalid) from the operations

/** What the generator knows of the seeded data, to reach real code rather than 404s. */
interface GenContext {
  components: Record<string, JsonSchema>;
  /** Addresses of seeded users (one on Outlook (New)), mixed into format: email. */
  emails: string[];
  /** Existing ids for a path parameter of this path template. */
  idsFor(template: string, param: string): readonly string[];
  /** A path parameter value that must never be sent (its valid call would reach the network). */
  unsafe(template: string, param: string, value: string): boolean;
}

const PALETTE = 'abcdefghijklmnopqrstuvwxyz0123456789 -_.ÄéßΩ✓';

function randomText(rng: Rng, min: number, max: number): string {
  const length = rng.int(min, Math.max(min, max));
  let out = '';
  for (let i = 0; i < length; i++) out += rng.pick([...PALETTE]);
  return out;
}

const patternCache = new Map<string, RegExp | null>();
function matches(pattern: string, value: string): boolean {
  if (!patternCache.has(pattern)) {
    let re: RegExp | null = null;
    for (const flags of ['u', '']) {
      try {
        re = new RegExp(pattern, flags);
        break;
      } catch {
        // the next flags
      }
    }
    patternCache.set(pattern, re);
  }
  const re = patternCache.get(pattern);
  return re ? re.test(value) : true;
}

function generateString(s: JsonSchema, rng: Rng, ctx: GenContext, name: string): string {
  const min = s.minLength ?? 0;
  const max = s.maxLength ?? Math.max(min, 40);
  const fits = (v: string) => v.length >= min && v.length <= max && (!s.pattern || matches(s.pattern, v));
  const candidates: string[] = [];
  if (s.format === 'email') candidates.push(ctx.emails.length && rng.chance(0.4) ? rng.pick(ctx.emails) : `u${rng.int(1, 9999)}@example.org`);
  if (s.format === 'date-time') candidates.push(new Date(Date.UTC(2026, 0, 1) + rng.int(-400, 400) * 86_400_000).toISOString());
  // The webhook URL is a plain string in the document: without this hint every one would be refused.
  if (name === 'url' && rng.chance(0.7)) candidates.push(WEBHOOK_URL);
  // Simple patterns (ids, cursors, keys, media types, base64, header names) match one of these.
  if (s.pattern) candidates.push(String(rng.int(1, 99_999)), `k${rng.int(0, 9)}`, 'abc', 'user.1', 'X-Fuzz-1', 'text/plain', 'aGVsbG8=');
  candidates.push(randomText(rng, min, Math.min(max, min + 16)));
  return candidates.find(fits) ?? (candidates.at(-1) as string);
}

function generateInteger(s: JsonSchema, rng: Rng): number {
  const lo = s.minimum ?? (s.exclusiveMinimum !== undefined ? Math.floor(s.exclusiveMinimum) + 1 : -1000);
  const hi = s.maximum ?? (s.exclusiveMaximum !== undefined ? Math.ceil(s.exclusiveMaximum) - 1 : lo + 100_000);
  switch (rng.int(0, 3)) {
    case 0:
      return lo;
    case 1:
      return hi;
    case 2:
      return Math.min(hi, lo + rng.int(0, 20));
    default:
      return lo + Math.floor(rng.next() * (hi - lo + 1));
  }
}

function generate(schema: JsonSchema, rng: Rng, ctx: GenContext, name = '', depth = 0): unknown {
  const s = resolve(schema, ctx.components);
  if (s.const !== undefined) return s.const;
  if (s.enum?.length) return rng.pick(s.enum);
  if (s.default !== undefined && rng.chance(0.15)) return s.default;
  const branches = s.anyOf ?? s.oneOf;
  if (branches?.length) return generate(rng.pick(branches), rng, ctx, name, depth + 1);
  const type = Array.isArray(s.type) ? rng.pick(s.type) : (s.type ?? (s.properties || s.additionalProperties ? 'object' : s.items ? 'array' : undefined));
  if (depth > 6 && (type === 'object' || type === 'array')) return type === 'object' ? {} : [];
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const required = new Set(s.required ?? []);
      for (const [key, prop] of Object.entries(s.properties ?? {})) {
        if (required.has(key) || rng.chance(0.5)) out[key] = generate(prop, rng, ctx, key, depth + 1);
      }
      // A map (no named properties): a few entries with keys from propertyNames.
      if (!s.properties && s.additionalProperties !== undefined && s.additionalProperties !== false) {
        for (let i = rng.int(0, 2); i > 0; i--) {
          const key = generateString(resolve(s.propertyNames ?? {}, ctx.components), rng, ctx, 'key');
          out[key] = typeof s.additionalProperties === 'object' ? generate(s.additionalProperties, rng, ctx, key, depth + 1) : randomText(rng, 1, 8);
        }
      }
      return out;
    }
    case 'array': {
      const min = s.minItems ?? 0;
      const n = rng.int(min, Math.min(s.maxItems ?? min + 3, min + 3));
      return Array.from({ length: n }, () => generate(s.items ?? {}, rng, ctx, name, depth + 1));
    }
    case 'string':
      return generateString(s, rng, ctx, name);
    case 'integer':
      return generateInteger(s, rng);
    case 'number':
      return generateInteger(s, rng) + (rng.chance(0.3) ? 0.25 : 0);
    case 'boolean':
      return rng.chance(0.5);
    case 'null':
      return null;
    default:
      return rng.pick(['x', 1, true, null]);
  }
}

type BodySpec = { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'raw'; text: string; type: string };

/** A path parameter: `raw` is percent-encoded into the URL, unless `encoded` says what to write as is. */
interface ParamValue {
  raw: string;
  encoded?: string;
}

/** A request before it is addressed to a caller. */
interface Draft {
  label: string;
  path: Record<string, ParamValue>;
  query: Record<string, string>;
  body: BodySpec;
  /** The parameter that carries a non-decimal spelling of an integer: it must be refused with 400. */
  notDecimal?: string;
}

/** A few hand-made valid bodies, so that the paths behind a random body's 400 are taken too. */
function examples(method: string, template: string, ctx: GenContext): BodySpec[] {
  const json = (value: unknown): BodySpec => ({ kind: 'json', value });
  switch (`${method} ${template}`) {
    case 'POST /api/v1/auth/login':
      return [json({ username: 'admin', password: PASSWORD })];
    case 'PATCH /api/v1/settings/email':
      // A safe setting: sending stays disabled and no host is changed.
      return [json({ postmaster: 'noreply@corp.example' }), json({})];
    case 'POST /api/v1/emails':
    case 'POST /api/v1/outlook/drafts':
      return [
        json({ to: ['alice@example.org'], subject: 's', text: 't' }),
        // A sender on Outlook (New) with compose: the hand-over answers with a draft instead.
        json({ sender: { email: ctx.emails.at(-1) ?? 'olivia@example.org' }, to: ['alice@example.org'], subject: 's', text: 't', compose: true }),
      ];
    case 'POST /api/v1/webhooks':
      return [json({ url: WEBHOOK_URL, events: ['email.sent'] })];
    default:
      return [];
  }
}

const typeOf = (s: JsonSchema, ctx: GenContext): string | undefined => {
  const r = resolve(s, ctx.components);
  return Array.isArray(r.type) ? r.type[0] : r.type;
};

/** A value of another JSON type than the schema asks for. */
function wrongType(s: JsonSchema, ctx: GenContext): unknown {
  switch (typeOf(s, ctx)) {
    case 'string':
      return 12345;
    case 'integer':
    case 'number':
      return 'not a number';
    case 'boolean':
      return 'yes';
    case 'array':
      return { not: 'an array' };
    case 'object':
      return 'not an object';
    default:
      return [[]];
  }
}

function draftsFor(method: string, template: string, op: Operation, rng: Rng, ctx: GenContext): Draft[] {
  const params = op.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path');
  const queryParams = params.filter((p) => p.in === 'query');
  const bodySchema = op.requestBody?.content['application/json']?.schema;

  const validPath = (): Record<string, ParamValue> => {
    const out: Record<string, ParamValue> = {};
    for (const p of pathParams) {
      const ids = ctx.idsFor(template, p.name);
      const raw = ids.length && rng.chance(0.5) ? rng.pick(ids) : String(generate(p.schema, rng, ctx, p.name));
      out[p.name] = { raw: ctx.unsafe(template, p.name, raw) ? `not-${raw}` : raw };
    }
    return out;
  };
  const validQuery = (): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const p of queryParams) if (p.required || rng.chance(0.6)) out[p.name] = String(generate(p.schema, rng, ctx, p.name));
    return out;
  };
  const validBody = (): BodySpec => (bodySchema ? { kind: 'json', value: generate(bodySchema, rng, ctx) } : { kind: 'none' });
  const valid = (label: string): Draft => ({ label, path: validPath(), query: validQuery(), body: validBody() });

  const drafts: Draft[] = [];
  for (let i = 0; i < ROUNDS; i++) drafts.push(valid('generated'));
  for (const body of examples(method, template, ctx)) drafts.push({ ...valid('example'), body });

  // Bodies: what a careless or hostile client sends.
  if (method !== 'GET' && method !== 'HEAD') {
    const withBody = (label: string, body: BodySpec): Draft => ({ ...valid(label), body });
    const base = bodySchema ? generate(bodySchema, rng, ctx) : {};
    if (bodySchema && base !== null && typeof base === 'object' && !Array.isArray(base)) {
      const object = base as Record<string, unknown>;
      const s = resolve(bodySchema, ctx.components);
      for (const key of (s.required ?? []).slice(0, 2)) {
        const { [key]: _dropped, ...rest } = object;
        drafts.push(withBody(`required field "${key}" missing`, { kind: 'json', value: rest }));
      }
      const present = Object.keys(object).filter((k) => s.properties?.[k]);
      if (present.length) {
        const key = rng.pick(present);
        drafts.push(withBody(`"${key}" of the wrong type`, { kind: 'json', value: { ...object, [key]: wrongType(s.properties?.[key] ?? {}, ctx) } }));
      }
      const strings = present.filter((k) => typeOf(s.properties?.[k] ?? {}, ctx) === 'string');
      const long = strings.length ? rng.pick(strings) : 'zzLong';
      drafts.push(withBody(`"${long}" of 5000 characters`, { kind: 'json', value: { ...object, [long]: 'x'.repeat(5000) } }));
    }
    drafts.push(withBody('an unknown property', { kind: 'json', value: { ...(base as object), zzUnknown: 1 } }));
    if (!bodySchema) drafts.push(withBody('an empty JSON object', { kind: 'json', value: {} }));
    drafts.push(withBody('a body that is not JSON', { kind: 'raw', text: '{', type: 'application/json' }));
    drafts.push(withBody('an empty JSON body', { kind: 'raw', text: '', type: 'application/json' }));
    drafts.push(withBody('a text/plain body', { kind: 'raw', text: 'hello', type: 'text/plain' }));
    for (const value of [[], 'x', null]) drafts.push(withBody(`the JSON body ${JSON.stringify(value)}`, { kind: 'json', value }));
    if (bodySchema) drafts.push(withBody('no body at all', { kind: 'none' }));
  }

  // Parameters: one bad at a time, the others valid.
  for (const p of [...pathParams, ...queryParams]) {
    const isInteger = typeOf(p.schema, ctx) === 'integer';
    const bad: { label: string; value: ParamValue; notDecimal?: boolean }[] = [];
    if (isInteger) {
      for (const v of NOT_DECIMAL) bad.push({ label: JSON.stringify(v), value: { raw: v }, notDecimal: true });
      for (const v of BAD_INTEGERS) bad.push({ label: JSON.stringify(v), value: { raw: v } });
    } else {
      bad.push({ label: '""', value: { raw: '' } });
    }
    if (p.in === 'path') {
      bad.push({ label: '150 characters', value: { raw: 'a'.repeat(150) } });
      bad.push({ label: '1200 characters', value: { raw: 'a'.repeat(1200) } });
      bad.push({ label: '%ff (not UTF-8)', value: { raw: '', encoded: '%ff' } });
      bad.push({ label: '% (a lone percent sign)', value: { raw: '', encoded: '%' } });
    } else if (!isInteger) {
      bad.push({ label: '5000 characters', value: { raw: 'x'.repeat(5000) } });
    }
    for (const b of bad) {
      const draft = valid(`${p.in} parameter ${p.name}=${b.label}`);
      if (p.in === 'path') draft.path[p.name] = b.value;
      else draft.query[p.name] = b.value.raw;
      if (b.notDecimal) draft.notDecimal = p.name;
      drafts.push(draft);
    }
  }
  drafts.push({ ...valid('an unknown query parameter'), query: { ...validQuery(), zzUnknown: '1' } });
  return drafts;
}

// ---------------------------------------------------------------------------------------------
// Checker: one request and its answer against the document

interface Sent {
  method: string;
  template: string;
  caller: CallerKind;
  /** Path and query, as written on the wire. */
  url: string;
  body: BodySpec;
  label: string;
  /** Whether the document says the request is valid; null where it says nothing (a body to a route that takes none). */
  conforms: boolean | null;
  /** The path and query parameters the document says are valid as sent, by name. */
  validParams: string[];
  notDecimal?: string | undefined;
}

interface Received {
  /** 0: no answer (the connection failed or the request timed out). */
  status: number;
  text: string;
  json: unknown;
  isJson: boolean;
  ms: number;
}

type ProblemKind =
  | 'undeclared-status'
  | 'server-error'
  | 'not-json'
  | 'schema'
  | 'error-shape'
  | 'invalid-accepted'
  | 'valid-refused'
  | 'integer-not-refused'
  | 'unauthorised-accepted'
  | 'slow'
  | 'no-answer';

interface Discrepancy {
  kind: ProblemKind;
  sent: Sent;
  received: Received;
  detail: string;
}

/** 5xx an operation may answer when it declares them: upstream refused, overloaded or unavailable, storage full. */
const DOCUMENTED_5XX = new Set([502, 503, 507]);

function tryDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

class Checker {
  // The document's email and date-time strings each carry a pattern that says the same: the
  // formats are only named here, so that ajv does not warn about them on every compile.
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, formats: { email: true, 'date-time': true } });
  private readonly compiled = new Map<object, ValidateFunction>();
  readonly errorSchema: JsonSchema;

  constructor(readonly doc: Document) {
    // The Error shape is the one every 401 refers to (its name is the document's business).
    const ref = Object.values(doc.paths)
      .flatMap((methods) => Object.values(methods))
      .map((op) => op.responses?.['401']?.content?.['application/json']?.schema?.$ref)
      .find((r): r is string => typeof r === 'string');
    assert.ok(ref, 'the document declares an error body for 401');
    assert.ok(doc.components.schemas[schemaName(ref)], `${ref} is in components.schemas`);
    this.errorSchema = { $ref: ref };
  }

  validator(schema: JsonSchema): ValidateFunction {
    let v = this.compiled.get(schema);
    if (!v) {
      v = this.ajv.compile({ ...schema, components: this.doc.components });
      this.compiled.set(schema, v);
    }
    return v;
  }

  private errors(v: ValidateFunction): string {
    return this.ajv.errorsText(v.errors, { separator: '; ' }).slice(0, 240);
  }

  /** A parameter as the document's schema sees it: decimal digits are a number, anything else stays text. */
  private paramValue(raw: string, schema: JsonSchema): unknown {
    const type = typeOf(schema, { components: this.doc.components, emails: [], idsFor: () => [], unsafe: () => false });
    if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
    if (type === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
    return raw;
  }

  /** The parameters of the draft that the document says are valid, and whether all of them are. */
  params(op: Operation, draft: Draft): { valid: string[]; all: boolean } {
    const valid: string[] = [];
    let all = true;
    for (const p of op.parameters ?? []) {
      let raw: string | undefined;
      if (p.in === 'path') {
        const v = draft.path[p.name];
        raw = v?.encoded !== undefined ? tryDecode(v.encoded) : v?.raw;
      } else if (p.in === 'query') {
        raw = draft.query[p.name];
        if (raw === undefined && !p.required) continue;
      } else {
        continue;
      }
      if (raw !== undefined && this.validator(p.schema)(this.paramValue(raw, p.schema))) valid.push(p.name);
      else all = false;
    }
    return { valid, all };
  }

  /** Whether the document says the request is valid: its parameters and its body. */
  conforms(op: Operation, draft: Draft): boolean | null {
    if (!this.params(op, draft).all) return false;
    const rb = op.requestBody;
    if (!rb) return draft.body.kind === 'none' ? true : null;
    const schema = rb.content['application/json']?.schema;
    if (draft.body.kind === 'none') return !rb.required;
    if (draft.body.kind === 'raw' || !schema) return false;
    return this.validator(schema)(draft.body.value);
  }

  /** Every way this answer departs from the document (empty when it conforms). */
  check(op: Operation, sent: Sent, got: Received): Discrepancy[] {
    const out: Discrepancy[] = [];
    const add = (kind: ProblemKind, detail: string) => out.push({ kind, sent, received: got, detail });
    if (got.status === 0) {
      add('no-answer', got.text.slice(0, 200));
      return out;
    }
    if (got.ms > SLOW_MS) add('slow', `answered after ${Math.round(got.ms)} ms (limit ${SLOW_MS} ms)`);
    const status = got.status;
    const declared = op.responses[String(status)] ?? op.responses[`${Math.floor(status / 100)}XX`] ?? op.responses.default;
    if (!declared) add('undeclared-status', `${status} is not among the declared ${Object.keys(op.responses).join(', ')}`);
    if (status >= 500 && !(declared && DOCUMENTED_5XX.has(status))) add('server-error', `a ${status}`);

    const schema = declared?.content?.['application/json']?.schema;
    const isErrorRef = schema?.$ref === this.errorSchema.$ref;
    if (status >= 400) {
      const v = this.validator(this.errorSchema);
      if (!got.isJson) add('error-shape', 'the body is not JSON');
      else if (!v(got.json)) add('error-shape', this.errors(v));
    }
    if (schema && !(status >= 400 && isErrorRef)) {
      const v = this.validator(schema);
      if (!got.isJson) add('not-json', 'the declared body is JSON; this one is not');
      else if (!v(got.json)) add('schema', this.errors(v));
    }

    const ok = status >= 200 && status < 300;
    const letIn = authorised(op, sent.caller);
    if (ok && !letIn) add('unauthorised-accepted', `the operation's security does not admit ${sent.caller}`);
    if (sent.notDecimal) {
      const allowed = letIn ? [400] : [400, ...refusalsOf(sent.caller)];
      if (!allowed.includes(status)) add('integer-not-refused', `${sent.notDecimal} is not written in decimal digits: expected ${allowed.join(' or ')}`);
    } else if (ok && sent.conforms === false) {
      add('invalid-accepted', `the document says this request is invalid (${sent.label}), yet it was answered ${status}`);
    }
    // A body may break rules no schema can say; a parameter is wholly described by its schema.
    if (status === 400 && got.isJson) {
      const named = (got.json as { fields?: { field?: unknown }[] }).fields?.map((f) => f.field) ?? [];
      const wronged = sent.validParams.filter((p) => named.includes(p));
      if (wronged.length) add('valid-refused', `the server refused ${wronged.join(', ')}, which the document says is valid as sent`);
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Findings: every discrepancy of the run, de-duplicated, with a reproduction

function excerpt(text: string, n: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > n ? `${flat.slice(0, n)}…(${text.length} chars)` : flat;
}

function describeBody(body: BodySpec): string {
  if (body.kind === 'none') return '';
  if (body.kind === 'json') return ` body ${excerpt(JSON.stringify(body.value), 100)}`;
  return ` [${body.type}] ${JSON.stringify(body.text)}`;
}

class Findings {
  private readonly seen = new Map<string, { d: Discrepancy; count: number }>();

  add(list: Discrepancy[]): void {
    for (const d of list) {
      const key = [d.sent.method, d.sent.template, d.sent.caller, d.received.status, d.kind].join(' ');
      const entry = this.seen.get(key);
      if (entry) entry.count++;
      else this.seen.set(key, { d, count: 1 });
    }
  }

  get size(): number {
    return this.seen.size;
  }

  /**
   * Two lines per discrepancy, the same one met by several callers on one line: what went wrong,
   * then the first request that showed it and the answer it got.
   */
  report(maxEntries = 30): string {
    const groups = new Map<string, { d: Discrepancy; callers: string[]; count: number }>();
    for (const { d, count } of this.seen.values()) {
      const key = [d.sent.method, d.sent.template, d.received.status, d.kind].join(' ');
      const group = groups.get(key);
      if (group) {
        group.callers.push(d.sent.caller);
        group.count += count;
      } else {
        groups.set(key, { d, callers: [d.sent.caller], count });
      }
    }
    const entries = [...groups.values()];
    const lines = entries.slice(0, maxEntries).map(({ d, callers, count }) => {
      const s = d.sent;
      const times = count > 1 ? ` (×${count})` : '';
      return (
        `- ${d.kind}: ${s.method} ${s.template} as ${callers.join(', ')} → ${d.received.status || 'no answer'}${times}: ${d.detail}\n` +
        `    e.g. as ${s.caller}: ${s.method} ${excerpt(s.url, 160)}${describeBody(s.body)} (${s.label}) got ${excerpt(d.received.text, 200)}`
      );
    });
    if (entries.length > maxEntries) lines.push(`… and ${entries.length - maxEntries} more (FUZZ_LOG=file keeps every exchange)`);
    return lines.join('\n');
  }
}

// ---------------------------------------------------------------------------------------------
// Callers: nobody, a host application's token, the administrator's session (kept signed in)

class Callers {
  token = '';
  private adminSignedOut = false;

  constructor(
    readonly base: string,
    readonly admin: Client,
  ) {}

  async signIn(): Promise<void> {
    const answer = await this.admin.login(PASSWORD);
    assert.equal(answer.status, 200, `the administrator signs in again: ${answer.text}`);
    this.adminSignedOut = false;
  }

  async renewToken(): Promise<void> {
    const made = await this.admin.post<{ token: string }>('/api/v1/tokens', { name: 'fuzzer' });
    assert.equal(made.status, 201, `a new token for the fuzzer: ${made.text}`);
    this.token = made.body.token;
  }

  private headers(caller: CallerKind): Record<string, string> {
    if (caller === 'token') return { authorization: `Bearer ${this.token}` };
    if (caller === 'nobody') return {};
    const headers: Record<string, string> = { origin: this.base };
    if (this.admin.cookies.size) headers.cookie = [...this.admin.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const csrf = this.admin.cookies.get('csrf');
    if (csrf) headers['x-csrf-token'] = csrf;
    return headers;
  }

  /** The administrator keeps the cookies it is given, as the console would; the others keep none. */
  private absorbCookies(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [name, ...value] = (pair ?? '').split('=');
      if (!name) continue;
      if (/max-age=0|expires=Thu, 01 Jan 1970/i.test(c) || value.join('=') === '') this.admin.cookies.delete(name.trim());
      else this.admin.cookies.set(name.trim(), value.join('='));
    }
  }

  async send(sent: Sent): Promise<Received> {
    const headers = this.headers(sent.caller);
    let payload: string | undefined;
    if (sent.body.kind === 'json') {
      payload = JSON.stringify(sent.body.value);
      headers['content-type'] = 'application/json';
    } else if (sent.body.kind === 'raw') {
      payload = sent.body.text;
      headers['content-type'] = sent.body.type;
    }
    const started = performance.now();
    try {
      const res = await fetch(this.base + sent.url, { method: sent.method, headers, body: payload, signal: AbortSignal.timeout(TIMEOUT_MS) });
      if (sent.caller === 'admin') this.absorbCookies(res);
      const text = await res.text();
      let json: unknown;
      let isJson = false;
      try {
        json = JSON.parse(text);
        isJson = true;
      } catch {
        // judged by the checker
      }
      return { status: res.status, text, json, isJson, ms: performance.now() - started };
    } catch (err) {
      return { status: 0, text: err instanceof Error ? `${err.name}: ${err.message}` : String(err), json: undefined, isJson: false, ms: performance.now() - started };
    }
  }

  /**
   * Sends, keeping the fuzzer's own credentials alive: a sign-out as the administrator (or a
   * revoked token) would turn every later request into a 401 that tests nothing.
   */
  async exchange(op: Operation, sent: Sent): Promise<Received> {
    if (sent.caller === 'admin' && this.adminSignedOut) await this.signIn();
    let got = await this.send(sent);
    const protectedOp = (op.security ?? []).length > 0;
    if (got.status === 401 && protectedOp && authorised(op, sent.caller) && sent.caller !== 'nobody') {
      if (sent.caller === 'admin') await this.signIn();
      else await this.renewToken();
      got = await this.send(sent);
    }
    if (sent.caller === 'admin' && sent.template.endsWith('/auth/logout') && got.status === 200) this.adminSignedOut = true;
    // Each failed sign-in counts against this address (ten lock it out): a good one wipes the count.
    if (sent.template.endsWith('/auth/login') && got.status === 401) await this.signIn();
    return got;
  }
}

// ---------------------------------------------------------------------------------------------
// The operations, in an order that keeps state-destroying ones for last

function operations(doc: Document): { method: string; template: string; op: Operation }[] {
  const list = Object.entries(doc.paths).flatMap(([template, methods]) =>
    Object.entries(methods)
      .filter(([m]) => HTTP_METHODS.has(m))
      .map(([m, op]) => ({ method: m.toUpperCase(), template, op })),
  );
  // Deletions and the sign-out last: they remove what the other operations' valid requests use.
  const rank = (o: { method: string; template: string }) => (o.template.endsWith('/auth/logout') ? 2 : o.method === 'DELETE' ? 1 : 0);
  return list.sort((a, b) => rank(a) - rank(b));
}

function address(method: string, template: string, caller: CallerKind, op: Operation, draft: Draft, checker: Checker): Sent {
  const path = template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const v = draft.path[name];
    return v?.encoded ?? encodeURIComponent(v?.raw ?? '');
  });
  const query = Object.entries(draft.query)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  return {
    method,
    template,
    caller,
    url: query ? `${path}?${query}` : path,
    body: draft.body,
    label: draft.label,
    conforms: checker.conforms(op, draft),
    validParams: checker.params(op, draft).valid,
    notDecimal: draft.notDecimal,
  };
}

const errorResponse = (schema: JsonSchema): ResponseObject => ({ description: 'error', content: { 'application/json': { schema } } });

// ---------------------------------------------------------------------------------------------

describe('OpenAPI fuzzing: every operation of the document, as nobody, a token and an administrator', () => {
  let db: TestDatabase;
  let postroom: Postroom;
  let server: TestServer;
  let refuser: net.Server;
  let doc: Document;
  let checker: Checker;
  let callers: Callers;
  const ids = { emails: [] as string[], tokens: [] as string[], webhooks: [] as string[], users: [] as string[] };
  const emails: string[] = [];
  let presets: string[] = [];

  before(async () => {
    // test-connection and test-email connect to the SMTP host: this one, on loopback, hangs up at
    // once, so that their valid calls answer promptly and nothing leaves the machine.
    refuser = net.createServer((socket) => socket.destroy());
    await new Promise<void>((done) => refuser.listen(0, '127.0.0.1', done));
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db);
    await postroom.admins.setPassword(PASSWORD);
    // Sending stays disabled (enabled: false): no campaign runs, nothing reaches SMTP or Microsoft.
    await postroom.settings.update({ postmaster: 'noreply@corp.example', smtpHost: '127.0.0.1', smtpPort: (refuser.address() as AddressInfo).port }, 'test');
    server = await startHttp(postroom);
    const admin = new Client(server.url);
    callers = new Callers(server.url, admin);
    await callers.signIn();
    const fetched = await admin.get<Document>('/api/v1/openapi.json');
    assert.equal(fetched.status, 200, fetched.text.slice(0, 300));
    doc = fetched.body;
    checker = new Checker(doc);
    await callers.renewToken();
    const host = Client.withToken(server.url, callers.token);

    // Data for valid requests to reach: e-mails (one cancelled), spare tokens, users, webhooks.
    for (let i = 0; i < 3; i++) {
      const handed = await host.post<{ id: number }>('/api/v1/emails', { to: ['alice@example.org'], subject: 's', text: 't' });
      assert.equal(handed.status, 202, `seed e-mail: ${handed.text}`);
      ids.emails.push(String(handed.body.id));
    }
    const cancelled = await admin.post(`/api/v1/emails/${ids.emails[0]}/cancel`);
    assert.equal(cancelled.status, 200, `seed cancel: ${cancelled.text}`);
    for (const name of ['spare-1', 'spare-2']) {
      const made = await admin.post<{ id: number }>('/api/v1/tokens', { name });
      assert.equal(made.status, 201, `seed token: ${made.text}`);
      ids.tokens.push(String(made.body.id));
    }
    for (const [client, id, body] of [
      [host, 'jdoe', { email: 'jdoe@example.org', name: 'J. Doe', emailSoftware: 'server' }],
      [admin, 'olivia', { email: 'olivia@example.org', name: 'Olivia', emailSoftware: 'outlook-new' }],
    ] as const) {
      const put = await client.put(`/api/v1/users/${id}`, body);
      assert.equal(put.status, 201, `seed user: ${put.text}`);
      ids.users.push(id);
      emails.push(body.email);
    }
    const listed = await admin.get<{ name: string }[]>('/api/v1/settings/email/presets');
    assert.equal(listed.status, 200, `the presets: ${listed.text}`);
    presets = listed.body.map((p) => p.name);
    for (const client of [host, admin]) {
      const hook = await client.post<{ id: number }>('/api/v1/webhooks', { url: WEBHOOK_URL });
      assert.equal(hook.status, 201, `seed webhook: ${hook.text}`);
      ids.webhooks.push(String(hook.body.id));
    }
  });

  after(async () => {
    await server?.close();
    await postroom?.close();
    await new Promise<void>((done) => (refuser ? refuser.close(() => done()) : done()));
    await db?.cleanup();
  });

  const context = (): GenContext => ({
    components: doc.components.schemas,
    emails,
    idsFor(template, param) {
      if (param !== 'id') return [];
      const resource = /^\/api\/v1\/(\w+)\/\{id\}/.exec(template)?.[1];
      return resource === 'emails' || resource === 'tokens' || resource === 'webhooks' || resource === 'users' ? ids[resource] : [];
    },
    // A real preset points smtpHost at a public server (smtp.gmail.com, smtp.office365.com), and
    // test-connection would then try to reach it: the preset route gets names it does not know.
    unsafe: (template, param, value) => template.endsWith('/presets/{name}') && param === 'name' && presets.includes(value),
  });

  it('the checker reports an undeclared status, a wrong error shape, a 500, a lenient integer (self-check)', () => {
    const template = '/api/v1/emails/{id}';
    const altered = structuredClone(doc);
    const op = altered.paths[template]?.get;
    assert.ok(op?.responses['404'], 'the document declares GET /emails/{id} 404');
    delete op.responses['404'];
    const fake = new Checker(altered);
    const sent: Sent = { method: 'GET', template, caller: 'admin', url: '/api/v1/emails/7', body: { kind: 'none' }, label: 'self-check', conforms: true, validParams: ['id'] };
    const answer = (status: number, body: unknown): Received => ({ status, text: JSON.stringify(body), json: body, isJson: true, ms: 1 });
    const kinds = (s: Sent, r: Received) => fake.check(op, s, r).map((d) => d.kind);
    assert.deepEqual(kinds(sent, answer(404, { error: 'not_found', message: 'no e-mail 7' })), ['undeclared-status'], 'a status the copy no longer declares');
    assert.deepEqual(kinds(sent, answer(400, { message: 'no code' })), ['error-shape'], 'an error without its code');
    assert.deepEqual(kinds(sent, answer(500, { error: 'internal', message: 'x' })), ['undeclared-status', 'server-error'], 'a 500');
    assert.ok(kinds(sent, answer(200, {})).includes('schema'), 'a 200 whose body is not an EmailDetail');
    assert.deepEqual(kinds({ ...sent, notDecimal: 'id' }, answer(403, { error: 'forbidden', message: 'x' })), ['integer-not-refused'], '0x10 taken as 16');
    assert.deepEqual(kinds({ ...sent, caller: 'nobody' }, answer(401, { error: 'unauthorized', message: 'x' })), [], 'a declared 401 is fine');
    const refusal = answer(400, { error: 'invalid_request', message: 'x', fields: [{ field: 'id', message: 'x' }] });
    assert.deepEqual(kinds({ ...sent, conforms: false, validParams: [] }, refusal), [], 'an invalid id refused is fine');
    assert.deepEqual(kinds(sent, refusal), ['valid-refused'], 'an id the document allows, refused');
    const findings = new Findings();
    findings.add(fake.check(op, sent, answer(404, { error: 'not_found', message: 'x' })));
    findings.add(fake.check(op, sent, answer(404, { error: 'not_found', message: 'y' })));
    assert.equal(findings.size, 1, 'the same discrepancy twice is reported once');
    findings.add(fake.check(op, { ...sent, caller: 'token' }, answer(404, { error: 'not_found', message: 'x' })));
    assert.equal(findings.size, 2, 'another caller is another discrepancy');
    assert.match(findings.report(), /undeclared-status: GET \/api\/v1\/emails\/\{id\} as admin, token → 404 \(×3\)/);
  });

  it('every operation answers only declared statuses, with declared bodies and the Error shape, to every caller', async (t) => {
    const findings = new Findings();
    const ctx = context();
    const reachedOk = new Set<string>();
    let requests = 0;
    const started = performance.now();
    for (const { method, template, op } of operations(doc)) {
      const rng = new Rng(SEED ^ hash(`${method} ${template}`));
      for (const caller of CALLERS) {
        for (const draft of draftsFor(method, template, op, rng, ctx)) {
          const sent = address(method, template, caller, op, draft, checker);
          const got = await callers.exchange(op, sent);
          requests++;
          if (got.status >= 200 && got.status < 300) reachedOk.add(`${method} ${template}`);
          findings.add(checker.check(op, sent, got));
          if (LOG_FILE) fs.appendFileSync(LOG_FILE, `${JSON.stringify({ ...sent, status: got.status, ms: Math.round(got.ms), answer: got.text.slice(0, 300) })}\n`);
        }
      }
    }
    const all = operations(doc).map((o) => `${o.method} ${o.template}`);
    t.diagnostic(`${requests} requests in ${Math.round(performance.now() - started)} ms (seed ${SEED}, rounds ${ROUNDS})`);
    t.diagnostic(`never answered 2xx: ${all.filter((o) => !reachedOk.has(o)).join(', ') || 'none'}`);
    assert.equal(
      findings.size,
      0,
      `${findings.size} distinct discrepancies between the server and its OpenAPI document (seed ${SEED}, rounds ${ROUNDS}; ` +
        `replay: FUZZ_SEED=${SEED} FUZZ_ROUNDS=${ROUNDS} node --import tsx --test --test-force-exit test/http/openapi-fuzz.test.ts):\n${findings.report()}`,
    );
  });

  it('outside the document: an unknown path is a 404 and a badly encoded one a 4xx, both in the Error shape', async () => {
    const findings = new Findings();
    const error = errorResponse(checker.errorSchema);
    const unknown: Operation = { responses: { '404': error } };
    // The issue prefers 401 before 400 only where the route exists: here any of the three will do.
    const badlyEncoded: Operation = { responses: { '400': error, '401': error, '404': error } };
    const cases: { op: Operation; method: string; url: string; body: BodySpec }[] = [
      { op: unknown, method: 'GET', url: '/api/v1/zz-no-such-thing', body: { kind: 'none' } },
      { op: unknown, method: 'POST', url: '/api/v1/zz-no-such-thing', body: { kind: 'json', value: { a: 1 } } },
      { op: unknown, method: 'DELETE', url: '/api/v1/emails/1/zz-no-such-thing', body: { kind: 'none' } },
      { op: badlyEncoded, method: 'GET', url: '/api/v1/emails/%ff', body: { kind: 'none' } },
      { op: badlyEncoded, method: 'GET', url: '/api/v1/emails/%', body: { kind: 'none' } },
    ];
    for (const c of cases) {
      for (const caller of CALLERS) {
        const sent: Sent = { method: c.method, template: `(outside) ${c.url}`, caller, url: c.url, body: c.body, label: 'outside the document', conforms: null, validParams: [] };
        findings.add(checker.check(c.op, sent, await callers.exchange(c.op, sent)));
      }
    }
    assert.equal(findings.size, 0, `${findings.size} discrepancies outside the document:\n${findings.report()}`);
  });
});
