/**
 * The `json` reader, and the engine the other JSON dialects (`suricata`,
 * `zeek-json`) share.
 *
 * Input: NDJSON or concatenated (pretty-printed) objects, framed by
 * `framing/json-objects.ts`. Each object is decoded with `JSON.parse` (one
 * parse per event is the accepted cost of V8's fast parser), or, when its
 * bytes hold a run of 16+ digits, with the exact parser of `syntax.ts`
 * (JSON.parse rounds integers beyond 2^53; 64-bit ids must stay exact), and its
 * values are fed straight into the column builders of a layout
 * (`layout.ts`): no second per-event representation. Where the schema of the
 * next event can be predicted (named schemas selected by a key such as
 * `event_type`), the direct decoder (`direct.ts`) first tries to append the
 * event from its bytes without `JSON.parse`; anything it is unsure about
 * falls back to the path above, which also makes every diagnostic.
 *
 * Two ways to pick a layout:
 * - plain `json` (no `--schema`/`--selector`): every event's layout is
 *   inferred exactly (`infer.ts`): the same keys, the same value kinds. All
 *   such batches are named `json`. A missing key and a null stay different, so
 *   json → store → json gives the input back (up to key order and number
 *   formatting). Every layout keeps its own builders (cached by layout, up to
 *   64), so alternating layouts do not cut tiny batches.
 * - named schemas (`--schema NAME`, `--selector field:prefix`, and the
 *   suricata/zeek-json dialects): one growing layout per schema name, typed by
 *   the registry schema of that name where there is one. Missing fields are
 *   null; unknown keys are inferred and added (the layout grows, ending its
 *   current batch).
 * Either way a batch ends at `batchSize` rows, when its layout grows, and at
 * the end of input. Rows of one layout keep their input order; batches of
 * different layouts do not interleave like the input did (the store groups by
 * schema anyway).
 */

import { isUtf8 } from 'node:buffer';
import type * as A from 'apache-arrow';
import { type Diagnostic, errorDiagnostic } from '../../diagnostics.js';
import { jsonText } from '../../types/json-text.js';
import type { Reader, ReaderContext } from '../format.js';
import { FRAME_OTHER, JsonObjectFramer } from '../framing/json-objects.js';
import { invalidUtf8Column } from '../framing/lines.js';
import { DirectDecoder, type DirectGuard } from './direct.js';
import {
  emptyRecordShape,
  keySignature,
  type RecordShape,
  type Shape,
  type ShapeField,
  shapeFromType,
  shapeKey,
  shapeOfJson,
  unify,
} from './infer.js';
import { BAD, GROW, Layout, type LayoutOptions, OK } from './layout.js';
import { hasLongDigitRun, jsonSyntaxError, parseJsonExact } from './syntax.js';

/** How a JSON dialect names and types events. */
export interface JsonDialect {
  readonly layout: LayoutOptions;
  /**
   * The schema name of an event, `null` for plain inference (exact layouts
   * named `json`), or an error message (the event is skipped).
   */
  route(obj: Record<string, unknown>): string | null | { error: string };
  /**
   * Called when an event has keys its schema lacks, before the layout grows:
   * may name a better schema (zeek-json guesses schemas from keys).
   */
  reroute?(obj: Record<string, unknown>, name: string): string | undefined;
  /** The shape of a new top-level key the schema lacks (default: inferred from the value). */
  extraShape?(key: string): Shape | undefined;
  /**
   * For a dotted key (`id.orig_h`) whose first segment is no field yet: a
   * record field to add so that the key lands inside it (default: the key is
   * added as a flat field, dots and all).
   */
  nestedExtra?(key: string): ShapeField | undefined;
  /** The timestamp field of schemas the registry does not know, if the layout has it. */
  readonly timestamp?: string;
  /**
   * How `route` picks schemas, so that events can skip `JSON.parse` (`direct.ts`):
   * `fixed` (one schema for all), or the top-level key whose string value
   * selects the schema (`event_type`). Without either, every event is parsed.
   */
  readonly routing?: { readonly fixed: true } | { readonly key: string };
}

/** Layouts kept for plain JSON before the least recently created is dropped. */
const MAX_PLAIN_LAYOUTS = 64;

interface SchemaState {
  layout: Layout;
  readonly base: RecordShape;
  readonly timestamp: string | undefined;
  /** For the direct decoder: the routing key's value that selects this schema. */
  guard: DirectGuard | undefined;
}

/** Decodes framed objects and appends them to layouts; collects finished batches in `out`. */
class JsonEventSink {
  readonly out: A.RecordBatch[] = [];
  private readonly states = new Map<string, SchemaState>();
  // Events of one schema come in runs: the last one looked up.
  private lastName: string | undefined;
  private lastState: SchemaState | undefined;
  /** The schema the next event is tried with in the direct decoder, if any. */
  private predicted: SchemaState | undefined;
  private readonly direct = new DirectDecoder();
  private plain: Layout | undefined;
  private readonly plainByKey = new Map<string, Layout>();
  private readonly plainBySig = new Map<string, Layout>();
  private readonly ignore: ReadonlySet<string>;
  // The frame being handled, for messages.
  private framer!: JsonObjectFramer;
  private text = '';

  constructor(
    private readonly ctx: ReaderContext,
    private readonly dialect: JsonDialect,
  ) {
    this.ignore = new Set(dialect.layout.ignoreKeys ?? []);
  }

  /** Handles every complete frame the framer has. */
  drain(framer: JsonObjectFramer): void {
    this.framer = framer;
    while (framer.next()) this.frame(framer);
  }

  /** Ends every batch in progress (end of input). */
  flushAll(): void {
    for (const l of this.plainByKey.values()) if (l.rows > 0) this.out.push(l.finishBatch());
    for (const st of this.states.values()) if (st.layout.rows > 0) this.out.push(st.layout.finishBatch());
  }

  private frame(f: JsonObjectFramer): void {
    const { buf, start, end } = f;
    if (f.kind === FRAME_OTHER) {
      const what = buf.toString('utf8', start, Math.min(end, start + 20));
      this.error(f.line, f.column, `expected a JSON object, got '${what}${end - start > 20 ? '...' : ''}'`);
      return;
    }
    const suspect = f.mayBeInvalidUtf8(start, end);
    const p = this.predicted;
    if (p && !suspect && this.direct.decode(p.layout, buf, start, end, p.guard)) {
      this.afterAppend(p.layout);
      return;
    }
    if (suspect && !isUtf8(buf.subarray(start, end))) {
      const at = f.locate(start + invalidUtf8Column(buf, start, end) - 1);
      this.error(at.line, at.column, 'invalid UTF-8');
      return;
    }
    const text = buf.toString('utf8', start, end);
    let obj: Record<string, unknown>;
    try {
      // JSON.parse rounds integers beyond 2^53, which need 16 digits: those events take the exact parser.
      obj = (hasLongDigitRun(buf, start, end) ? parseJsonExact(text) : JSON.parse(text)) as Record<
        string,
        unknown
      >;
    } catch {
      if (!f.exact) {
        f.retryExact();
        return;
      }
      const err = jsonSyntaxError(text) ?? { index: 0, message: 'not valid JSON' };
      const at = f.locate(start + Buffer.byteLength(text.slice(0, err.index)));
      this.error(at.line, at.column, `invalid JSON: ${err.message}`);
      return;
    }
    this.text = text;
    const route = this.dialect.route(obj);
    if (route === null) this.appendPlain(obj);
    else if (typeof route === 'string') this.appendNamed(route, obj);
    else this.error(f.line, f.column, route.error);
  }

  // --- plain JSON: exact inferred layouts ----------------------------------

  private appendPlain(obj: Record<string, unknown>): void {
    if (this.plain && this.plain.append(obj) === OK) {
      this.afterAppend(this.plain);
      return;
    }
    const sig = keySignature(obj);
    let layout = this.plainBySig.get(sig);
    if (!layout || layout.append(obj) !== OK) {
      const own = shapeOfJson(obj, { exact: true }) as RecordShape;
      const shape = (layout && (unify(layout.shape, own, true) as RecordShape | undefined)) ?? own;
      const key = shapeKey(shape);
      layout = this.plainByKey.get(key);
      if (!layout) {
        layout = new Layout('json', shape, undefined, this.dialect.layout);
        this.plainByKey.set(key, layout);
        this.evictPlain();
      }
      if (layout.append(obj) !== OK) {
        this.cannotFit();
        return;
      }
    }
    this.plainBySig.set(sig, layout);
    this.plain = layout;
    this.afterAppend(layout);
  }

  private evictPlain(): void {
    if (this.plainByKey.size <= MAX_PLAIN_LAYOUTS) return;
    for (const [key, l] of this.plainByKey) {
      if (l === this.plain) continue;
      if (l.rows > 0) this.out.push(l.finishBatch());
      this.plainByKey.delete(key);
      for (const [sig, x] of this.plainBySig) if (x === l) this.plainBySig.delete(sig);
      return;
    }
  }

  // --- named schemas: one growing layout per name ------------------------------

  private appendNamed(name: string, obj: Record<string, unknown>): void {
    let st = name === this.lastName ? this.lastState! : this.state(name);
    let r = st.layout.append(obj);
    if (r === GROW && this.dialect.reroute) {
      const other = this.dialect.reroute(obj, name);
      if (other !== undefined && other !== name) {
        st = this.state(other);
        r = st.layout.append(obj);
      }
    }
    if (r === GROW) {
      const shape = this.merge(st.layout.shape, obj);
      if (shapeKey(shape) === shapeKey(st.layout.shape)) {
        this.cannotFit();
        return;
      }
      if (st.layout.rows > 0) this.out.push(st.layout.finishBatch());
      st.layout = this.newLayout(st.layout.schema.name, shape, st.timestamp);
      r = st.layout.append(obj);
    }
    if (r === BAD) this.badValue(st.layout);
    else if (r !== OK) this.cannotFit();
    else {
      this.afterAppend(st.layout);
      this.predict(st, obj);
    }
  }

  /** Lets the direct decoder try the next event with this schema, when routing allows it. */
  private predict(st: SchemaState, obj: Record<string, unknown>): void {
    const routing = this.dialect.routing;
    if (routing === undefined) return;
    if ('key' in routing) {
      if (st.guard === undefined) {
        const v = obj[routing.key];
        if (typeof v !== 'string') {
          this.predicted = undefined;
          return;
        }
        st.guard = { key: Buffer.from(routing.key), value: Buffer.from(v) };
      }
    }
    this.predicted = st;
  }

  private state(name: string): SchemaState {
    let st = this.states.get(name);
    this.lastName = name;
    if (st) {
      this.lastState = st;
      return st;
    }
    const known = this.ctx.schemas.get(name);
    const base = known ? (shapeFromType(known.type) as RecordShape) : emptyRecordShape(false);
    const timestamp = known?.timestamp;
    st = { base, timestamp, layout: this.newLayout(name, base, timestamp), guard: undefined };
    this.states.set(name, st);
    this.lastState = st;
    return st;
  }

  private newLayout(name: string, shape: RecordShape, timestamp: string | undefined): Layout {
    const dflt = this.dialect.timestamp;
    const ts = timestamp ?? (dflt && shape.fields.some((f) => f.name === dflt) ? dflt : undefined);
    return new Layout(name, shape, ts, this.dialect.layout);
  }

  /** The shape grown by an event's unknown keys and widened by its values. */
  private merge(shape: RecordShape, obj: Record<string, unknown>): RecordShape {
    const fields = [...shape.fields];
    const dotted = this.dialect.layout.dottedKeys === true;
    for (const k in obj) {
      if (this.ignore.has(k)) continue;
      const v = obj[k];
      let i = fields.findIndex((f) => f.name === k);
      if (i < 0 && dotted && k.indexOf('.') > 0) {
        const parts = k.split('.');
        if (mergeDotted(fields, parts, 0, v)) continue;
        const nested = this.dialect.nestedExtra?.(k);
        if (nested && !fields.some((f) => f.name === nested.name)) {
          fields.push(nested);
          if (mergeDotted(fields, parts, 0, v)) continue;
          fields.pop();
        }
      }
      const own = (i < 0 && this.dialect.extraShape?.(k)) || shapeOfJson(v, { exact: false });
      if (i < 0) {
        fields.push({ name: k, shape: own });
        i = fields.length - 1;
      } else fields[i] = { name: k, shape: unify(fields[i].shape, own, false)! };
    }
    return { kind: 'record', fields, exact: false, typed: shape.typed };
  }

  private afterAppend(layout: Layout): void {
    if (layout.rows >= this.ctx.batchSize) this.out.push(layout.finishBatch());
  }

  // --- diagnostics ---------------------------------------------------------------

  private error(line: number, column: number, message: string): void {
    const d: Diagnostic = errorDiagnostic(message, {
      location: { source: this.ctx.file, line, column },
      recoverable: true,
    });
    this.ctx.report(d);
  }

  private badValue(layout: Layout): void {
    const { path, value, type } = layout.failure;
    const f = this.framer;
    const at = f.locate(f.start + Buffer.byteLength(this.text.slice(0, valueIndex(this.text, path))));
    const shown = jsonText(value);
    const text = shown.length > 40 ? `${shown.slice(0, 40)}...` : shown;
    const what = isOutOfRange(value, type) ? 'value out of range' : 'invalid value';
    this.error(at.line, at.column, `${what} for field '${path.join('.')}' (${type}): ${text}`);
  }

  private cannotFit(): void {
    this.error(this.framer.line, this.framer.column, 'event does not fit any layout (this is a bug in vast)');
  }
}

/** Whether `v` is a whole number that an integer column rejected: it is out of the type's range. */
function isOutOfRange(v: unknown, type: string): boolean {
  if (type !== 'int64' && type !== 'uint64') return false;
  return typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
}

/** Unifies `v` into the field that a dotted key addresses inside nested records; false if there is none. */
function mergeDotted(
  fields: { name: string; shape: Shape }[],
  parts: string[],
  i: number,
  v: unknown,
): boolean {
  const j = fields.findIndex((f) => f.name === parts[i]);
  if (j < 0) return false;
  const s = fields[j].shape;
  if (i === parts.length - 1) {
    fields[j] = { name: parts[i], shape: unify(s, shapeOfJson(v, { exact: false }), false)! };
    return true;
  }
  if (s.kind !== 'record') return false;
  const inner = [...s.fields];
  if (!mergeDotted(inner, parts, i + 1, v)) return false;
  fields[j] = { name: parts[i], shape: { ...s, fields: inner } };
  return true;
}

/** Best-effort UTF-16 index of the value at a key path in JSON text (0 if not found). */
function valueIndex(text: string, path: readonly string[]): number {
  let at = 0;
  for (const seg of path) {
    if (/^\d+$/.test(seg)) continue;
    const key = JSON.stringify(seg);
    let k = text.indexOf(key, at);
    // The key, not a string value that happens to be equal: a colon must follow.
    while (k >= 0 && !/^\s*:/.test(text.slice(k + key.length, k + key.length + 8)))
      k = text.indexOf(key, k + 1);
    if (k < 0) return at;
    at = k + key.length;
    while (at < text.length && text[at] !== ':') at++;
    at++;
    while (at < text.length && /\s/.test(text[at])) at++;
  }
  return at;
}

/** Parses `--selector field:prefix`. */
function parseSelector(sel: string): { field: string; prefix: string } | undefined {
  const i = sel.indexOf(':');
  if (i <= 0 || i === sel.length - 1) return undefined;
  return { field: sel.slice(0, i), prefix: sel.slice(i + 1) };
}

/** The value at a (possibly dotted) key, for selectors. */
function selectorValue(obj: Record<string, unknown>, field: string): unknown {
  const v = obj[field];
  if (v !== undefined || field.indexOf('.') < 0) return v;
  let cur: unknown = obj;
  for (const seg of field.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/** How `selectorRoute` routes, for `JsonDialect.routing`. */
export function selectorRouting(
  options: ReaderContext['options'],
  fallbackSelector?: string,
): JsonDialect['routing'] {
  if (options.schema) return { fixed: true };
  const sel = parseSelector(options.selector ?? fallbackSelector ?? '');
  // Dotted selector fields address nested values: those events are always parsed.
  return sel && sel.field.indexOf('.') < 0 ? { key: sel.field } : undefined;
}

/**
 * The router for `--schema` / `--selector` (and the suricata default
 * `event_type:suricata`): `prefix.<value>` names the schema.
 */
export function selectorRoute(
  options: ReaderContext['options'],
  fallbackSelector?: string,
): (obj: Record<string, unknown>) => string | null | { error: string } {
  if (options.schema) {
    const name = options.schema;
    return () => name;
  }
  const text = options.selector ?? fallbackSelector;
  if (!text) return () => null;
  const sel = parseSelector(text);
  if (!sel) {
    const error = `invalid selector '${text}': expected 'field:prefix'`;
    return () => ({ error });
  }
  const { field, prefix } = sel;
  let lastValue: unknown = parseSelector; // any value no event can hold
  let lastName = '';
  return (obj) => {
    const v = selectorValue(obj, field);
    if (v === lastValue) return lastName;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean' && typeof v !== 'bigint')
      return { error: `selector field '${field}' is missing or not a string` };
    lastValue = v;
    lastName = `${prefix}.${v}`;
    return lastName;
  };
}

/** Runs a dialect over an input: framing, decoding, layouts, batches. */
export async function* readJsonEvents(
  input: AsyncIterable<Uint8Array>,
  ctx: ReaderContext,
  dialect: JsonDialect,
): AsyncIterable<A.RecordBatch> {
  const framer = new JsonObjectFramer({
    maxObjectBytes: ctx.maxLineBytes,
    onTooLong: (line, column, bytes) =>
      ctx.report(
        errorDiagnostic(`JSON object too long: ${bytes} bytes (limit ${ctx.maxLineBytes})`, {
          location: { source: ctx.file, line, column },
          recoverable: true,
        }),
      ),
  });
  const sink = new JsonEventSink(ctx, dialect);
  for await (const chunk of input) {
    framer.push(chunk);
    sink.drain(framer);
    // An empty chunk: the input is idle (a followed file), so hand out what we have.
    if (chunk.length === 0) sink.flushAll();
    if (sink.out.length > 0) yield* sink.out.splice(0);
  }
  framer.finish();
  sink.drain(framer);
  sink.flushAll();
  yield* sink.out.splice(0);
}

/**
 * Reads JSON objects (NDJSON or concatenated) with schema inference; see the
 * file comment for `--schema` and `--selector`.
 */
export const readJson: Reader = (input, ctx) =>
  readJsonEvents(input, ctx, {
    // Events typed by a schema also take flat dotted keys (`"id.orig_h"`) for its nested
    // fields, as VAST's JSON reader did: what `export json` writes imports back.
    layout: { dottedKeys: ctx.options.schema !== undefined || ctx.options.selector !== undefined },
    route: selectorRoute(ctx.options),
    routing: selectorRouting(ctx.options),
  });
