/**
 * Programs evaluated one after the other over the same batch may share their
 * column tests (`evaluate(..., shared)`, as the rule engine does for a hundred
 * Sigma rules): each must select what it selects alone, whatever ran before.
 */
import { join } from 'node:path';
import type * as A from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileQuery, evaluate } from '../../../src/expr/compile.js';
import { setIndices } from '../../../src/expr/kernels/bitmap.js';
import { mustParseExpression } from '../../../src/expr/parser.js';
import { zeek } from '../../../src/formats/zeek/index.js';
import { vastSchema } from '../../../src/types/arrow.js';
import { TEST_DATA } from '../../helpers/datasets.js';
import { readAll, registry } from '../../helpers/read.js';

const QUERIES = [
  'proto == /tcp/i',
  'id.resp_p in [80, 443] && proto == /tcp/i',
  '!(proto == /tcp/i) && id.resp_p in [53]',
  'proto == /tcp/i || conn_state == /s0/i',
  'id.resp_p in [80, 443] && conn_state == /sf/i && !(id.resp_h in 192.168.0.0/16)',
  'id.resp_p in [80, 443]',
  'conn_state == /sf/i',
];

describe('shared column tests', () => {
  let batches: A.RecordBatch[];
  beforeAll(async () => {
    ({ batches } = await readAll(zeek, { path: join(TEST_DATA, 'zeek', 'conn.log') }));
  });

  it('give every program the rows it selects alone', () => {
    let total = 0;
    for (const b of batches) {
      const schema = vastSchema(b.schema);
      const programs = QUERIES.map((q) =>
        compileQuery(mustParseExpression(q), q, [schema], registry).program(schema),
      );
      const alone = programs.map((p) => [...setIndices(evaluate(p, b), b.numRows)]);
      const shared = new Map<string, Uint8Array>();
      // Twice through: the second round finds every column test shared.
      for (let round = 0; round < 2; round++)
        programs.forEach((p, i) => {
          expect([...setIndices(evaluate(p, b, undefined, shared), b.numRows)]).toEqual(alone[i]);
        });
      expect(shared.size).toBeGreaterThan(0);
      total += alone.reduce((n, r) => n + r.length, 0);
    }
    expect(total).toBeGreaterThan(1000);
  });
});
