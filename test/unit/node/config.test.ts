/**
 * vast.yaml errors are located diagnostics: the key or value at line:column in
 * the file, its line with carets, and a "did you mean" for misspelt keys;
 * settings from the environment say which variable set them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { renderError, VastError } from '../../../src/diagnostics.js';
import { loadConfig } from '../../../src/node/config.js';

const tmp = mkdtempSync(join(tmpdir(), 'vast-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** The error loading a config file with `text` raises (no environment). */
function failure(text: string, env: NodeJS.ProcessEnv = {}): VastError {
  const file = join(tmp, `vast-${n++}.yaml`);
  writeFileSync(file, text);
  try {
    loadConfig({}, { file, env });
  } catch (e) {
    if (e instanceof VastError) return e;
    throw e;
  }
  throw new Error(`config accepted: ${text}`);
}

/** The rendered error with the temp file's path as `vast.yaml`. */
const rendered = (e: VastError) => renderError(e).replace(/\S*vast-\d+\.yaml/g, 'vast.yaml');

describe('config errors', () => {
  test('an invalid value is located at the value', () => {
    const e = failure('endpoint: 127.0.0.1:42999\nflush-interval: soon\n');
    expect(e.message).toMatch(/^invalid configuration: 'flush-interval' \(from .*vast-\d+\.yaml\): /);
    expect(rendered(e)).toBe(
      [
        "error: invalid setting 'flush-interval': Invalid input: expected number, received string",
        ' --> vast.yaml:2:17',
        '  |',
        '2 | flush-interval: soon',
        '  |                 ^^^^',
      ].join('\n'),
    );
  });

  test('an unknown key is located at the key, with the closest known one', () => {
    const e = failure('vast:\n  endpiont: 127.0.0.1:42999\n');
    expect(rendered(e)).toBe(
      [
        "error: unknown setting 'endpiont'",
        ' --> vast.yaml:2:3',
        '  |',
        '2 |   endpiont: 127.0.0.1:42999',
        '  |   ^^^^^^^^',
        "  = hint: did you mean 'endpoint'?",
      ].join('\n'),
    );
  });

  test('a YAML syntax error is located', () => {
    const e = failure('endpoint: 127.0.0.1:42999\ndb: [unclosed\n');
    const d = e.diagnostics[0];
    expect(d.message).toMatch(/^invalid YAML: /);
    expect(d.location).toMatchObject({ line: 3, column: 1 });
    expect(rendered(e)).toContain(' --> vast.yaml:3:1');
  });

  test('a file that is not a map of settings', () => {
    const e = failure('- a\n- b\n');
    expect(rendered(e)).toBe(
      [
        'error: expected a map of settings (`key: value` lines)',
        ' --> vast.yaml:1:1',
        '  |',
        '1 | - a',
        '  | ^',
      ].join('\n'),
    );
  });

  test('a setting from the environment names its variable, and has no place in the file', () => {
    const e = failure('endpoint: 127.0.0.1:42999\n', { VAST_TENANT_SOURCES: 'yes' });
    expect(e.message).toMatch(/^invalid configuration: 'tenant-sources' \(from environment\)/);
    expect(e.diagnostics).toEqual([
      {
        severity: 'error',
        message: "invalid setting 'tenant-sources': Invalid input: expected boolean, received string",
        notes: ['set by VAST_TENANT_SOURCES in the environment'],
        recoverable: false,
      },
    ]);
  });
});
