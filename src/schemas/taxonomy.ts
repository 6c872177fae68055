/**
 * VAST's taxonomy: concepts name one meaning that several schemas log under
 * different fields (`net.src.ip` is `zeek.conn.id.orig_h` and
 * `suricata.flow.src_ip`), models name a tuple of concepts
 * (`net.connection` = src ip, src port, dst ip, dst port, proto).
 *
 * A query's field extractor that names a concept stands for the OR over the
 * concept's fields (resolve.ts); a model compared with a record literal
 * stands for the AND over its concepts (`modelPredicate`).
 */
import type { Expr, Literal, Span } from '../expr/ast.js';

export interface Concept {
  readonly name: string;
  readonly description?: string;
  /** Qualified field names (`zeek.conn.id.orig_h`), matched with the suffix rule. */
  readonly fields: readonly string[];
  /** Concepts this one includes (`net.hostname` includes `net.src.hostname`). */
  readonly concepts: readonly string[];
}

export interface Model {
  readonly name: string;
  readonly description?: string;
  /** Concepts or models, in tuple order. */
  readonly definition: readonly string[];
}

const strings = (v: unknown, where: string): string[] => {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new Error(`${where}: expected a list of names`);
  return v as string[];
};

const description = (v: unknown, where: string): string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new Error(`${where}.description: expected a string`);
  return v.trim();
};

export class Taxonomy {
  readonly concepts = new Map<string, Concept>();
  readonly models = new Map<string, Model>();

  /**
   * Adds a concept. A second definition of the same name adds its fields and
   * sub-concepts to the first, as VAST merged concepts spread over files
   * (one file per data source).
   */
  addConcept(c: Concept): void {
    const old = this.concepts.get(c.name);
    if (!old) {
      this.concepts.set(c.name, c);
      return;
    }
    const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])];
    this.concepts.set(c.name, {
      name: c.name,
      description: c.description ?? old.description,
      fields: union(old.fields, c.fields),
      concepts: union(old.concepts, c.concepts),
    });
  }

  /** A later model of the same name replaces an earlier one (user files override shipped ones). */
  addModel(m: Model): void {
    this.models.set(m.name, m);
  }

  /** `concepts:` / `models:` maps of a schema file; `source` names the file in errors. */
  load(doc: { concepts?: unknown; models?: unknown }, source: string): void {
    for (const [name, def] of entries(doc.concepts, `${source}: concepts`)) {
      const where = `${source}: concepts.${name}`;
      this.addConcept({
        name,
        description: description(def.description, where),
        fields: strings(def.fields, `${where}.fields`),
        concepts: strings(def.concepts, `${where}.concepts`),
      });
    }
    for (const [name, def] of entries(doc.models, `${source}: models`)) {
      const where = `${source}: models.${name}`;
      const definition = strings(def.definition, `${where}.definition`);
      if (definition.length === 0) throw new Error(`${where}.definition: a model needs at least one concept`);
      this.addModel({ name, description: description(def.description, where), definition });
    }
  }

  /**
   * VAST 2's own file format: a list of `- concept: {name, description,
   * fields, concepts}` and `- model: {name, description, definition}` items,
   * so VAST's taxonomy files can be used as they are.
   */
  loadVastList(items: readonly unknown[], source: string): void {
    items.forEach((item, i) => {
      const where = `${source}: item ${i + 1}`;
      const { concept, model } = (item ?? {}) as {
        concept?: Record<string, unknown>;
        model?: Record<string, unknown>;
      };
      const def = concept ?? model;
      if (!def || typeof def.name !== 'string')
        throw new Error(`${where}: expected 'concept' or 'model' with a name`);
      this.load(concept ? { concepts: { [def.name]: def } } : { models: { [def.name]: def } }, source);
    });
  }

  /** The fields of a concept and of the concepts it includes; undefined when `name` is no concept. */
  conceptFields(name: string): string[] | undefined {
    if (!this.concepts.has(name)) return undefined;
    const fields = new Set<string>();
    const seen = new Set<string>();
    const walk = (n: string) => {
      const c = this.concepts.get(n);
      if (!c || seen.has(n)) return; // an unknown sub-concept adds nothing; a cycle stops
      seen.add(n);
      for (const f of c.fields) fields.add(f);
      for (const s of c.concepts) walk(s);
    };
    walk(name);
    return [...fields];
  }

  /** A model's concepts in tuple order, nested models flattened. */
  modelConcepts(name: string, seen: ReadonlySet<string> = new Set()): string[] {
    const m = this.models.get(name);
    if (!m) throw new Error(`unknown model '${name}'`);
    if (seen.has(name)) throw new Error(`model '${name}' includes itself`);
    const inner = new Set([...seen, name]);
    return m.definition.flatMap((d) => (this.models.has(d) ? this.modelConcepts(d, inner) : [d]));
  }
}

function entries(v: unknown, where: string): [string, Record<string, unknown>][] {
  if (v === undefined || v === null) return [];
  if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`${where}: expected a map of names`);
  return Object.entries(v as Record<string, unknown>).map(([k, d]) => {
    if (d === null || typeof d !== 'object' || Array.isArray(d))
      throw new Error(`${where}.${k}: expected a map (description, fields, ...)`);
    return [k, d as Record<string, unknown>];
  });
}

/**
 * `model == <a, _, c, _, _>` as an expression: the conjunction of
 * `concept == item` over the model's concepts in order, wildcards (undefined)
 * skipped; `!=` negates the whole tuple, as VAST 2 did. Throws when the
 * number of items differs from the model's arity.
 */
export function modelPredicate(
  taxonomy: Taxonomy,
  model: string,
  items: readonly (Literal | undefined)[],
  op: '==' | '!=' = '==',
  span: Span = { start: 0, end: 0 },
): Expr {
  const concepts = taxonomy.modelConcepts(model);
  if (concepts.length !== items.length)
    throw new Error(
      `model '${model}' has ${concepts.length} concepts (${concepts.join(', ')}) but the value has ${items.length}`,
    );
  const parts: Expr[] = [];
  concepts.forEach((name, i) => {
    const value = items[i];
    if (value === undefined) return;
    parts.push({
      kind: 'predicate',
      lhs: { kind: 'field', name, span },
      op: '==',
      rhs: { kind: 'literal', value, span },
      span,
    });
  });
  const all = parts.reduce<Expr | undefined>(
    (acc, p) => (acc ? { kind: 'and', left: acc, right: p, span } : p),
    undefined,
  ) ?? { kind: 'true', span };
  return op === '==' ? all : { kind: 'not', expr: all, span };
}
