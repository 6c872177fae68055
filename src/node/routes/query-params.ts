/** The parameters of a query (export, query/new), in the query string or a JSON body. */
import { z } from 'zod';
import { count, flag, text } from '../http.js';

export const QueryParams = z.object({
  expression: text.meta({ description: "VAST expression, optionally followed by '| operator ...'" }),
  /** The older name of `expression`. */
  query: text,
  limit: count('limit').meta({ description: 'stop after this many events' }),
  n: count('n').meta({ description: 'as limit' }),
  continuous: flag.meta({ description: 'only new events, until the client disconnects' }),
  unified: flag.meta({ description: 'historical events, then new ones, without gaps or duplicates' }),
  format: text.meta({ description: 'json (NDJSON, the default) or arrow (an Arrow IPC stream)' }),
  nested: flag.meta({
    description:
      'NDJSON: records as nested objects instead of flattened dotted keys ("id.orig_h"), as VAST 2 wrote',
  }),
});
