/**
 * The shared real-data corpus lives beside the project (`../shared/datasets`),
 * not in the repo. Suites that need it use `describeDatasets`, which skips
 * visibly (with the reason in the test name) where the corpus is absent.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DATASETS = process.env.VAST_DATASETS ?? resolve(ROOT, '..', 'shared', 'datasets');
export const HAVE_DATASETS = existsSync(join(DATASETS, 'SOURCES.md'));
/** Fixtures copied into the repo (see test/data/README.md). */
export const TEST_DATA = join(ROOT, 'test', 'data');

export const dataset = (...parts: string[]) => join(DATASETS, ...parts);

/**
 * A suite shown as skipped, with the reason, whose body is never run. (`describe.skip` still
 * runs the body to collect its tests, so a body that lists a missing directory would crash.)
 */
export const describeSkipped = (name: string, reason: string) =>
  describe(name, () => {
    it.skip(`skipped: ${reason}`, () => {});
  });

/** `describe` over ../shared/datasets, or a visible skip when it is not there. */
export const describeDatasets = (name: string, fn: () => void) =>
  HAVE_DATASETS ? describe(name, fn) : describeSkipped(name, `${DATASETS} not found (set VAST_DATASETS)`);
