/**
 * The pipeline operators, one file each (STYLE.md §3), one line here per
 * operator. Names must be unique: the registry refuses a second definition
 * at load time rather than letting one silently shadow the other.
 */
import { VastError } from '../../diagnostics.js';
import type { OperatorDef } from '../operator.js';
import { drop } from './drop.js';
import { extend } from './extend.js';
import { head } from './head.js';
import { rare } from './rare.js';
import { rename } from './rename.js';
import { select } from './select.js';
import { sort } from './sort.js';
import { summarize } from './summarize.js';
import { tail } from './tail.js';
import { top } from './top.js';
import { unique } from './unique.js';
import { where } from './where.js';

export const operators: readonly OperatorDef[] = [
  where,
  select,
  drop,
  rename,
  extend,
  head,
  tail,
  sort,
  unique,
  summarize,
  top,
  rare,
];

/** A name → definition map; throws on a duplicate name. */
export function makeOperatorRegistry(defs: readonly OperatorDef[]): ReadonlyMap<string, OperatorDef> {
  const map = new Map<string, OperatorDef>();
  for (const d of defs) {
    if (map.has(d.name))
      throw new VastError(
        `operator '${d.name}' is defined twice (src/pipeline/operators/index.ts); give one of them another name`,
      );
    map.set(d.name, d);
  }
  return map;
}

export const operatorRegistry = makeOperatorRegistry(operators);
