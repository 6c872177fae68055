/**
 * `vast sigma convert FILE...`: the VAST expression of each Sigma rule (and a
 * readable pipeline for each correlation rule), as the query path runs them.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  correlationPipeline,
  loadSigmaMappings,
  parseSigma,
  type SigmaRule,
} from '../../detect/sigma/index.js';
import { schemaRegistry } from '../../schemas/load.js';
import { dbDir } from '../flags/db.js';

export function registerSigma(program: Command): void {
  const sigma = program.command('sigma').description('Sigma rules as VAST queries');
  const convert = sigma
    .command('convert')
    .description('print the VAST expression of each Sigma rule (and a pipeline for each correlation)')
    .argument('<files...>', 'Sigma rule files (YAML; several documents per file allowed)');
  convert.action((files: string[]) => {
    const mappings = loadSigmaMappings(schemaRegistry(dbDir(convert)));
    const out: string[] = [];
    for (const file of files) {
      const docs = parseSigma(readFileSync(file, 'utf8'), { file, mappings });
      const rules = docs.filter((d): d is SigmaRule => d.kind === 'rule');
      for (const d of docs) {
        out.push(`# ${d.title} (${d.id}) ${file}:${d.origin.line}`);
        if (d.kind === 'rule') out.push(d.text);
        else {
          const p = correlationPipeline(d, rules, mappings);
          for (const n of p.notes) out.push(`# note: ${n}`);
          out.push(p.text);
        }
      }
    }
    process.stdout.write(`${out.join('\n')}\n`);
  });
}
