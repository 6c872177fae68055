import { Readable } from 'node:stream';
import type * as A from 'apache-arrow';
import { z } from 'zod';
import { DiagnosticWire } from '../../diagnostics/wire.js';
import { type Diagnostic, InputError, VastError } from '../../diagnostics.js';
import { findFormat, formatNames, readerOptions } from '../../formats/index.js';
import { namedOptionValues, optionQuerySchema } from '../../formats/options.js';
import { InputLimitError, readBatches } from '../../formats/read.js';
import { StorageFullError } from '../../store/errors.js';
import { BATCH_ID_HEADER, BATCH_ID_RE } from '../batch-ids.js';
import { ARROW_STREAM } from '../endpoint.js';
import { HttpError, text } from '../http.js';
import { defineRoute } from './route.js';

/** Diagnostics returned in an import response; the rest are only counted. */
const MAX_REPORTED = 20;
const BATCH_ID_MESSAGE = 'X-VAST-Batch-Id must be 1-128 characters of A-Z a-z 0-9 . _ : -';

export const importEvents = defineRoute({
  method: 'POST',
  path: '/api/v0/import',
  role: 'write',
  summary:
    'import events: a raw format body (?format=zeek) or an Arrow IPC stream; returns when they are durable',
  query: z.object({
    format: text.meta({ description: formatNames('read').join(', ') }),
    // Query string values are always text: an enum fits as it is, and the document shows it.
    'on-error': z.enum(['skip', 'fail'], { error: "'on-error' must be skip or fail" }).default('skip'),
    name: text.meta({ description: 'the input name in diagnostics' }),
    schema: text,
    selector: text,
    // The readers' own options (pcap's cutoff, ...), declared once on their formats.
    ...optionQuerySchema(Object.fromEntries([...readerOptions].map(([n, o]) => [n, o.def]))),
  }),
  headers: z.object({
    [BATCH_ID_HEADER]: z
      .string({ error: BATCH_ID_MESSAGE })
      .regex(BATCH_ID_RE, { error: BATCH_ID_MESSAGE })
      .optional()
      .meta({
        description:
          'makes the request idempotent and all-or-nothing: a repeated id is not ingested again (answer has duplicate: true)',
      }),
  }),
  response: z.object({
    events: z.number().int().meta({ description: 'events stored (with a batch id: by the first request)' }),
    errors: z.number().int().meta({ description: 'rows or lines skipped' }),
    diagnostics: z
      .array(DiagnosticWire)
      .meta({ description: 'the first 20 problems, each with its source, line and column' }),
    duplicate: z.boolean().optional().meta({ description: 'with a batch id: already imported before' }),
  }),
  rawBody: ['application/octet-stream', ARROW_STREAM],
  responses: {
    200: '{events, errors, diagnostics, duplicate (with a batch id)}',
    400: 'unknown format or unreadable input (events before the error are kept and counted)',
    413: 'input larger than max-import-bytes (counted after decompression)',
    507: 'the disk is full: events from the failed batch on were not acknowledged',
  },
  async handler({ req, reply, query, headers }, { node, tenantOf, audit }) {
    const t = await tenantOf(req);
    const formatName = query.format ?? (req.headers['content-type'] === ARROW_STREAM ? 'arrow' : undefined);
    if (!formatName)
      throw new HttpError(
        400,
        "missing 'format' (e.g. ?format=zeek, or Content-Type: application/vnd.apache.arrow.stream)",
      );
    const format = findFormat(formatName, 'read');
    for (const [name, { formats }] of readerOptions)
      if ((query as Record<string, unknown>)[name] !== undefined && !formats.includes(format.name))
        throw new HttpError(
          400,
          `option '${name}' is for format ${formats.join(', ')}, not '${format.name}'`,
        );
    const extra = namedOptionValues(`format '${format.name}'`, format.options ?? {}, query);
    const batchId = headers[BATCH_ID_HEADER];
    if (!(req.body instanceof Readable)) throw new HttpError(400, 'missing request body');
    const body = req.body as Readable;
    const diagnostics: Diagnostic[] = [];
    const stats = { errors: 0, warnings: 0 };
    let events = 0;
    let failure: Error | undefined;
    // With a batch id, the request's batches are ingested at the end, all or nothing, and only once.
    const collected: A.RecordBatch[] = [];
    try {
      const batches = readBatches(
        format,
        body,
        {
          file: query.name ?? '<request>',
          // Counted after decompression: a small gzip may hold gigabytes.
          maxInputBytes: node.config['max-import-bytes'],
          maxInputBytesName: 'max-import-bytes',
          schemas: node.registry,
          onError: query['on-error'],
          schema: query.schema,
          selector: query.selector,
          extra,
          onDiagnostic: (d) => {
            if (diagnostics.length < MAX_REPORTED) diagnostics.push(d);
          },
        },
        stats,
      );
      for await (const batch of batches) {
        if (batchId) collected.push(batch);
        else await t.ingest(batch);
        events += batch.numRows;
      }
    } catch (e) {
      // An answer before the whole body was read: the rest of it must not be read as the next request.
      if (!req.raw.complete) reply.header('connection', 'close');
      if (e instanceof HttpError) throw e;
      failure = e as Error;
    }
    const report = { events, errors: stats.errors, diagnostics };
    audit(req, 'import', {
      target: formatName,
      details: { events, errors: stats.errors },
      outcome: failure ? 'failure' : 'success',
    });
    if (batchId && failure) report.events = 0;
    if (batchId && !failure) {
      const { ack, duplicate } = await t.ingestOnce(batchId, collected, stats.errors);
      return { ...report, events: ack.events, errors: ack.errors, duplicate };
    }
    // What was ingested before a fatal error stays: it was acknowledged batch by batch.
    // A full disk: nothing from the failed batch on was acknowledged; the report says what was.
    if (!failure) return report;
    // The error answer's diagnostics: the input's problems, then the failure's own.
    const own = failure instanceof VastError ? failure.diagnostics : [];
    const all = [...diagnostics, ...own.filter((d) => !diagnostics.includes(d))];
    const counts = { events: report.events, errors: report.errors };
    if (failure instanceof StorageFullError) throw new HttpError(507, failure.message, counts, all);
    if (failure instanceof InputLimitError)
      throw new HttpError(413, failure.diagnostic?.message ?? failure.message, counts, all);
    const message = failure instanceof InputError ? failure.message : `cannot read input: ${failure.message}`;
    throw new HttpError(400, message, counts, all);
  },
});
