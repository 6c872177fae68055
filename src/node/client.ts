/**
 * The client side of a node: what `vast import/export/count/status/...` use
 * when a node is reachable. Imports are parsed locally and sent as Arrow IPC
 * batches, one request per batch, so each batch is acknowledged separately
 * once the node made it durable (as VAST's clients streamed table slices).
 */

import { connect } from 'node:net';
import * as A from 'apache-arrow';
import { VastError } from '../diagnostics.js';
import { readArrow } from '../formats/arrow.js';
import type { ReaderContext } from '../formats/format.js';
import { SchemaRegistry } from '../types/registry.js';
import { ARROW_STREAM, parseEndpoint, STREAM_ERROR_KEY } from './endpoint.js';

/** Requests in flight during an import: enough to hide latency, few enough to bound memory. */
const IMPORT_WINDOW = 4;

/** Whether something accepts TCP connections at `endpoint` (a quick probe, no HTTP). */
export function probe(endpoint: string, timeoutMs = 300): Promise<boolean> {
  const { host, port } = parseEndpoint(endpoint);
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export class NodeClient {
  private readonly base: string;
  constructor(
    readonly endpoint: string,
    private readonly token: string | undefined,
  ) {
    const { host, port } = parseEndpoint(endpoint);
    this.base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  async request(
    method: string,
    path: string,
    init: {
      query?: Record<string, string | number | boolean | undefined>;
      body?: Uint8Array | string;
      headers?: Record<string, string>;
      json?: unknown;
    } = {},
  ): Promise<Response> {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(init.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { ...init.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body = init.body;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body });
    } catch (e) {
      throw new VastError(`cannot reach the node at ${this.endpoint}: ${(e as Error).message}`);
    }
    if (!res.ok) {
      const text = await res.text();
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {}
      if (res.status === 401)
        throw new VastError(
          `the node at ${this.endpoint} refused the request: ${message} (set VAST_TOKEN or pass --token)`,
        );
      throw new VastError(message.startsWith('error:') ? message : `node: ${message}`);
    }
    return res;
  }

  async json<T>(method: string, path: string, init: Parameters<NodeClient['request']>[2] = {}): Promise<T> {
    return (await (await this.request(method, path, init)).json()) as T;
  }

  /**
   * Sends batches, at most IMPORT_WINDOW in flight; `onAck` runs per batch the
   * node acknowledged (durable). Rejects at the first failed batch.
   */
  async importBatches(
    batches: AsyncIterable<A.RecordBatch>,
    onAck: (b: A.RecordBatch) => void,
  ): Promise<void> {
    const inflight = new Set<Promise<void>>();
    let failure: unknown;
    for await (const batch of batches) {
      if (failure) break;
      const body = A.tableToIPC(new A.Table([batch]), 'stream');
      const p: Promise<void> = this.request('POST', '/api/v0/import', {
        query: { format: 'arrow' },
        headers: { 'content-type': ARROW_STREAM },
        body,
      }).then(
        async (res) => {
          await res.arrayBuffer();
          onAck(batch);
        },
        (e) => {
          failure ??= e;
        },
      );
      const tracked = p.finally(() => inflight.delete(tracked));
      inflight.add(tracked);
      if (inflight.size >= IMPORT_WINDOW) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    if (failure) throw failure;
  }

  /** Streams query results as batches (the node sends an Arrow IPC stream). */
  async *export(
    query: string | undefined,
    opts: { maxEvents?: number; continuous?: boolean; unified?: boolean } = {},
  ): AsyncIterable<A.RecordBatch> {
    const res = await this.request('GET', '/api/v0/export', {
      query: {
        expression: query,
        limit: opts.maxEvents,
        continuous: opts.continuous,
        unified: opts.unified,
        format: 'arrow',
      },
      headers: { accept: ARROW_STREAM },
    });
    if (!res.body) return;
    const ctx: ReaderContext = {
      file: this.endpoint,
      schemas: new SchemaRegistry(),
      batchSize: 65_536,
      maxLineBytes: 1 << 26,
      options: {},
      report(d) {
        throw new VastError(`bad response from the node: ${d.message}`);
      },
    };
    for await (const batch of readArrow(res.body as unknown as AsyncIterable<Uint8Array>, ctx)) {
      // A query that fails after results were sent ends its stream with the error (server.ts `errorStream`).
      const error = batch.schema.metadata.get(STREAM_ERROR_KEY);
      if (error !== undefined) throw new VastError(`node: ${error}`);
      yield batch;
    }
  }
}
