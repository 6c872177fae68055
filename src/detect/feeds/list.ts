/**
 * Plain indicator lists, one value per line, as most blocklists publish them
 * (Spamhaus DROP, abuse.ch text feeds, firewall address lists). Blank lines
 * and comment lines (`#` or `;`) are ignored; a comment after the value
 * (`1.2.3.0/24 ; SBL123`) becomes the indicator's `comment` context.
 */
import { type Indicator, NO_CONTEXT } from '../indicator.js';
import type { FeedDef, FeedOptions, FeedProblem, ParsedFeed } from './feed.js';
import { classifyOrExplain, makeIndicator } from './feed.js';

/** Index of a `#` or `;` that follows whitespace (a trailing comment), or -1. */
function trailingComment(v: string): number {
  for (let i = 1; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if ((c === 0x23 || c === 0x3b) && (v[i - 1] === ' ' || v[i - 1] === '\t')) return i;
  }
  return -1;
}

function parseList(text: string, opts: FeedOptions): ParsedFeed {
  const indicators: Indicator[] = [];
  const problems: FeedProblem[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].endsWith('\r') ? lines[n].slice(0, -1) : lines[n];
    const start = line.search(/\S/);
    if (start < 0 || line[start] === '#' || line[start] === ';') continue;
    let context = NO_CONTEXT;
    let value = start === 0 ? line : line.slice(start);
    const hash = trailingComment(value);
    if (hash >= 0) {
      const note = value.slice(hash + 1).trim();
      if (note !== '') context = { comment: note };
      value = value.slice(0, hash);
    }
    value = value.trimEnd();
    const problem = (message: string) =>
      problems.push({ line: n + 1, column: Buffer.byteLength(line.slice(0, start)) + 1, message });
    if (opts.type !== undefined) {
      const i = makeIndicator(opts.type, value, context, opts.field);
      if (typeof i === 'string') problem(i);
      else indicators.push(i);
      continue;
    }
    const c = classifyOrExplain(value);
    if (typeof c === 'string') problem(c);
    else indicators.push({ type: c.type, value: c.value, context });
  }
  return { indicators, problems };
}

export const list: FeedDef = { name: 'list', parse: parseList };
