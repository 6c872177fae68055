/**
 * Bounds checks for the FlatBuffers that arrow-js decodes (Arrow IPC message
 * headers: schemas, record batches, dictionaries). FlatBuffers' JS runtime
 * trusts every length it reads, so a corrupt vector length of ~2^31 in a
 * message header made arrow-js loop over its custom metadata for minutes, on
 * the main thread, before yielding anything (found by the fuzzer, kept as
 * test/fixtures/broken/arrow-header-vector-length.arrows). Arrow IPC reaches us from
 * clients and files, so every length must fit in its buffer.
 *
 * The check is the one FlatBuffers verifiers make: a vector's elements are at
 * least one byte each, so its length cannot exceed the bytes after it. arrow-js
 * takes its ByteBuffer from the same `flatbuffers` module, so patching the
 * prototype once guards every decoder in the process; the error surfaces as
 * an "invalid Arrow IPC data" diagnostic from the reader.
 */
import * as flatbuffers from 'flatbuffers';

const SIZEOF_INT = 4;
const proto = flatbuffers.ByteBuffer.prototype as flatbuffers.ByteBuffer & { guarded?: true };

if (!proto.guarded) {
  const vectorLength = proto.__vector_len;
  proto.__vector_len = function (this: flatbuffers.ByteBuffer, offset: number): number {
    const len = vectorLength.call(this, offset);
    const start = offset + this.readInt32(offset) + SIZEOF_INT;
    if (len < 0 || start + len > this.capacity())
      throw new Error(
        `corrupt message header: a vector of ${len} entries does not fit in ${this.capacity()} bytes`,
      );
    return len;
  };
  proto.guarded = true;
}
