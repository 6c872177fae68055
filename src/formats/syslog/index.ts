/**
 * Syslog (`vast import syslog`): one message per line, in either of the two
 * wire formats found in the wild.
 *
 * - RFC 5424 (https://www.rfc-editor.org/rfc/rfc5424):
 *   `<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG]`
 *   → `syslog.rfc5424`. `-` (NILVALUE) is null. Structured data becomes a
 *   `map<string, map<string, string>>` from SD-ID to its parameters, with the
 *   escapes `\"`, `\\` and `\]` undone (a backslash before any other character
 *   stays, as the RFC says). A UTF-8 BOM before MSG is dropped; MSG is kept
 *   byte for byte otherwise (leading spaces included), and is null when absent.
 * - RFC 3164 (https://www.rfc-editor.org/rfc/rfc3164) and what syslog daemons
 *   write to files: `[<PRI>]TIMESTAMP SP [HOSTNAME SP] [TAG[\[PID\]]: ]CONTENT`
 *   → `syslog.rfc3164`, with TAG as `app_name` and CONTENT as `message`; facility
 *   and severity are null without PRI. TIMESTAMP is `Mmm dd hh:mm:ss` (also with
 *   a year after the day, as Cisco writes it) or an RFC 3339 time (rsyslog's
 *   file format). `Mmm dd` has no year and no zone: we read it as UTC, in the
 *   current year, or in the year before when that would put it more than a day
 *   in the future (a December log read in January).
 * - Anything else becomes `syslog.unknown` with the whole line in
 *   `syslog_message` (as VAST did), so nothing is lost; one warning at the end
 *   counts such lines and names the first.
 *
 * The hostname of a 3164 message is the word after the timestamp when a space
 * follows it; `host: msg` and `tag[pid]: msg` are read as a tag, not a host
 * (after Tenzir's `read_syslog`). Lines that are not valid UTF-8 are read with
 * U+FFFD in place of the bad bytes. Batches are per schema; lines of different
 * schemas are not kept in order relative to each other.
 */

import type * as A from 'apache-arrow';
import { errorDiagnostic, warningDiagnostic } from '../../diagnostics.js';
import type { FormatDef, ReaderContext } from '../format.js';
import { forEachLine, lineChunks } from '../framing/lines.js';
import { isBlank, latin1 } from './bytes.js';
import { SyslogParser } from './parser.js';

export { SyslogParser } from './parser.js';

/** Reads syslog lines (see the file comment). */
async function* readSyslog(
  input: AsyncIterable<Uint8Array>,
  ctx: ReaderContext,
): AsyncIterable<A.RecordBatch> {
  const parser = new SyslogParser({ batchSize: ctx.batchSize, schemas: ctx.schemas });
  const chunks = lineChunks(input, {
    maxLineBytes: ctx.maxLineBytes,
    onTooLong: (line, bytes) =>
      ctx.report(
        errorDiagnostic(`syslog line too long (${bytes} bytes; the limit is ${ctx.maxLineBytes})`, {
          location: { source: ctx.file, line, column: 1 },
          recoverable: true,
        }),
      ),
  });
  for await (const chunk of chunks) {
    const b = chunk.bytes;
    forEachLine(chunk, (s, e, line) => {
      if (!isBlank(b, s, e)) parser.parse(b, s, e, chunk.validUtf8, line);
    });
    // An empty chunk: the input is idle (a followed file), so hand out what we have.
    if (b.length === 0) yield* parser.flush();
    else yield* parser.takeFull();
  }
  yield* parser.flush();
  if (parser.unknown > 0) ctx.report(unknownWarning(parser.unknown, ctx.file, parser.firstUnknown));
}

/** The end-of-input warning about lines kept as `syslog.unknown`. */
function unknownWarning(count: number, file: string, firstLine: number) {
  return warningDiagnostic(
    `${count} line${count === 1 ? ' is' : 's are'} neither RFC 5424 nor RFC 3164 syslog; kept as syslog.unknown`,
    {
      location: firstLine > 0 ? { source: file, line: firstLine, column: 1 } : undefined,
      notes: firstLine > 0 ? [`the first is line ${firstLine}`] : [],
    },
  );
}

export const syslog: FormatDef = {
  name: 'syslog',
  description: 'Syslog messages (RFC 5424 and RFC 3164), one per line',
  extensions: ['.syslog'],
  detect: (head) =>
    /^<\d{1,3}>(?:[1-9]\d{0,2} |[A-Z][a-z]{2} [ \d]\d |\d{4}-\d\d-\d\dT)/.test(
      latin1(head, 0, Math.min(head.length, 64)),
    ),
  read: readSyslog,
};
