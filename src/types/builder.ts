/**
 * Column builders: one per VAST type (in ./builder/), each appending straight
 * into growable typed arrays and finishing into an Arrow `Data`. Hand-written
 * rather than arrow-js's `makeBuilder` because readers are the hottest path in
 * vast: these take bytes from the input buffer (no intermediate strings, no
 * BigInt per value) and can roll back a half-appended row when a later field
 * is bad (the contract is in ./builder/column.ts).
 *
 * This file is the one place that maps a type to its builder; readers import
 * from here.
 */

import { BoolBuilder } from './builder/bool.js';
import { ColumnBuilder } from './builder/column.js';
import { DoubleBuilder } from './builder/double.js';
import { EnumBuilder } from './builder/enum.js';
import { Int64Builder } from './builder/int64.js';
import { IpBuilder } from './builder/ip.js';
import { ListBuilder } from './builder/list.js';
import { MapBuilder } from './builder/map.js';
import { PortBuilder } from './builder/port.js';
import { RecordBuilder } from './builder/record.js';
import { StringBuilder } from './builder/string.js';
import { SubnetBuilder } from './builder/subnet.js';
import { type RecordType, unreachable, type VastType } from './type.js';

export type {
  BoolBuilder as BoolColumnBuilder,
  Int64Builder as Int64ColumnBuilder,
  IpBuilder as IpColumnBuilder,
  PortBuilder as PortColumnBuilder,
  StringBuilder as StringColumnBuilder,
};
export { ColumnBuilder, ListBuilder, RecordBuilder };

/** The builder for a VAST type (arrow-js's `builderctor` visitor, for our types). */
export function makeColumnBuilder(t: VastType): ColumnBuilder {
  switch (t.kind) {
    case 'bool':
      return new BoolBuilder(t);
    case 'int64':
    case 'uint64':
    case 'time':
    case 'duration':
      return new Int64Builder(t);
    case 'double':
      return new DoubleBuilder(t);
    case 'port':
      return new PortBuilder(t);
    case 'string':
      return new StringBuilder(t);
    case 'ip':
      return new IpBuilder(t);
    case 'subnet':
      return new SubnetBuilder(t);
    case 'enum':
      return new EnumBuilder(t);
    case 'list':
      return new ListBuilder(t, makeColumnBuilder(t.element));
    case 'record':
      return makeRecordBuilder(t);
    case 'map':
      return new MapBuilder(t, makeColumnBuilder(t.key), makeColumnBuilder(t.value));
    default:
      return unreachable(t);
  }
}

/** The builder for a record type (a batch's root). */
export function makeRecordBuilder(t: RecordType): RecordBuilder {
  return new RecordBuilder(
    t,
    t.fields.map((f) => makeColumnBuilder(f.type)),
  );
}

export function isInt64Builder(b: ColumnBuilder): b is Int64Builder {
  return b instanceof Int64Builder;
}
