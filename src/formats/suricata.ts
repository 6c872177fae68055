/**
 * Suricata EVE JSON (https://docs.suricata.io/en/latest/output/eve/eve-json-format.html):
 * one schema per `event_type` (`suricata.alert`, `suricata.flow`, ...), typed by
 * `schemas/suricata.yaml`; keys the schema lacks are inferred and added. Reads
 * NDJSON and the pretty-printed multi-line objects `pretty: yes` writes.
 * Timestamps carry the sensor's UTC offset (`2009-11-18T08:00:21.123456+0100`)
 * and are stored in UTC.
 */

import { basic } from '../types/type.js';
import type { FormatDef } from './format.js';
import { readJsonEvents, selectorRoute, selectorRouting } from './json/reader.js';

const TIME = { kind: 'typed', type: basic('time') } as const;

export const suricata: FormatDef = {
  name: 'suricata',
  description: 'Suricata EVE JSON, one schema per event_type',
  extensions: ['eve.json'],
  detect: (head) => {
    const s = Buffer.from(head.subarray(0, 1024)).toString('utf8').trimStart();
    return s.startsWith('{') && /"event_type"\s*:/.test(s) && /"timestamp"\s*:/.test(s);
  },
  read: (input, ctx) =>
    readJsonEvents(input, ctx, {
      layout: {},
      route: selectorRoute(ctx.options, 'event_type:suricata'),
      routing: selectorRouting(ctx.options, 'event_type:suricata'),
      // Event types without a schema still get their time typed.
      extraShape: (key) => (key === 'timestamp' ? TIME : undefined),
      timestamp: 'timestamp',
    }),
};
