/**
 * NetFlow v5, v9 and IPFIX (`vast import netflow`, `vast spawn source
 * netflow`): export packets into `netflow.flow` events, one per flow record.
 *
 * The decoder works on datagrams (`NetflowDecoder`, in decoder.ts); this file
 * adds the file framing of framing.ts (a pcap of export traffic, an IPFIX
 * file, or a stream of v5 packets). The `netflow` source feeds the decoder
 * from a UDP socket instead. See fields.ts for the schema.
 */
import type * as A from 'apache-arrow';
import { errorDiagnostic, warningDiagnostic } from '../../diagnostics.js';
import type { FormatDef, ReaderContext } from '../format.js';
import { NetflowDecoder } from './decoder.js';
import { datagrams, FramingError, type FramingStats } from './framing.js';

export { NetflowDecoder } from './decoder.js';
export { netflowSchema } from './fields.js';

/** Reads export packets from a file (see framing.ts); broken packets are reported and skipped. */
async function* readNetflow(
  input: AsyncIterable<Uint8Array>,
  ctx: ReaderContext,
): AsyncIterable<A.RecordBatch> {
  const decoder = new NetflowDecoder({
    batchSize: ctx.batchSize,
    report: (d) => ctx.report(d),
    file: ctx.file,
    schemas: ctx.schemas,
  });
  const stats: FramingStats = { notNetflow: 0, notUdp: 0 };
  try {
    for await (const d of datagrams(input, ctx.file, stats)) {
      decoder.decode(d.payload, d.exporter);
      yield* decoder.takeFull();
    }
  } catch (e) {
    if (!(e instanceof FramingError)) throw e;
    yield* decoder.flush();
    ctx.report(
      errorDiagnostic(e.message, {
        notes: [`${ctx.file}: byte offset ${e.offset}`, 'the rest of the input was not read'],
      }),
    );
    return;
  }
  yield* decoder.flush();
  const skipped = stats.notNetflow + stats.notUdp;
  if (skipped > 0)
    ctx.report(
      warningDiagnostic(
        `skipped ${skipped} captured packet${skipped === 1 ? '' : 's'} that ${skipped === 1 ? 'is' : 'are'} not NetFlow export traffic`,
        {
          notes: [
            `${stats.notUdp} not UDP over IP (or IP fragments), ${stats.notNetflow} UDP with another payload`,
          ],
        },
      ),
    );
}

/** An IPFIX message header: version 10, a plausible length, a set ID after it. */
function detectIpfix(h: Uint8Array): boolean {
  if (h.length < 20 || h[0] !== 0 || h[1] !== 10) return false;
  const length = (h[2] << 8) | h[3];
  const setId = (h[16] << 8) | h[17];
  const setLength = (h[18] << 8) | h[19];
  return (
    length >= 20 && (setId === 2 || setId === 3 || setId >= 256) && setLength >= 4 && setLength <= length - 16
  );
}

export const netflow: FormatDef = {
  name: 'netflow',
  description: 'NetFlow v5/v9 and IPFIX export packets, from a pcap of export traffic or an IPFIX file',
  extensions: ['.ipfix'],
  detect: detectIpfix,
  read: readNetflow,
};
