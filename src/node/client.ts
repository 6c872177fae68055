/**
 * The client side of a node: what `vast import/export/count/status/...` use
 * when a node is reachable. Imports are parsed locally and sent as Arrow IPC
 * batches, one request per batch, so each batch is acknowledged separately
 * once the node made it durable (as VAST's clients streamed table slices).
 *
 * Each batch carries a random batch id (`X-VAST-Batch-Id`) that it keeps
 * across retries: a batch whose request timed out or lost its connection
 * (e.g. the node restarted) is sent again, and the node, which remembers the
 * ids it made durable, ingests it once.
 */

import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import * as A from 'apache-arrow';
import { parseErrorBody } from '../diagnostics/wire.js';
import { type Diagnostic, errorDiagnostic, VastError } from '../diagnostics.js';
import { readArrow } from '../formats/arrow.js';
import type { ReaderContext } from '../formats/format.js';
import { SchemaRegistry } from '../schemas/registry.js';
import { BATCH_ID_HEADER } from './batch-ids.js';
import { ARROW_STREAM, parseClientEndpoint } from './endpoint.js';
import { streamErrorOf } from './stream-error.js';

/** Requests in flight during an import: enough to hide latency, few enough to bound memory. */
const IMPORT_WINDOW = 4;
/** How long one import request may take before it is abandoned and retried. */
const IMPORT_TIMEOUT_MS = 60_000;
/** How long a batch is retried after its first failure (a node restart fits well within). */
const IMPORT_RETRY_MS = 60_000;
/** The first pause between retries; it doubles up to the cap. */
const RETRY_BASE_MS = 100;
const RETRY_CAP_MS = 2_000;

/**
 * A failed request to the node; `status` 0 when no HTTP answer came (unreachable, timeout).
 * `diagnostics` are the node's, so the CLI renders them as an embedded run would.
 */
export class NodeRequestError extends VastError {
  constructor(
    message: string,
    readonly status: number,
    diagnostics?: readonly Diagnostic[],
  ) {
    super(message, diagnostics);
    this.name = 'NodeRequestError';
  }
}

/** Whether a failed import may be sent again with the same batch id: no answer, or the node asks to. */
function retryable(e: unknown): boolean {
  return e instanceof NodeRequestError && (e.status === 0 || e.status === 429 || e.status === 503);
}

/** The pause before retry number `attempt` (0-based): exponential with jitter, capped. */
function retryDelay(attempt: number): number {
  const base = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** attempt);
  return base / 2 + Math.random() * (base / 2);
}

/** How the client verifies a TLS node and proves itself to one (PEM contents). */
export interface ClientTls {
  /** CA certificates to trust instead of the system's. */
  ca?: Buffer;
  /** Client certificate and key, for a node started with a client CA. */
  cert?: Buffer;
  key?: Buffer;
}

/** Turns a transport failure into a message saying what to do about it. */
/** Why a request got no HTTP answer; not trusting the node's certificate is final, the rest may be retried. */
function reachError(endpoint: string, e: NodeJS.ErrnoException): VastError {
  const code = e.code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_CERT_ALTNAME/.test(code))
    return new VastError(
      `cannot reach the node at ${endpoint}: its TLS certificate is not trusted (${code}: ${e.message}); ` +
        "give the CA that signed the node's certificate with --cacert or VAST_CACERT",
    );
  if (code === 'ECONNRESET' || /socket hang up|wrong version number|EPROTO/i.test(`${code} ${e.message}`))
    return new NodeRequestError(
      `cannot reach the node at ${endpoint}: ${e.message} (the node and the client disagree on TLS: ` +
        'a node started with --certfile needs https://HOST:PORT and --cacert; a node needing client certificates needs --cert and --key)',
      0,
    );
  return new NodeRequestError(`cannot reach the node at ${endpoint}: ${e.message}`, 0);
}

/** One HTTP(S) exchange through node:http(s) (global fetch cannot take a custom CA), as a fetch Response. */
function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Uint8Array | string | undefined,
  tls: ClientTls | undefined,
  signal?: AbortSignal,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const opts = { method, headers, signal, ...(url.protocol === 'https:' ? tls : {}) };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      opts,
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 502;
        const noBody = status === 204 || status === 304 || method === 'HEAD';
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers))
          if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
        if (noBody) res.resume();
        resolve(
          new Response(noBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
            status,
            headers: h,
          }),
        );
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

export class NodeClient {
  private readonly base: string;
  constructor(
    readonly endpoint: string,
    private readonly token: string | undefined,
    private readonly tls?: ClientTls,
  ) {
    const { host, port, tls: scheme } = parseClientEndpoint(endpoint);
    // A CA or client certificate given for a plain HOST:PORT means TLS.
    const secure = scheme ?? (tls?.ca !== undefined || tls?.cert !== undefined);
    this.base = `${secure ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  async request(
    method: string,
    path: string,
    init: {
      query?: Record<string, string | number | boolean | undefined>;
      body?: Uint8Array | string;
      headers?: Record<string, string>;
      json?: unknown;
      signal?: AbortSignal;
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
      res = await send(url, method, headers, body, this.tls, init.signal);
    } catch (e) {
      throw reachError(this.endpoint, e as NodeJS.ErrnoException);
    }
    if (!res.ok) {
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {}
      // An error answer as the API sends it (`{error, diagnostics}`), or whatever came (a proxy's page).
      const answer = parseErrorBody(body);
      const message = answer?.error ?? text;
      if (res.status === 401) {
        const refused = `the node at ${this.endpoint} refused the request: ${message}`;
        const hint = 'set VAST_TOKEN or pass --token';
        throw new VastError(`${refused} (${hint})`, errorDiagnostic(refused, { hints: [hint] }));
      }
      throw new NodeRequestError(`node: ${message}`, res.status, answer?.diagnostics);
    }
    return res;
  }

  async json<T>(method: string, path: string, init: Parameters<NodeClient['request']>[2] = {}): Promise<T> {
    return (await (await this.request(method, path, init)).json()) as T;
  }

  /**
   * Sends one batch under its batch id, retrying (same id) on timeouts,
   * connection errors and 429/503 answers with backoff, for at most
   * IMPORT_RETRY_MS after the first failure; resolves with the node's answer.
   */
  async importBatch(
    body: Uint8Array,
    id: string = randomUUID(),
  ): Promise<{ events: number; duplicate?: boolean }> {
    let firstFailure: number | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.request('POST', '/api/v0/import', {
          query: { format: 'arrow' },
          headers: { 'content-type': ARROW_STREAM, [BATCH_ID_HEADER]: id },
          body,
          signal: AbortSignal.timeout(IMPORT_TIMEOUT_MS),
        });
        return (await res.json()) as { events: number; duplicate?: boolean };
      } catch (e) {
        const now = Date.now();
        firstFailure ??= now;
        if (!retryable(e) || now - firstFailure > IMPORT_RETRY_MS) throw e;
        await sleep(retryDelay(attempt));
      }
    }
  }

  /**
   * Sends batches, at most IMPORT_WINDOW in flight; `onAck` runs per batch the
   * node acknowledged (durable). Rejects at the first batch that failed for good.
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
      const p: Promise<void> = this.importBatch(body).then(
        () => onAck(batch),
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
    opts: { maxEvents?: number; continuous?: boolean; unified?: boolean; signal?: AbortSignal } = {},
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
      signal: opts.signal,
    });
    yield* this.arrowBatches(res);
  }

  /** Events by id (`vast get`). */
  async *get(ids: readonly number[]): AsyncIterable<A.RecordBatch> {
    const res = await this.request('GET', '/api/v0/get', {
      query: { ids: ids.join(','), format: 'arrow' },
      headers: { accept: ARROW_STREAM },
    });
    yield* this.arrowBatches(res);
  }

  /** The batches of an Arrow IPC stream response. */
  private async *arrowBatches(res: Response): AsyncIterable<A.RecordBatch> {
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
      // A query that fails after results were sent ends its stream with the error (stream-error.ts).
      const error = streamErrorOf(batch);
      if (error !== undefined) throw error;
      yield batch;
    }
  }
}
