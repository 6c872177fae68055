/**
 * Registers zstd with arrow-js's IPC compression registry, once. Nothing else
 * in the store knows about compression: partitions are written with
 * `compressionType: ZSTD` and read back transparently.
 */
import * as A from 'apache-arrow';
import zstd from 'zstd-napi';

/** zstd level for partitions: 3 is zstd's default and balances import speed against size. */
const ZSTD_LEVEL = 3;

let registered = false;

export function registerZstd(): void {
  if (registered) return;
  registered = true;
  A.compressionRegistry.set(A.CompressionType.ZSTD, {
    encode: (data) => zstd.compress(data, { compressionLevel: ZSTD_LEVEL }),
    decode: (data) => {
      const out = zstd.decompress(data);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    },
  });
}
