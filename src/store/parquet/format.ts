/**
 * Constants of the Parquet format (parquet.thrift of apache/parquet-format):
 * the enums, and the Thrift field ids of the structs the footer and the page
 * headers are made of. The writer and the reader both name fields through
 * these tables, so that an id is written down once.
 */

export const MAGIC = new Uint8Array([0x50, 0x41, 0x52, 0x31]); // "PAR1"

/** Physical types. */
export const PhysicalType = {
  BOOLEAN: 0,
  INT32: 1,
  INT64: 2,
  INT96: 3,
  FLOAT: 4,
  DOUBLE: 5,
  BYTE_ARRAY: 6,
  FIXED_LEN_BYTE_ARRAY: 7,
} as const;

export const ConvertedType = {
  UTF8: 0,
  MAP: 1,
  MAP_KEY_VALUE: 2,
  LIST: 3,
  ENUM: 4,
  DECIMAL: 5,
  DATE: 6,
  TIME_MILLIS: 7,
  TIME_MICROS: 8,
  TIMESTAMP_MILLIS: 9,
  TIMESTAMP_MICROS: 10,
  UINT_8: 11,
  UINT_16: 12,
  UINT_32: 13,
  UINT_64: 14,
  INT_8: 15,
  INT_16: 16,
  INT_32: 17,
  INT_64: 18,
  JSON: 19,
  BSON: 20,
  INTERVAL: 21,
} as const;

export const Repetition = { REQUIRED: 0, OPTIONAL: 1, REPEATED: 2 } as const;
export type Repetition = (typeof Repetition)[keyof typeof Repetition];

export const Encoding = {
  PLAIN: 0,
  PLAIN_DICTIONARY: 2,
  RLE: 3,
  BIT_PACKED: 4,
  DELTA_BINARY_PACKED: 5,
  DELTA_LENGTH_BYTE_ARRAY: 6,
  DELTA_BYTE_ARRAY: 7,
  RLE_DICTIONARY: 8,
  BYTE_STREAM_SPLIT: 9,
} as const;

export const Codec = {
  UNCOMPRESSED: 0,
  SNAPPY: 1,
  GZIP: 2,
  LZO: 3,
  BROTLI: 4,
  LZ4: 5,
  ZSTD: 6,
  LZ4_RAW: 7,
} as const;

export const PageType = { DATA_PAGE: 0, INDEX_PAGE: 1, DICTIONARY_PAGE: 2, DATA_PAGE_V2: 3 } as const;

/** Thrift field ids, per struct. */
export const FileMetaData = {
  version: 1,
  schema: 2,
  num_rows: 3,
  row_groups: 4,
  key_value_metadata: 5,
  created_by: 6,
  column_orders: 7,
} as const;

export const SchemaElement = {
  type: 1,
  type_length: 2,
  repetition_type: 3,
  name: 4,
  num_children: 5,
  converted_type: 6,
  scale: 7,
  precision: 8,
  field_id: 9,
  logicalType: 10,
} as const;

/** The LogicalType union: the id of the member that is set. */
export const LogicalType = {
  STRING: 1,
  MAP: 2,
  LIST: 3,
  ENUM: 4,
  DECIMAL: 5,
  DATE: 6,
  TIME: 7,
  TIMESTAMP: 8,
  INTEGER: 10,
  UNKNOWN: 11,
  JSON: 12,
  BSON: 13,
  UUID: 14,
  FLOAT16: 15,
} as const;

/** TimestampType: isAdjustedToUTC (bool), unit (TimeUnit union: 1 MILLIS, 2 MICROS, 3 NANOS). */
export const TimestampType = { isAdjustedToUTC: 1, unit: 2 } as const;
export const TimeUnit = { MILLIS: 1, MICROS: 2, NANOS: 3 } as const;
/** IntType: bitWidth (i8), isSigned (bool). */
export const IntType = { bitWidth: 1, isSigned: 2 } as const;

export const KeyValue = { key: 1, value: 2 } as const;

export const RowGroup = {
  columns: 1,
  total_byte_size: 2,
  num_rows: 3,
  sorting_columns: 4,
  file_offset: 5,
  total_compressed_size: 6,
  ordinal: 7,
} as const;

export const ColumnChunk = { file_path: 1, file_offset: 2, meta_data: 3 } as const;

export const ColumnMetaData = {
  type: 1,
  encodings: 2,
  path_in_schema: 3,
  codec: 4,
  num_values: 5,
  total_uncompressed_size: 6,
  total_compressed_size: 7,
  key_value_metadata: 8,
  data_page_offset: 9,
  index_page_offset: 10,
  dictionary_page_offset: 11,
  statistics: 12,
  encoding_stats: 13,
} as const;

export const Statistics = {
  max: 1,
  min: 2,
  null_count: 3,
  distinct_count: 4,
  max_value: 5,
  min_value: 6,
} as const;

/** ColumnOrder union: TYPE_ORDER (an empty struct), the order every writer uses. */
export const ColumnOrder = { TYPE_ORDER: 1 } as const;

export const PageHeader = {
  type: 1,
  uncompressed_page_size: 2,
  compressed_page_size: 3,
  crc: 4,
  data_page_header: 5,
  index_page_header: 6,
  dictionary_page_header: 7,
  data_page_header_v2: 8,
} as const;

export const DataPageHeader = {
  num_values: 1,
  encoding: 2,
  definition_level_encoding: 3,
  repetition_level_encoding: 4,
  statistics: 5,
} as const;

export const DictionaryPageHeader = { num_values: 1, encoding: 2, is_sorted: 3 } as const;

export const DataPageHeaderV2 = {
  num_values: 1,
  num_nulls: 2,
  num_rows: 3,
  encoding: 4,
  definition_levels_byte_length: 5,
  repetition_levels_byte_length: 6,
  is_compressed: 7,
  statistics: 8,
} as const;

/**
 * Key-value metadata of a vast partition file: the VAST schema (JSON of
 * `Schema`: name, type, timestamp), so that a round trip through the store
 * loses nothing the Parquet types cannot say (ip, subnet, port, duration,
 * enum, aliases). The Arrow schema metadata (`vast.schema`, `vast.timestamp`,
 * `vast.import_time`) rides along as key-value pairs of its own, and
 * `ARROW:schema` carries the Arrow schema for pyarrow and arrow-rs.
 */
export const VAST_LAYOUT_KEY = 'vast.layout';
export const ARROW_SCHEMA_KEY = 'ARROW:schema';
