/**
 * Where `pivot` and `explore` run their queries: on a node when one answers
 * (as `export` does), else on the local database. Both commands only need
 * "run this query text" and "which schemas are there", so they stay the same
 * in both modes; the CLI-wide backend interface can take this over.
 */

import type { RecordBatch } from 'apache-arrow';
import type { Command } from 'commander';
import { findFormat } from '../formats/index.js';
import type { RunQuery } from '../query/pivot.js';
import { prepareQuery, runQuery } from '../query/run.js';
import { schemaRegistry } from '../schemas/load.js';
import type { StoreStatus } from '../store/store.js';
import { Store } from '../store/store.js';
import type { Schema } from '../types/type.js';
import { dbDir } from './flags/db.js';
import { nodeClient } from './flags/endpoint.js';
import { openSink } from './output.js';

export interface QuerySource {
  readonly run: RunQuery;
  /** The schemas of the events the queries can see. */
  schemas(): Promise<readonly Schema[]>;
}

export async function querySource(cmd: Command): Promise<QuerySource> {
  const db = dbDir(cmd);
  const registry = schemaRegistry(db);
  const client = await nodeClient(cmd);
  if (client)
    return {
      run: (query, opts) => client.export(query, { maxEvents: opts?.maxEvents }),
      // The node names its schemas; their definitions (timestamp field) come from the shared registry.
      schemas: async () => {
        const s = await client.json<StoreStatus>('GET', '/api/v0/status');
        return s.schemas.flatMap((x) => registry.get(x.name) ?? []);
      },
    };
  const store = await Store.open(db);
  return {
    run: (query, opts) => runQuery(store, prepareQuery(query, store.schemas(), registry), opts),
    schemas: async () => store.schemas(),
  };
}

/** Writes batches in an output format to standard output or a file (`-w`). */
export async function writeBatches(
  batches: AsyncIterable<RecordBatch>,
  formatName: string,
  path: string | undefined,
): Promise<void> {
  const format = findFormat(formatName, 'write');
  const sink = openSink(path);
  for await (const chunk of format.write!(batches, { options: {} })) {
    await sink.write(chunk);
    if (sink.closed) break;
  }
  await sink.close();
}
