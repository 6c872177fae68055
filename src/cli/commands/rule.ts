/**
 * `vast rule add|list|show|remove` (Sigma rules that run on every import and
 * hunt the stored events once) and `vast alerts [--follow]` (what they
 * raised). Both modes: a database in this process, or a node's API.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import type { RuleAddResult, RuleFile } from '../../detect/rule-api.js';
import type { RuleShow, RuleSummary } from '../../detect/rules.js';
import { SIGMA_LEVELS } from '../../detect/sigma/types.js';
import { UsageError, VastError } from '../../diagnostics.js';
import { contentStream, huntLine, huntReportLine, plural, printResult } from '../content.js';
import { backendOf } from '../flags/endpoint.js';
import { textTable } from '../table.js';

const isSigmaFile = (name: string) => /\.ya?ml$/i.test(name);

/** The Sigma files a path names: the file, or every .yml/.yaml under the directory, in name order. */
function ruleFiles(path: string): RuleFile[] {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!st.isDirectory()) return [{ name: path, text: readFileSync(path, 'utf8') }];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((d) => {
      const p = join(path, d.name);
      if (d.isDirectory()) return ruleFiles(p);
      return d.isFile() && isSigmaFile(d.name) ? [{ name: p, text: readFileSync(p, 'utf8') }] : [];
    });
}

function addReport(r: RuleAddResult): string {
  const lines = [
    `${plural(r.changed.length, 'rule')} new or changed${r.unchanged > 0 ? `, ${r.unchanged} unchanged` : ''}` +
      (r.problems.length > 0 ? `, ${plural(r.problems.length, 'file')} skipped` : ''),
    ...r.changed.map(
      (s) =>
        `  ${s.id} revision ${s.revision}: ${s.title} (${s.level}${s.kind === 'correlation' ? ', correlation' : ''})`,
    ),
  ];
  if (r.hunt) lines.push(huntReportLine(r.hunt, 'alerts'));
  return lines.join('\n');
}

function listReport(rules: RuleSummary[]): string {
  if (rules.length === 0) return 'no rules';
  return textTable([
    ['id', 'revision', 'level', 'kind', 'schemas', 'title', 'error'],
    ...rules.map((r) => [
      r.id,
      String(r.revision),
      r.level,
      r.kind,
      r.schemas.join(',') || '-',
      r.title,
      r.error ?? '',
    ]),
  ]);
}

function showReport(s: RuleShow): string {
  const r = s.rule;
  return [
    `${r.id}: ${r.title}`,
    `level ${r.level}, revision ${r.revision}, updated ${r.updated}${r.file ? `, from ${r.file}` : ''}`,
    `${r.kind === 'correlation' ? 'correlation' : 'expression'}: ${s.compiled || '-'}`,
    ...(r.suppress ? [`suppress: ${r.suppress}`] : []),
    `actions: ${r.actions.join(' ') || 'none'}`,
    ...(r.error ? [`error: ${r.error}`] : []),
    ...s.hunts.map(huntLine),
  ].join('\n');
}

interface AddFlags {
  suppress?: string;
  suppressBy?: string;
  lateness?: string;
  action: string[];
  json?: boolean;
}

export function registerRule(program: Command): void {
  const rule = program
    .command('rule')
    .description('Sigma rules, run on every import (live) and once over the stored events (retro)');

  const add = rule
    .command('add')
    .description(
      'load Sigma rules from files or directories (recursively); a file that does not compile is reported and skipped',
    )
    .argument('<paths...>', 'Sigma YAML files or directories of them')
    .option('--suppress <duration>', 'one alert per rule and key within this window; the others are counted')
    .option(
      '--suppress-by <fields>',
      "comma-separated fields of the suppression key (default: the rule's fields)",
    )
    .option('--lateness <duration>', 'correlations: how long live windows wait for late events (default: 1h)')
    .option(
      '--action <action>',
      'for each alert: webhook=URL (POST JSON), exec=CMD (JSON on stdin), syslog=HOST:PORT (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('--json', 'print the result as JSON');
  add.action(async (paths: string[], flags: AddFlags) => {
    const files = paths.flatMap(ruleFiles);
    if (files.length === 0) throw new UsageError(`no .yml or .yaml files in ${paths.join(', ')}`);
    const r = await (await backendOf(add)).ruleAdd(files, {
      suppress: flags.suppress,
      suppressBy: flags.suppressBy?.split(',').filter((f) => f !== ''),
      lateness: flags.lateness,
      actions: flags.action,
    });
    for (const p of r.problems)
      process.stderr.write(
        `${p.file}${p.line !== undefined ? `:${p.line}:${p.column ?? 1}` : ''}: ${p.message}\n`,
      );
    printResult(flags.json, r, addReport(r));
  });

  const list = rule.command('list').description('the rules').option('--json', 'as JSON');
  list.action(async (flags: { json?: boolean }) => {
    const rules = await (await backendOf(list)).ruleList();
    printResult(flags.json, rules, listReport(rules));
  });

  const show = rule
    .command('show')
    .description('one rule: what it compiled to, its options, its retro hunts')
    .argument('<id>', 'the rule id or name')
    .option('--sigma', 'print its Sigma text')
    .option('--json', 'as JSON');
  show.action(async (id: string, flags: { json?: boolean; sigma?: boolean }) => {
    const s = await (await backendOf(show)).ruleShow(id);
    if (flags.sigma) process.stdout.write(s.source.endsWith('\n') ? s.source : `${s.source}\n`);
    else printResult(flags.json, s, showReport(s));
  });

  const remove = rule
    .command('remove')
    .description('remove a rule: it stops matching; its alerts stay')
    .argument('<id>');
  remove.action(async (id: string) => {
    if (!(await (await backendOf(remove)).ruleRemove(id))) throw new VastError(`no rule '${id}'`);
    process.stdout.write(`removed ${id}\n`);
  });

  contentStream<{ level?: string; rule?: string }>(
    program
      .command('alerts')
      .description('the alerts of rules, as JSON lines (with --follow: then new ones, as they happen)')
      .addOption(new Option('--level <level>', 'only alerts of this level and above').choices(SIGMA_LEVELS))
      .option('--rule <id>', 'only the alerts of this rule'),
    'vast.alert',
    (flags) => [
      ...(flags.level
        ? [`level in ${JSON.stringify(SIGMA_LEVELS.slice(SIGMA_LEVELS.indexOf(flags.level as never)))}`]
        : []),
      ...(flags.rule ? [`rule == ${JSON.stringify(flags.rule)}`] : []),
    ],
  );
}
