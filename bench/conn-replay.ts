/**
 * An endless Zeek conn.log for load that runs for a while: the lines of a
 * real log, replayed over and over, replay `k` shifted in time by
 * `k × (span + 1 s)` and rewritten like the benchmark data (`rewrite.ts`:
 * own hosts, uids unique per replay), so that the store sees new values
 * rather than the same 8,462 connections again.
 */
import { readFileSync } from 'node:fs';
import { formatEpochMicros, parseEpochMicros, rewriteIp, uidSuffix } from './rewrite.js';

export class ConnReplay {
  /** The `#` lines before the data (a request body starts with them). */
  readonly header: string;
  private readonly rows: string[][];
  private readonly ts: number;
  private readonly uid: number;
  private readonly addrs: number[];
  private readonly respPort: number;
  private readonly shiftUs: number;
  private k = 0;
  private i = 0;

  constructor(path: string) {
    const lines = readFileSync(path, 'utf8').split('\n');
    const header = lines.filter((l) => l.startsWith('#') && !l.startsWith('#close'));
    const fields =
      header
        .find((l) => l.startsWith('#fields\t'))
        ?.split('\t')
        .slice(1) ?? [];
    const types =
      header
        .find((l) => l.startsWith('#types\t'))
        ?.split('\t')
        .slice(1) ?? [];
    this.rows = lines.filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split('\t'));
    this.ts = fields.indexOf('ts');
    this.uid = fields.indexOf('uid');
    this.respPort = fields.indexOf('id.resp_p');
    this.addrs = types.flatMap((t, i) => (t === 'addr' ? [i] : []));
    if (this.rows.length === 0 || this.ts < 0 || this.uid < 0 || this.respPort < 0)
      throw new Error(`${path}: not a Zeek conn.log with data`);
    const times = this.rows.map((r) => parseEpochMicros(r[this.ts]));
    this.shiftUs = Math.max(...times) - Math.min(...times) + 1e6;
    this.header = `${header.join('\n')}\n`;
  }

  /** The next `n` lines (with a trailing newline each) and how many of them have `id.resp_p == port`. */
  next(n: number, port: number): { text: string; withPort: number } {
    let text = '';
    let withPort = 0;
    for (let j = 0; j < n; j++) {
      const cols = [...this.rows[this.i]];
      cols[this.ts] = formatEpochMicros(parseEpochMicros(cols[this.ts]) + this.k * this.shiftUs);
      cols[this.uid] += uidSuffix(this.k);
      for (const a of this.addrs) if (cols[a] !== '-') cols[a] = rewriteIp(cols[a], this.k);
      if (Number(cols[this.respPort]) === port) withPort++;
      text += `${cols.join('\t')}\n`;
      if (++this.i === this.rows.length) {
        this.i = 0;
        this.k++;
      }
    }
    return { text, withPort };
  }
}
