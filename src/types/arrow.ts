/**
 * The mapping between VAST types and Arrow types (DESIGN.md, "Data model").
 * Types Arrow lacks are Arrow storage types tagged with the standard
 * `ARROW:extension:name` field metadata, so other Arrow tools still read them.
 */
import * as A from 'apache-arrow';
import '../util/flatbuffers-guard.js';
import { basic, type RecordType, record, type Schema, unreachable, type VastType } from './type.js';

export const EXTENSION_KEY = 'ARROW:extension:name';
export const ALIAS_KEY = 'vast.alias';
/** The names an alias type aliases in turn, comma-separated, innermost last (`VastType.aliasOf`). */
const ALIAS_OF_KEY = 'vast.alias_of';
export const SCHEMA_NAME_KEY = 'vast.schema';
export const SCHEMA_TIMESTAMP_KEY = 'vast.timestamp';
/** VAST 2's key for the name of a schema (schema metadata) or of an alias type (field metadata). */
export const VAST_NAME_KEY = 'VAST:name:0';
/**
 * Field metadata of a `string` column that the store hands out
 * dictionary-encoded (Arrow `Dictionary<Int32, Utf8>`, codes per row): kernels
 * test each dictionary entry once and `summarize` groups by code. Its VAST type
 * stays `string` (an enum is a dictionary without this key).
 */
export const DICTIONARY_STRING_KEY = 'vast.dictionary';

const EXT = {
  ip: 'vast.ip',
  subnet: 'vast.subnet',
  duration: 'vast.duration',
  port: 'vast.port',
} as const;

/** The Arrow data type that stores values of `t`. */
export function arrowType(t: VastType): A.DataType {
  switch (t.kind) {
    case 'bool':
      return new A.Bool();
    case 'int64':
    case 'duration':
      return new A.Int64();
    case 'uint64':
      return new A.Uint64();
    case 'double':
      return new A.Float64();
    case 'time':
      return new A.TimestampNanosecond('UTC');
    case 'string':
      return new A.Utf8();
    case 'ip':
      return new A.FixedSizeBinary(16);
    case 'subnet':
      return new A.Struct([
        new A.Field('address', new A.FixedSizeBinary(16), true),
        new A.Field('length', new A.Uint8(), true),
      ]);
    case 'port':
      return new A.Uint16();
    case 'enum':
      return new A.Dictionary(new A.Utf8(), new A.Int16());
    case 'list':
      return new A.List(arrowField('item', t.element));
    case 'record':
      return new A.Struct(t.fields.map((f) => arrowField(f.name, f.type)));
    case 'map':
      return new A.Map_(
        new A.Field(
          'entries',
          new A.Struct([arrowField('key', t.key, false), arrowField('value', t.value)]),
          false,
        ) as A.Field<A.Struct<{ key: A.DataType; value: A.DataType }>>,
      );
    default:
      return unreachable(t);
  }
}

/** An Arrow field for `t`, tagged so that `vastType` recovers `t` exactly. */
export function arrowField(name: string, t: VastType, nullable = true): A.Field {
  const meta = new Map<string, string>();
  if (t.kind in EXT) meta.set(EXTENSION_KEY, EXT[t.kind as keyof typeof EXT]);
  if (t.alias) meta.set(ALIAS_KEY, t.alias);
  if (t.aliasOf?.length) meta.set(ALIAS_OF_KEY, t.aliasOf.join(','));
  return new A.Field(name, arrowType(t), nullable, meta);
}

/** The Arrow schema of a VAST schema; the name and timestamp ride along as metadata. */
export function arrowSchema(s: Schema): A.Schema {
  const meta = new Map<string, string>([[SCHEMA_NAME_KEY, s.name]]);
  if (s.timestamp) meta.set(SCHEMA_TIMESTAMP_KEY, s.timestamp);
  return new A.Schema(
    s.type.fields.map((f) => arrowField(f.name, f.type)),
    meta,
  );
}

/** Recovers the VAST type of an Arrow field (inverse of `arrowField`). */
export function vastType(field: A.Field): VastType {
  const ext = field.metadata.get(EXTENSION_KEY);
  const alias = field.metadata.get(ALIAS_KEY);
  const aliasOf = field.metadata.get(ALIAS_OF_KEY);
  const t = isDictionaryString(field) ? basic('string') : vastTypeOf(field.type, ext);
  if (alias) return aliasOf ? { ...t, alias, aliasOf: aliasOf.split(',') } : { ...t, alias };
  // VAST 2's Arrow (and `export arrow`, see `formats/arrow-vast.ts`): ports are counts named `port`.
  const vastName = field.metadata.get(VAST_NAME_KEY);
  if (vastName === 'port' && t.kind === 'uint64') return basic('port');
  return t;
}

/** A dictionary-encoded twin of a `string` field (see DICTIONARY_STRING_KEY). */
export function dictionaryStringField(field: A.Field): A.Field {
  const meta = new Map(field.metadata);
  meta.set(DICTIONARY_STRING_KEY, 'true');
  return new A.Field(field.name, new A.Dictionary(new A.Utf8(), new A.Int32()), field.nullable, meta);
}

/** Whether a field is a `string` column handed out dictionary-encoded. */
export const isDictionaryString = (field: A.Field): boolean => field.metadata.has(DICTIONARY_STRING_KEY);

function vastTypeOf(type: A.DataType, ext: string | undefined): VastType {
  switch (ext) {
    case EXT.ip:
      return basic('ip');
    case EXT.subnet:
      return basic('subnet');
    case EXT.duration:
      return basic('duration');
    case EXT.port:
      return basic('port');
    // VAST 2's extension types.
    case 'vast.address':
      return basic('ip');
    case 'vast.subnet':
      return basic('subnet');
    case 'vast.enumeration':
      return { kind: 'enum' };
  }
  if (A.DataType.isBool(type)) return basic('bool');
  if (A.DataType.isInt(type)) return basic(type.isSigned ? 'int64' : 'uint64');
  if (A.DataType.isFloat(type)) return basic('double');
  if (A.DataType.isTimestamp(type) || A.DataType.isDate(type)) return basic('time');
  if (A.DataType.isDuration(type)) return basic('duration');
  if (A.DataType.isUtf8(type) || A.DataType.isLargeUtf8(type)) return basic('string');
  if (A.DataType.isDictionary(type)) return { kind: 'enum' };
  if (A.DataType.isList(type)) return { kind: 'list', element: vastType(type.children[0]) };
  if (A.DataType.isStruct(type))
    return record(type.children.map((f) => ({ name: f.name, type: vastType(f) })));
  if (A.DataType.isMap(type)) {
    const entries = type.children[0].type as A.Struct;
    return { kind: 'map', key: vastType(entries.children[0]), value: vastType(entries.children[1]) };
  }
  // Binary and other Arrow types that VAST has no word for are shown as strings.
  return basic('string');
}

/**
 * The one per-schema cache: batches of a stream share their Arrow schema
 * object, and every stage (operators, the importer, writers) asks for its VAST
 * schema, so it is recovered once per object. Schemas are immutable once a
 * batch carries them, and a `Schema` is read-only, so sharing it is safe.
 */
const vastSchemas = new WeakMap<A.Schema, Schema>();

/** Recovers the VAST schema of an Arrow schema (inverse of `arrowSchema`), once per schema object. */
export function vastSchema(s: A.Schema): Schema {
  let out = vastSchemas.get(s);
  if (!out) {
    const type: RecordType = record(s.fields.map((f) => ({ name: f.name, type: vastType(f) })));
    out = {
      name: s.metadata.get(SCHEMA_NAME_KEY) ?? s.metadata.get(VAST_NAME_KEY) ?? 'unknown',
      type,
      timestamp: s.metadata.get(SCHEMA_TIMESTAMP_KEY),
    };
    vastSchemas.set(s, out);
  }
  return out;
}

/** The schema name carried by a batch (set by every reader). */
export function schemaName(batch: A.RecordBatch): string {
  return batch.schema.metadata.get(SCHEMA_NAME_KEY) ?? 'unknown';
}

/** The VAST record type of a batch's rows (cached per Arrow schema by `vastSchema`). */
export function batchType(batch: A.RecordBatch): RecordType {
  return vastSchema(batch.schema).type;
}
