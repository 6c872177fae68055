/**
 * Property-based fuzzing of every reader, the expression parser and the
 * query/pipeline parser (issue 9, "Fuzzing"); the targets are in targets.ts.
 *
 * CI runs a short pass (FUZZ_RUNS, default 100 inputs per target). The long
 * run is `npm run fuzz` (100 000 inputs per target, in a child process with
 * a watchdog for hangs; see run.ts), or by hand:
 *   FUZZ_RUNS=100000 FUZZ_TARGET=zeek npx vitest run test/fuzz/fuzz.test.ts
 * FUZZ_SEED replays a reported run; FUZZ_LAST_INPUT=<file> keeps the input
 * being checked in that file, so that a hang the watchdog kills is known.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { failureReport, fuzz, fuzzTargets, TARGET_NAMES } from './targets.js';

const runs = Number(process.env.FUZZ_RUNS ?? 100);
const only = process.env.FUZZ_TARGET;
// The short CI run is deterministic (a fixed seed); long runs explore (a random seed unless given).
const seed =
  process.env.FUZZ_SEED !== undefined
    ? Number(process.env.FUZZ_SEED)
    : process.env.FUZZ_RUNS === undefined
      ? 20261204
      : undefined;
const lastInput = process.env.FUZZ_LAST_INPUT;
const targets = await fuzzTargets();
const keep = lastInput
  ? (input: unknown) =>
      writeFileSync(lastInput, input instanceof Uint8Array ? input : JSON.stringify(input, replacer))
  : undefined;
/** Bytes inside tuples as hex, so that a kept input can be replayed. */
const replacer = (_: string, v: unknown) =>
  v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer'
    ? { hex: Buffer.from((v as { data: number[] }).data).toString('hex') }
    : v;

describe('fuzzing: no crash, no hang, every rejection a clear error', () => {
  test('every reader has a target', () => {
    expect(targets.map((t) => t.name)).toEqual(TARGET_NAMES);
  });
  for (const target of targets.filter((t) => !only || only.split(',').includes(t.name)))
    test(
      `${target.name}: ${runs} inputs`,
      async () => {
        const details = await fuzz(target, runs, { seed, onInput: keep });
        expect(details.failed, failureReport(details)).toBe(false);
      },
      600_000 + runs * 50,
    );
});
