/**
 * Sigma as a query language: Sigma rules compile to VAST expressions
 * (compile.ts), correlation rules to `SigmaCorrelation`s for the correlator.
 *
 * @example
 * const [rule] = parseSigma(readFileSync('rule.yml', 'utf8'), { file: 'rule.yml', mappings });
 * if (rule.kind === 'rule') console.log(rule.text); // #schema == "zeek.dns" && query in /\.evil$/i
 */
import { loadRegistry } from '../../schemas/registry.js';
import { correlationOf, ruleOf } from './document.js';
import { loadSigmaMappings, mapField, type SigmaMappings } from './mappings.js';
import type { SigmaCorrelation, SigmaDocument, SigmaRule } from './types.js';
import { entry, keyNode, optionalString, readDocuments, SigmaSource } from './yaml.js';

export { isSigma } from './is-sigma.js';
export { loadSigmaMappings, type SigmaMappings } from './mappings.js';

const MSG = {
  neither: "a Sigma document needs 'detection' (a rule) or 'correlation' (a correlation rule)",
  both: "a Sigma document has either 'detection' or 'correlation', not both",
  action: (a: string) =>
    `the Sigma 1 collection action '${a}' is not supported: write each rule as a document of its own`,
  correlationQuery:
    'correlation rules run as content: vast rule add (a query runs the detection rules of a Sigma text only)',
  empty: 'the Sigma text holds no rule',
};

/**
 * Every rule and correlation of a Sigma text (YAML, possibly several
 * documents separated by `---`), in order. Throws a `VastError` whose
 * diagnostic points at FILE:LINE:COLUMN of the offending node. Without
 * `mappings`, the shipped ones (schemas/sigma.yaml).
 */
export function parseSigma(
  text: string,
  options: { file?: string; mappings?: SigmaMappings } = {},
): SigmaDocument[] {
  const src = new SigmaSource(text, options.file ?? '<sigma>');
  const mappings = options.mappings ?? loadSigmaMappings(loadRegistry());
  const docs = readDocuments(src);
  const out: SigmaDocument[] = [];
  const rules: SigmaRule[] = [];
  const pending: (() => SigmaCorrelation)[] = [];
  for (const { root, offset } of docs) {
    const action = optionalString(src, root, 'action');
    if (action !== undefined) throw src.error(MSG.action(action), entry(root, 'action'));
    const detection = keyNode(root, 'detection');
    const correlation = keyNode(root, 'correlation');
    if (detection && correlation) throw src.error(MSG.both, correlation);
    if (!detection && !correlation) throw src.error(MSG.neither, root.range?.[0] ?? offset);
    if (detection) {
      const rule = ruleOf(src, root, offset, mappings);
      rules.push(rule);
      out.push(rule);
    } else {
      // Correlations map their fields through the rules they name, which may come later in the text.
      const index = out.length;
      out.push(undefined as unknown as SigmaDocument);
      pending.push(() => {
        const c = correlationOf(src, root, offset, (field, refs) => groupField(rules, mappings, field, refs));
        out[index] = c;
        return c;
      });
    }
  }
  for (const p of pending) p();
  return out;
}

/** A correlation's field through the field mapping of the first referenced rule's schemas that maps it. */
function groupField(
  rules: readonly SigmaRule[],
  mappings: SigmaMappings,
  field: string,
  refs: readonly string[],
): string {
  for (const ref of refs) {
    const rule = rules.find((r) => r.id === ref || r.name === ref);
    for (const schema of rule?.schemas ?? []) {
      const [mapped] = mapField(mappings, schema, field);
      if (mapped !== field) return mapped;
    }
  }
  return field;
}

/**
 * A Sigma text given where a query is expected, as VAST query text: the
 * expression of its rule (several rules: any of them). Correlations are an
 * error: they run as content.
 */
export function sigmaQueryText(
  text: string,
  options: { file?: string; mappings?: SigmaMappings } = {},
): string {
  const docs = parseSigma(text, options);
  const src = new SigmaSource(text, options.file ?? '<sigma>');
  const correlation = docs.find((d) => d.kind === 'correlation');
  if (correlation) throw src.error(MSG.correlationQuery, lineOffset(text, correlation.origin.line));
  if (docs.length === 0) throw src.error(MSG.empty, 0);
  return docs
    .map((d) => (docs.length > 1 ? `(${(d as SigmaRule).text})` : (d as SigmaRule).text))
    .join(' || ');
}

function lineOffset(text: string, line: number): number {
  let off = 0;
  for (let l = 1; l < line; l++) off = text.indexOf('\n', off) + 1;
  return off;
}

export { correlationPipeline } from './pipeline.js';
export type { SigmaDocument, SigmaRule } from './types.js';
