/**
 * Arrow as VAST 2 exported it (`vast export arrow`), so that tools written
 * for VAST's Arrow (its Python bindings, pyarrow with VAST's extension types)
 * read vast's output:
 *
 * - the schema name in the schema metadata key `VAST:name:0` (`zeek.conn`);
 * - ip: extension `vast.address` over `fixed_size_binary(16)`;
 * - subnet: extension `vast.subnet` over `struct<address: vast.address, length: uint8>`;
 * - enum: extension `vast.enumeration` over its dictionary;
 * - duration: Arrow's own `duration[ns]`;
 * - port: VAST 2 had no port type (`type port = count`): `uint64` named
 *   `port` in the field metadata `VAST:name:0`, as VAST named aliases there;
 *   other aliases likewise.
 *
 * The storage of ip, subnet and enum is vast's own, so only metadata changes;
 * durations are retyped over the same buffer; ports are widened (a copy).
 * vast's own keys (`vast.schema`, `vast.alias`, ...) stay, so `import arrow`
 * reads the result back exactly (see `vastType` in `types/arrow.ts`).
 * VAST also serialised an enum's names into `ARROW:extension:metadata`; that
 * would change with every growth of the dictionary, and with it the stream's
 * schema, so the names travel in the dictionary only.
 */
import * as A from 'apache-arrow';
import { batchType, EXTENSION_KEY, SCHEMA_NAME_KEY, VAST_NAME_KEY } from '../types/arrow.js';
import type { VastType } from '../types/type.js';

const EXTENSION_METADATA_KEY = 'ARROW:extension:metadata';

/** VAST 2's extension type names, by vast type. */
const VAST2_EXTENSIONS = {
  ip: 'vast.address',
  subnet: 'vast.subnet',
  enum: 'vast.enumeration',
} as const;

/** The batch with VAST 2's Arrow types and names (same rows, mostly the same buffers). */
export function vast2Batch(batch: A.RecordBatch): A.RecordBatch {
  const t = batchType(batch);
  const fields: A.Field[] = [];
  const children: A.Data[] = [];
  t.fields.forEach((f, k) => {
    const [field, data] = vast2Column(batch.schema.fields[k], f.type, batch.data.children[k]);
    fields.push(field);
    children.push(data);
  });
  const metadata = new Map(batch.schema.metadata);
  const name = metadata.get(SCHEMA_NAME_KEY);
  if (name !== undefined) metadata.set(VAST_NAME_KEY, name);
  const data = A.makeData({ type: new A.Struct(fields), length: batch.numRows, nullCount: 0, children });
  return new A.RecordBatch(new A.Schema(fields, metadata), data);
}

function withExtension(meta: Map<string, string>, name: string): Map<string, string> {
  meta.set(EXTENSION_KEY, name);
  meta.set(EXTENSION_METADATA_KEY, name);
  return meta;
}

function vast2Column(field: A.Field, t: VastType, data: A.Data): [A.Field, A.Data] {
  const meta = new Map(field.metadata);
  if (t.alias) meta.set(VAST_NAME_KEY, t.alias);
  const make = (type: A.DataType, d: A.Data = data.clone(type)): [A.Field, A.Data] => [
    new A.Field(field.name, type, field.nullable, meta),
    d,
  ];
  switch (t.kind) {
    case 'ip':
    case 'enum':
      withExtension(meta, VAST2_EXTENSIONS[t.kind]);
      return make(data.type, data);
    case 'subnet': {
      const [address, length] = (data.type as A.Struct).children;
      const type = new A.Struct([
        new A.Field('address', address.type, true, withExtension(new Map(), VAST2_EXTENSIONS.ip)),
        new A.Field('length', length.type, true),
      ]);
      withExtension(meta, VAST2_EXTENSIONS.subnet);
      return make(type);
    }
    case 'duration':
      meta.delete(EXTENSION_KEY);
      return make(new A.DurationNanosecond());
    case 'port': {
      meta.delete(EXTENSION_KEY);
      meta.set(VAST_NAME_KEY, t.alias ?? 'port');
      const ports = data.values as Uint16Array;
      const wide = new BigUint64Array(data.length);
      for (let i = 0; i < wide.length; i++) wide[i] = BigInt(ports[i]);
      const type = new A.Uint64();
      const d = A.makeData({
        type,
        length: data.length,
        nullCount: data.nullCount,
        nullBitmap: data.nullCount === 0 ? undefined : bitmapFrom(data),
        data: wide,
      });
      return make(type, d);
    }
    case 'list': {
      const [element, child] = vast2Column((data.type as A.List).children[0], t.element, data.children[0]);
      const type = new A.List(element);
      return make(type, data.clone(type, data.offset, data.length, data.nullCount, undefined, [child]));
    }
    case 'record': {
      const parts = t.fields.map((f, k) =>
        vast2Column((data.type as A.Struct).children[k], f.type, data.children[k]),
      );
      const type = new A.Struct(parts.map(([f]) => f));
      return make(
        type,
        data.clone(
          type,
          data.offset,
          data.length,
          data.nullCount,
          undefined,
          parts.map(([, d]) => d),
        ),
      );
    }
    case 'map': {
      const entriesField = (data.type as A.Map_).children[0];
      const entries = data.children[0];
      const [kf, vf] = (entriesField.type as A.Struct).children;
      const [key, keys] = vast2Column(kf, t.key, entries.children[0]);
      const [value, values] = vast2Column(vf, t.value, entries.children[1]);
      const entriesType = new A.Struct([key, value]);
      const entriesData = entries.clone(
        entriesType,
        entries.offset,
        entries.length,
        entries.nullCount,
        undefined,
        [keys, values],
      );
      const type = new A.Map_(
        new A.Field(entriesField.name, entriesType, false) as A.Field<
          A.Struct<{ key: A.DataType; value: A.DataType }>
        >,
      );
      return make(type, data.clone(type, data.offset, data.length, data.nullCount, undefined, [entriesData]));
    }
    default:
      return make(data.type, data);
  }
}

/** The validity bitmap of `data` starting at its first row (a sliced column's bits start at its offset). */
function bitmapFrom(data: A.Data): Uint8Array {
  const out = new Uint8Array((data.length + 7) >> 3);
  const bits = data.nullBitmap!;
  for (let i = 0; i < data.length; i++) {
    const j = data.offset + i;
    if (bits[j >> 3] & (1 << (j & 7))) out[i >> 3] |= 1 << (i & 7);
  }
  return out;
}
