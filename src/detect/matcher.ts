/**
 * Intel content compiled for matching batches: every indicator of every set
 * goes into one set kernel per kind (an `IpSet` for addresses and networks, a
 * `StringSet` per taxonomy concept for domains, URLs and hashes, one per field
 * for plain strings), and each batch layout gets a plan once: which of its
 * columns each kernel runs over. Matching a batch is then one pass per planned
 * column over its Arrow buffers; only hits become objects.
 *
 * What an indicator matches (issue 12): an address or subnet every field of
 * type ip (and list<ip>); a domain, URL or hash the fields of the concept
 * `net.domain`, `net.uri`, `file.hash.{md5,sha1,sha256}` (schemas/taxonomy.yaml);
 * a plain string the fields its `field` names (suffix rule, as in queries).
 */
import type * as A from 'apache-arrow';
import { listMemberColumn } from '../expr/kernels/list.js';
import { IpSet, StringSet } from '../expr/kernels/sets.js';
import {
  isMemberLeaf,
  matchesFieldName,
  memberIndices,
  memberLeaves,
  resolveFields,
} from '../expr/resolve.js';
import type { Taxonomy } from '../schemas/taxonomy.js';
import { vastSchema } from '../types/arrow.js';
import { parseIPInto } from '../types/ip.js';
import { parseSubnet } from '../types/subnet.js';
import { indexPath, type Leaf, leaves, type Schema } from '../types/type.js';
import { columnAt } from './event-facts.js';
import type { Indicator, IndicatorType } from './indicator.js';
import type { IndicatorTable } from './indicator-table.js';
import type { IntelSet } from './intel-sets.js';

/** One (row, indicator, field) match in a batch. */
export interface Hit {
  row: number;
  target: number;
  leaf: Leaf;
  /** The matched column (shared by the hits of one planned column). */
  column: A.Data;
}

/** The event identifiers a sighting carries (sightings.ts), read along with the matched columns. */
const IDENTIFIERS = ['uid', 'community_id', 'flow_id'] as const;

const CONCEPT_OF: Partial<Record<IndicatorType, string>> = {
  domain: 'net.domain',
  url: 'net.uri',
  md5: 'file.hash.md5',
  sha1: 'file.hash.sha1',
  sha256: 'file.hash.sha256',
};

interface PlannedColumn {
  leaf: Leaf;
  /** Index path to the column; for a list member, to the list (`member`: the member's inside the element record). */
  path: number[];
  member?: number[];
  kernel: IpSet | StringSet;
}

const isIpLeaf = (l: Leaf) =>
  l.type.kind === 'ip' || (l.type.kind === 'list' && l.type.element.kind === 'ip');
const isStringLeaf = (l: Leaf) =>
  l.type.kind === 'string' || (l.type.kind === 'list' && l.type.element.kind === 'string');

const isoNs = (iso: string | undefined): bigint | undefined => {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : BigInt(ms) * 1_000_000n;
};

/** The column of a leaf: the children of nested records, down the leaf's index path. */

export class IntelMatcher {
  private readonly entries: readonly { set: IntelSet; indicators: IndicatorTable }[];
  // What each kernel id stands for (an entry and an indicator of its table), as typed arrays.
  private readonly targetEntry: Int32Array;
  private readonly targetIndex: Int32Array;
  private targets = 0;
  private readonly ips = new IpSet();
  /** Per concept (domains, URLs, hashes). */
  private readonly byConcept = new Map<string, StringSet>();
  /** Plain string indicators per field name. */
  private readonly byField = new Map<string, StringSet>();
  private readonly plans = new WeakMap<A.Schema, PlannedColumn[]>();
  /** An address being added (the kernel copies it). */
  private readonly scratch = new Uint8Array(16);

  /** `entries`: the sets and which of their indicators to match (all for live, the new ones for a retro hunt). */
  constructor(
    entries: readonly { set: IntelSet; indicators: IndicatorTable }[],
    private readonly taxonomy: Taxonomy,
  ) {
    this.entries = entries;
    const total = entries.reduce((n, e) => n + e.indicators.length, 0);
    this.targetEntry = new Int32Array(total);
    this.targetIndex = new Int32Array(total);
    this.ips.reserve(
      128,
      entries.reduce((n, e) => n + (e.indicators.typeCounts().ip ?? 0), 0),
    );
    entries.forEach((e, entry) => {
      for (let k = 0; k < e.indicators.length; k++) this.addIndicator(entry, k);
    });
  }

  get size(): number {
    return this.targets;
  }

  setOf(id: number): IntelSet {
    return this.entries[this.targetEntry[id]].set;
  }

  indicatorOf(id: number): Indicator {
    return this.entries[this.targetEntry[id]].indicators.get(this.targetIndex[id]);
  }

  /** The event-time window (ns) in which indicator `id` counts (STIX valid_from/valid_until), if it has one. */
  validity(id: number): { from?: bigint; until?: bigint } | undefined {
    const table = this.entries[this.targetEntry[id]].indicators;
    if (!table.hasValidity(this.targetIndex[id])) return undefined;
    const i = table.get(this.targetIndex[id]);
    return { from: isoNs(i.validFrom), until: isoNs(i.validUntil) };
  }

  /** Bytes the kernels hold (an estimate, for `vast intel show`). */
  memoryBytes(): number {
    let n = this.ips.memoryBytes() + this.targetEntry.byteLength + this.targetIndex.byteLength;
    for (const s of [...this.byConcept.values(), ...this.byField.values()]) n += s.memoryBytes();
    return n;
  }

  private addIndicator(entry: number, k: number): void {
    const { set, indicators } = this.entries[entry];
    const id = this.targets;
    const type = indicators.type(k);
    const value = indicators.value(k);
    switch (type) {
      case 'ip': {
        if (!parseIPInto(value, this.scratch)) return;
        this.ips.add(this.scratch, 128, id);
        break;
      }
      case 'subnet': {
        const net = parseSubnet(value);
        if (!net) return;
        this.ips.add(net.address, net.length, id);
        break;
      }
      case 'string': {
        const field = indicators.field(k);
        if (!field) return;
        let s = this.byField.get(field);
        if (!s) {
          s = new StringSet();
          this.byField.set(field, s);
        }
        s.add(value, id);
        break;
      }
      default: {
        const concept = CONCEPT_OF[type];
        if (!concept) return;
        let s = this.byConcept.get(concept);
        if (!s) {
          // Domains and hashes compare without case; URLs as written.
          s = new StringSet({ caseInsensitive: type !== 'url' });
          this.byConcept.set(concept, s);
        }
        s.add(value, id, { subdomains: type === 'domain' && set.subdomains });
      }
    }
    this.targetEntry[id] = entry;
    this.targetIndex[id] = k;
    this.targets++;
  }

  /** Which kernel runs over which column of a layout (once per Arrow schema object). */
  private plan(arrow: A.Schema): PlannedColumn[] {
    let plan = this.plans.get(arrow);
    if (!plan) {
      plan = this.planFor(vastSchema(arrow));
      this.plans.set(arrow, plan);
    }
    return plan;
  }

  /**
   * The top-level fields a scan reads for a layout: `match`, the columns the
   * kernels run over (empty when nothing of the content can match it), and
   * `extra`, the event time and the identifiers a sighting carries, which a
   * hunt reads only for the row groups with a hit.
   */
  fieldsFor(schema: Schema): { match: number[]; extra: number[] } {
    const plan = this.planFor(schema);
    const match = [...new Set(plan.map((c) => c.path[0]))].sort((a, b) => a - b);
    if (match.length === 0) return { match, extra: [] };
    const names = [schema.timestamp?.split('.')[0], ...IDENTIFIERS];
    const extra: number[] = [];
    schema.type.fields.forEach((f, k) => {
      if (names.includes(f.name) && !match.includes(k)) extra.push(k);
    });
    return { match, extra };
  }

  /**
   * For pruning by synopses: the leaves a layout is matched on when they are
   * all ip columns (addresses and subnets have exact Bloom and prefix
   * sketches), with the networks to test; undefined when some column is
   * matched by strings (case folding and subdomains defeat a Bloom filter of
   * the values as written) or it is a list member (no synopsis of its own).
   */
  ipPlan(schema: Schema): { leaves: Leaf[]; networks: { bytes: Uint8Array; length: number }[] } | undefined {
    const plan = this.planFor(schema);
    if (plan.some((c) => c.kernel !== this.ips || c.member !== undefined)) return undefined;
    this.networks ??= this.collectNetworks();
    return { leaves: plan.map((c) => c.leaf), networks: this.networks };
  }

  private networks: { bytes: Uint8Array; length: number }[] | undefined;

  private collectNetworks(): { bytes: Uint8Array; length: number }[] {
    const out: { bytes: Uint8Array; length: number }[] = [];
    for (const { indicators } of this.entries)
      for (let k = 0; k < indicators.length; k++) {
        const type = indicators.type(k);
        if (type === 'ip') {
          const bytes = new Uint8Array(16);
          if (parseIPInto(indicators.value(k), bytes)) out.push({ bytes, length: 128 });
        } else if (type === 'subnet') {
          const net = parseSubnet(indicators.value(k));
          if (net) out.push({ bytes: net.address, length: net.length });
        }
      }
    return out;
  }

  private planFor(schema: Schema): PlannedColumn[] {
    const plan: PlannedColumn[] = [];
    // The members of lists of records (EVE DNS v3's `dns.queries.rrname`) are matched like list fields.
    const add = (leaf: Leaf, kernel: IpSet | StringSet) => {
      if (!isMemberLeaf(leaf)) {
        const path = indexPath(schema.type, leaf.segments);
        if (path) plan.push({ leaf, path, kernel });
        return;
      }
      const at = memberIndices(schema.type, leaf);
      if (at) plan.push({ leaf, path: at.list, member: at.member, kernel });
    };
    const all = [...leaves(schema.type), ...memberLeaves(schema.type)];
    if (this.ips.size > 0) for (const l of all) if (isIpLeaf(l)) add(l, this.ips);
    for (const [concept, set] of this.byConcept)
      for (const l of resolveFields(schema, concept, this.taxonomy, all)) if (isStringLeaf(l)) add(l, set);
    for (const [field, set] of this.byField)
      for (const l of fieldLeaves(schema, all, field)) if (isStringLeaf(l)) add(l, set);
    return plan;
  }

  /** Every (row, indicator, field) match in the batch, rows in order per column. */
  match(batch: A.RecordBatch): Hit[] {
    const hits: Hit[] = [];
    if (this.size === 0 || batch.numRows === 0) return hits;
    for (const c of this.plan(batch.schema)) {
      const at = columnAt(batch, c.path);
      const column = c.member === undefined ? at : listMemberColumn(at, c.member);
      c.kernel.match(column, batch.numRows, (row, target) =>
        hits.push({ row, target, leaf: c.leaf, column }),
      );
    }
    return hits;
  }
}

/** The leaves a plain-string indicator's field names: exact path, else the suffix rule of queries. */
function fieldLeaves(schema: Schema, all: readonly Leaf[], field: string): Leaf[] {
  const exact = all.filter((l) => l.path === field);
  if (exact.length > 0) return exact;
  return all.filter(
    (l) => matchesFieldName(l.path, field) || matchesFieldName(`${schema.name}.${l.path}`, field),
  );
}
