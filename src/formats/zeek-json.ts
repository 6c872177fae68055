/**
 * Zeek's JSON logs (`LogAscii::use_json=T`, json-streaming-logs), typed with
 * the same schemas as Zeek TSV (`schemas/zeek.yaml`), so both give equal
 * columns for the same events.
 *
 * Three flavours in the wild:
 * - one log per file, no `_path` (`conn.log` with `use_json`): the schema is
 *   the `zeek.*` schema whose fields best match the event's keys, else
 *   `zeek.unknown`;
 * - json-streaming-logs with `_path` and `_write_ts` on every line: the schema
 *   is `zeek.<_path>`; `_path` is dropped (it is the schema name), `_write_ts`
 *   kept as a time;
 * - several paths mixed in one stream (Corelight exports): the same, per event.
 * Keys are flat and dotted (`id.orig_h`) and address the schema's nested
 * records; keys the schema lacks are inferred and added as they are (dots and
 * all); schema fields an event lacks are null (records are never null
 * themselves, as in Zeek TSV, where they are only a naming convention). `ts` may be ISO 8601 text or
 * epoch seconds; intervals are seconds. Numeric times and intervals are
 * rounded to microseconds, the resolution of Zeek's logs, and `\xHH` escapes
 * in strings are decoded as the Zeek TSV reader decodes them.
 */
import type { SchemaRegistry } from '../schemas/registry.js';
import { basic, leaves, record } from '../types/type.js';
import type { FormatDef } from './format.js';
import { shapeFromType } from './json/infer.js';
import { readJsonEvents } from './json/reader.js';

const TIME = { kind: 'typed', type: basic('time') } as const;

/** Zeek's `conn_id`: paths the registry does not know still get `id.orig_h` & co. typed and nested. */
const CONN_ID = {
  name: 'id',
  shape: shapeFromType(
    record([
      { name: 'orig_h', type: basic('ip') },
      { name: 'orig_p', type: basic('port') },
      { name: 'resp_h', type: basic('ip') },
      { name: 'resp_p', type: basic('port') },
    ]),
  ),
};

/** Zeek JSON keys that are metadata, not log fields. */
const isMeta = (k: string) => k.startsWith('_');

/** Picks `zeek.*` schemas by the keys of events that carry no `_path`. */
class SchemaGuesser {
  private candidates: { name: string; fields: Set<string> }[] | undefined;
  constructor(private readonly registry: SchemaRegistry) {}

  guess(obj: Record<string, unknown>): string {
    this.candidates ??= this.registry
      .all()
      .filter((s) => s.name.startsWith('zeek.'))
      .map((s) => ({ name: s.name, fields: new Set(leaves(s.type).map((l) => l.path)) }));
    let keys = 0;
    let best = 'zeek.unknown';
    let bestMatched = 0;
    let bestMissing = Number.POSITIVE_INFINITY;
    for (const k in obj) if (!isMeta(k)) keys++;
    for (const c of this.candidates) {
      let matched = 0;
      for (const k in obj) if (c.fields.has(k)) matched++;
      const missing = c.fields.size - matched;
      if (matched > bestMatched || (matched === bestMatched && missing < bestMissing)) {
        best = c.name;
        bestMatched = matched;
        bestMissing = missing;
      }
    }
    // Sharing `ts` and `uid` with a schema is not enough: three quarters of the keys must be its fields.
    return bestMatched >= 2 && bestMatched * 4 >= keys * 3 ? best : 'zeek.unknown';
  }
}

export const zeekJson: FormatDef = {
  name: 'zeek-json',
  description: "Zeek's JSON logs, typed like Zeek TSV",
  extensions: [],
  detect: (head) => {
    const s = Buffer.from(head.subarray(0, 1024)).toString('utf8').trimStart();
    return (
      s.startsWith('{') && (/"_path"\s*:/.test(s) || (/"ts"\s*:/.test(s) && /"(uid|id\.orig_h)"\s*:/.test(s)))
    );
  },
  read: (input, ctx) => {
    const guesser = new SchemaGuesser(ctx.schemas);
    let last: string | undefined;
    return readJsonEvents(input, ctx, {
      layout: { zeek: true, dottedKeys: true, ignoreKeys: ['_path'], validRecords: true },
      route: (obj) => {
        if (ctx.options.schema) return ctx.options.schema;
        const path = obj._path;
        if (typeof path === 'string' && path !== '') return `zeek.${path}`;
        last ??= guesser.guess(obj);
        return last;
      },
      // Only guessed schemas are re-guessed when an event has keys the schema lacks.
      reroute: (obj, name) => {
        if (ctx.options.schema || typeof obj._path === 'string' || name !== last) return undefined;
        last = guesser.guess(obj);
        return last;
      },
      extraShape: (key) => (key === 'ts' || key === '_write_ts' ? TIME : undefined),
      nestedExtra: (key) => (key.startsWith('id.') ? CONN_ID : undefined),
      timestamp: 'ts',
      // Events with `_path` go to `zeek.<_path>`; guessed schemas are never predicted (no guard value).
      routing: ctx.options.schema ? { fixed: true } : { key: '_path' },
    });
  },
};
