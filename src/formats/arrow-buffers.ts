/**
 * Whether the buffers of an Arrow batch from outside (a client's import, a
 * file) hold what its lengths claim. arrow-js takes a batch's length from the
 * message header and cuts each buffer to the bytes the body really has, so a
 * corrupt header can claim 2^33 rows over a few kilobytes (found by the
 * fuzzer): every later loop over those rows would run for hours or read
 * garbage. Checked once per batch, per column: O(columns), not O(rows).
 */
import * as A from 'apache-arrow';

/** What is wrong with a column of `batch`, or undefined when every buffer is long enough. */
export function batchBufferProblem(batch: A.RecordBatch): string | undefined {
  const fields = batch.schema.fields;
  for (let i = 0; i < fields.length; i++) {
    const column = batch.data.children[i];
    if (!column) return `column '${fields[i].name}' is missing`;
    if (column.length < batch.numRows)
      return `column '${fields[i].name}' has ${column.length} values for ${batch.numRows} rows`;
    const problem = dataProblem(column, fields[i].name);
    if (problem) return problem;
  }
  return undefined;
}

/** The number of entries an offsets buffer (Int32 or BigInt64) holds at `i`. */
const offsetAt = (offsets: Int32Array | BigInt64Array, i: number) => Number(offsets[i]);

function dataProblem(data: A.Data, path: string): string | undefined {
  const end = data.offset + data.length;
  const short = (what: string, have: number, need: number) =>
    `column '${path}' claims ${data.length} values but its ${what} holds ${have} (needs ${need})`;
  if (data.length < 0 || data.offset < 0) return `column '${path}' has a negative length`;
  if (data.nullCount > 0 && data.nullBitmap && data.nullBitmap.length * 8 < end)
    return short('validity bitmap', data.nullBitmap.length * 8, end);
  const type = data.type;
  if (A.DataType.isNull(type)) return undefined;
  if (A.DataType.isStruct(type)) {
    // Children are sliced along with their struct: each needs the struct's length.
    for (const [i, child] of data.children.entries()) {
      if (child.length < data.length)
        return short(`field '${type.children[i].name}'`, child.length, data.length);
      const problem = dataProblem(child, `${path}.${type.children[i].name}`);
      if (problem) return problem;
    }
    return undefined;
  }
  if (
    A.DataType.isUtf8(type) ||
    A.DataType.isLargeUtf8(type) ||
    A.DataType.isBinary(type) ||
    A.DataType.isLargeBinary(type) ||
    A.DataType.isList(type) ||
    A.DataType.isMap(type)
  ) {
    const offsets = data.valueOffsets as Int32Array | BigInt64Array | undefined;
    if (!offsets || offsets.length < end + 1) return short('offsets', offsets?.length ?? 0, end + 1);
    const last = offsetAt(offsets, end);
    if (last < 0 || offsetAt(offsets, data.offset) < 0) return `column '${path}' has negative offsets`;
    if (A.DataType.isList(type) || A.DataType.isMap(type)) {
      const child = data.children[0];
      if (!child || child.length < last) return short('values', child?.length ?? 0, last);
      return dataProblem(child, `${path}[]`);
    }
    const bytes = data.values?.length ?? 0;
    return bytes < last ? short('value bytes', bytes, last) : undefined;
  }
  if (A.DataType.isFixedSizeList(type)) {
    const child = data.children[0];
    const need = end * type.listSize;
    if (!child || child.length < need) return short('values', child?.length ?? 0, need);
    return dataProblem(child, `${path}[]`);
  }
  if (A.DataType.isBool(type)) {
    const bits = (data.values?.length ?? 0) * 8;
    return bits < end ? short('values', bits, end) : undefined;
  }
  if (A.DataType.isDictionary(type)) {
    const have = data.values?.length ?? 0;
    return have < end ? short('indices', have, end) : undefined;
  }
  if (A.DataType.isUnion(type)) return undefined; // vast never writes unions; canonicalBatch refuses them
  // Fixed-width values: `stride` elements of the typed array per value (arrow-js's own rule).
  const have = data.values?.length ?? 0;
  const need = end * data.stride;
  return have < need ? short('values', have, need) : undefined;
}
