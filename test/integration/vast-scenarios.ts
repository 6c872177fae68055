/**
 * VAST 2's integration suite, replayed: every `test/vast-scenarios/*.yaml` is a
 * scenario reconstructed from tenzir/vast `vast/integration/vast_integration_suite.yaml`
 * (each file names the test it comes from), run as real `vast` processes twice:
 * embedded (a fresh database, `-d DB`; vast-scenarios-embedded.test.ts) and
 * against a real node on a free loopback port (one node per scenario file;
 * vast-scenarios-node.test.ts). Two test files, so the two modes run in parallel.
 *
 * ```yaml
 * scenario: Conn log counting          # the suite's test name
 * steps:
 *   - vast: [import, zeek]             # arguments after `vast`
 *     input: zeek/conn.log             # stdin (a path under test/data/), a file as `< FILE` gives it
 *   - vast: [count, ':ip == 192.168.1.104']
 *     stdout: '51'                     # whole standard output, trimmed
 *     oracle: awk ... | wc -l          # how the answer was computed (run in test/data/ and re-checked;
 *                                      # with `values`, it prints them one per line)
 *   - vast: [explore, --after=3min, 'uid == "Yaix3QBP3Xg"']
 *     json_field: uid                  # compare one field of the JSON lines, as a multiset ...
 *     values: [Yaix3QBP3Xg, ...]       # ... with these (what VAST printed, where known)
 *   - vast: [export, json, 'yo that is not a query']
 *     fails: 'error:'                  # non-zero exit, and this text on standard error
 *   - vast: [import, -b, zeek]
 *     needs: import-blocking           # a feature not built yet: skipped visibly
 *     modes: [node]                    # a step for one mode only (default: both)
 * needs: cli-global-options            # the same for the whole scenario
 * modes: [embedded]                    # default: both
 * ```
 *
 * A step that needs a missing feature is skipped, and so is every later step
 * of its scenario (their state would differ from VAST's).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ROOT, TEST_DATA } from '../helpers/datasets.js';
import { type Run, tempDb, vastAsync } from './cli.js';
import { type RunningNode, startNode } from './node-helpers.js';

const SCENARIOS = join(ROOT, 'test', 'vast-scenarios');

interface Step {
  vast: string[];
  input?: string;
  stdout?: string;
  oracle?: string;
  json_field?: string;
  values?: unknown[];
  fails?: string;
  needs?: string;
  /** The modes the step runs in (default: both). */
  modes?: Mode[];
}

interface Scenario {
  scenario: string;
  needs?: string;
  modes?: Mode[];
  steps: Step[];
}

export type Mode = 'embedded' | 'node';

const enabled = new Set((process.env.VAST_CASES_ENABLE ?? '').split(',').filter(Boolean));
const isEnabled = (need: string | undefined) => !need || enabled.has('all') || enabled.has(need);

function load(path: string): Scenario {
  const s = parseYaml(readFileSync(path, 'utf8')) as Scenario;
  if (typeof s.scenario !== 'string' || !Array.isArray(s.steps))
    throw new Error(`${path}: a scenario needs 'scenario' (its name) and 'steps'`);
  for (const [i, step] of s.steps.entries())
    if (!Array.isArray(step.vast))
      throw new Error(`${path}: step ${i + 1} needs 'vast' (a list of arguments)`);
  return s;
}

function checkOracle(step: Step): void {
  if (!step.oracle) return;
  const printed = execFileSync('sh', ['-c', step.oracle], { cwd: TEST_DATA, encoding: 'utf8' }).trim();
  // An oracle prints the expected standard output, or the expected values one per line.
  if (step.values)
    expect(printed.split('\n').sort(), `oracle: ${step.oracle}`).toEqual(step.values.map(String).sort());
  else expect(printed, `oracle: ${step.oracle}`).toBe(step.stdout);
}

function check(step: Step, r: Run): void {
  const what = `vast ${step.vast.join(' ')}\n${r.stderr}`;
  if (step.fails !== undefined) {
    expect(r.status, what).not.toBe(0);
    expect(r.stderr).toContain(step.fails);
    return;
  }
  expect(r.status, what).toBe(0);
  if (step.stdout !== undefined) expect(r.stdout.trim(), what).toBe(step.stdout);
  if (step.json_field && step.values) {
    const got = r.stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => (JSON.parse(l) as Record<string, unknown>)[step.json_field!]);
    const sort = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort();
    expect(sort(got), what).toEqual(sort(step.values));
  }
}

/** Declares the tests of every scenario that runs in `mode`. */
export function describeScenarios(mode: Mode): void {
  for (const file of readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml'))) {
    const s = load(join(SCENARIOS, file));
    if (!(s.modes ?? ['embedded', 'node']).includes(mode)) continue;
    const title = `${file}: ${s.scenario} [${mode}]`;
    if (!isEnabled(s.needs)) {
      describe.skip(`[needs ${s.needs}] ${title}`, () => {
        it('skipped', () => {});
      });
      continue;
    }
    describe(title, () => {
      const db = tempDb();
      let node: RunningNode | undefined;
      let env: Record<string, string> = {};
      beforeAll(async () => {
        if (mode === 'node') {
          node = await startNode(db.db);
          env = node.env();
        }
      });
      afterAll(async () => {
        await node?.stop();
        db.cleanup();
      });
      const args = (step: Step) => (mode === 'embedded' ? ['-d', db.db, ...step.vast] : step.vast);
      // A skipped import leaves the database unlike VAST's: later steps are skipped too.
      let blocked: string | undefined;
      for (const step of s.steps) {
        const name = `vast ${step.vast.join(' ')}`;
        if (step.modes && !step.modes.includes(mode)) continue;
        if (blocked || !isEnabled(step.needs)) {
          it.skip(`[needs ${step.needs ?? `${blocked} (an earlier import)`}] ${name}`, () => {});
          if (step.input && !blocked) blocked = step.needs;
          continue;
        }
        it(name, async () => {
          checkOracle(step);
          const stdinFile = step.input ? join(TEST_DATA, step.input) : undefined;
          check(step, await vastAsync(args(step), { stdinFile, env }));
        });
      }
    });
  }
}
