/**
 * The indicators of a set (or of a hunt), column by column: a type code per
 * indicator, the values as one string with offsets, and the few indicators
 * that carry more (a field, context, a validity window) in a side table.
 *
 * Why not an array of `Indicator` objects: a node holds its sets for as long
 * as it runs, and a million objects (plus their strings) in the old
 * generation are traced by every major garbage collection of the ingest path
 * that matches against them. Measured on the bench's 1M-address set
 * (`npm run bench -- --only intel-ingest`): the import paid 18 s of extra CPU
 * for 10M events with them. Here they are a handful of objects; an
 * `Indicator` is made only when one is asked for (a sighting, `intel show`).
 */
import { type Indicator, type IndicatorType, NO_CONTEXT } from './indicator.js';

const TYPES: readonly IndicatorType[] = ['ip', 'subnet', 'domain', 'url', 'md5', 'sha1', 'sha256', 'string'];
const CODE = new Map(TYPES.map((t, i) => [t, i]));

/** What an indicator has beside its type and value. */
type Extras = Pick<Indicator, 'field' | 'validFrom' | 'validUntil'> & { context?: Record<string, string> };

/** The table as its file stores it (inside the set's JSON). */
export interface IndicatorTableJson {
  /** One character per indicator: its type's code, `'0'` + index in TYPES. */
  types: string;
  values: string[];
  /** `[index, extras]` of the indicators that have any. */
  extras: [number, Extras][];
}

export class IndicatorTable implements Iterable<Indicator> {
  private constructor(
    private readonly codes: Uint8Array,
    private readonly text: string,
    private readonly offsets: Int32Array,
    private readonly extras: ReadonlyMap<number, Extras>,
  ) {}

  static readonly EMPTY = IndicatorTable.from([]);

  static from(indicators: Iterable<Indicator>): IndicatorTable {
    const list = [...indicators];
    const codes = new Uint8Array(list.length);
    const offsets = new Int32Array(list.length + 1);
    const extras = new Map<number, Extras>();
    const parts: string[] = [];
    let at = 0;
    list.forEach((i, k) => {
      codes[k] = CODE.get(i.type)!;
      parts.push(i.value);
      at += i.value.length;
      offsets[k + 1] = at;
      const e = extrasOf(i);
      if (e) extras.set(k, e);
    });
    return new IndicatorTable(codes, parts.join(''), offsets, extras);
  }

  static fromJson(json: IndicatorTableJson): IndicatorTable {
    const n = json.values.length;
    if (json.types.length !== n) throw new Error(`${json.types.length} types for ${n} values`);
    const codes = new Uint8Array(n);
    const offsets = new Int32Array(n + 1);
    let at = 0;
    for (let k = 0; k < n; k++) {
      const c = json.types.charCodeAt(k) - 48;
      if (!(c >= 0 && c < TYPES.length)) throw new Error(`unknown indicator type code at ${k}`);
      codes[k] = c;
      at += json.values[k].length;
      offsets[k + 1] = at;
    }
    return new IndicatorTable(codes, json.values.join(''), offsets, new Map(json.extras));
  }

  toJSON(): IndicatorTableJson {
    let types = '';
    const values: string[] = [];
    for (let k = 0; k < this.length; k++) {
      types += String.fromCharCode(48 + this.codes[k]);
      values.push(this.value(k));
    }
    return { types, values, extras: [...this.extras] };
  }

  get length(): number {
    return this.codes.length;
  }

  type(k: number): IndicatorType {
    return TYPES[this.codes[k]];
  }

  value(k: number): string {
    return this.text.slice(this.offsets[k], this.offsets[k + 1]);
  }

  field(k: number): string | undefined {
    return this.extras.get(k)?.field;
  }

  /** Indicator `k` as an object (made on each call). */
  get(k: number): Indicator {
    const e = this.extras.get(k);
    const i: Indicator = { type: this.type(k), value: this.value(k), context: e?.context ?? NO_CONTEXT };
    if (e?.field !== undefined) i.field = e.field;
    if (e?.validFrom !== undefined) i.validFrom = e.validFrom;
    if (e?.validUntil !== undefined) i.validUntil = e.validUntil;
    return i;
  }

  /** Whether indicator `k` has a validity window. */
  hasValidity(k: number): boolean {
    const e = this.extras.get(k);
    return e !== undefined && (e.validFrom !== undefined || e.validUntil !== undefined);
  }

  /** Every context key of any indicator, in first-seen order. */
  contextKeys(): string[] {
    const keys = new Set<string>();
    for (const e of this.extras.values()) for (const k of Object.keys(e.context ?? {})) keys.add(k);
    return [...keys];
  }

  /**
   * Bytes the table holds (an estimate: one byte a character of the values, as V8 keeps
   * Latin-1 strings; 64 bytes for each indicator with a field, context or validity).
   */
  memoryBytes(): number {
    return this.text.length + this.codes.byteLength + this.offsets.byteLength + 64 * this.extras.size;
  }

  /** Counts by type. */
  typeCounts(): Record<string, number> {
    const n = new Array<number>(TYPES.length).fill(0);
    for (const c of this.codes) n[c]++;
    return Object.fromEntries(TYPES.map((t, i) => [t, n[i]]).filter(([, c]) => c !== 0));
  }

  /** The first `n` indicators, as objects. */
  head(n: number): Indicator[] {
    return Array.from({ length: Math.min(n, this.length) }, (_, k) => this.get(k));
  }

  *[Symbol.iterator](): Iterator<Indicator> {
    for (let k = 0; k < this.length; k++) yield this.get(k);
  }
}

function extrasOf(i: Indicator): Extras | undefined {
  const hasContext = Object.keys(i.context).length > 0;
  if (!hasContext && i.field === undefined && i.validFrom === undefined && i.validUntil === undefined)
    return undefined;
  const e: Extras = {};
  if (hasContext) e.context = i.context;
  if (i.field !== undefined) e.field = i.field;
  if (i.validFrom !== undefined) e.validFrom = i.validFrom;
  if (i.validUntil !== undefined) e.validUntil = i.validUntil;
  return e;
}
