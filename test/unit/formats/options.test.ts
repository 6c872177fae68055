import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  addOptionFlags,
  namedOptionValues,
  option,
  optionFlagValues,
  optionHelp,
  parseOptionArgs,
} from '../../../src/formats/options.js';
import { parseStartCommand } from '../../../src/node/start-commands.js';
import { ByteChannel } from '../../../src/sources/channel.js';
import { findSource } from '../../../src/sources/index.js';
import { shellWords } from '../../../src/util/shell-words.js';

const defs = {
  read: option.path('the file', { short: 'r', required: true }),
  poll: option.integer('milliseconds between checks', { default: 250, min: 50, max: 60_000 }),
  'from-start': option.boolean('read what is there first', { default: true }),
  format: option.string('the reader', { short: 'f' }),
};
const owner = "source 'test'";

describe('options declared once', () => {
  it('parses command-line arguments into typed values, defaults filled, the rest kept', () => {
    expect(
      parseOptionArgs(owner, defs, ['-r', 'a.log', '--poll=100', '--from-start=false', 'x == 1']),
    ).toEqual({
      values: { read: 'a.log', poll: 100, 'from-start': false },
      rest: ['x == 1'],
    });
    expect(parseOptionArgs(owner, defs, ['--read', 'b', '-f', 'zeek', '--from-start']).values).toEqual({
      read: 'b',
      poll: 250,
      'from-start': true,
      format: 'zeek',
    });
  });

  it('refuses malformed arguments, naming the flag, the owner and what it expects', () => {
    expect(() => parseOptionArgs(owner, defs, ['-r', 'a', '--poll', '49'])).toThrow(
      "option '--poll' of source 'test' expects an integer from 50 to 60000 (milliseconds between checks), got '49'",
    );
    expect(() => parseOptionArgs(owner, defs, ['-r', 'a', '--poll', ' '])).toThrow('expects an integer');
    expect(() => parseOptionArgs(owner, defs, ['-r', 'a', '--poll', '1.5'])).toThrow('expects an integer');
    expect(() => parseOptionArgs(owner, defs, ['-r', 'a', '--from-start=maybe'])).toThrow(
      "option '--from-start=maybe' of source 'test' expects true or false, got 'maybe'",
    );
    expect(() => parseOptionArgs(owner, defs, ['-r'])).toThrow("option '-r' of source 'test' needs a value");
    expect(() => parseOptionArgs(owner, defs, [])).toThrow("source 'test' needs --read");
    expect(() => parseOptionArgs(owner, defs, ['-x'])).toThrow(
      "unknown option '-x' for source 'test' (options: --read/-r, --poll, --from-start, --format/-f)",
    );
  });

  it('makes commander flags whose values are checked as they are parsed', () => {
    const cmd = new Command('t').exitOverride();
    addOptionFlags(cmd, defs, owner, 'test: ');
    cmd.parse(['--poll', '75', '--from-start', '-f', 'csv'], { from: 'user' });
    expect(optionFlagValues(defs, cmd.opts())).toEqual({ poll: 75, 'from-start': true, format: 'csv' });
    const bad = new Command('t').exitOverride().configureOutput({ writeErr: () => {} });
    addOptionFlags(bad, defs, owner);
    expect(() => bad.parse(['--poll', 'fast'], { from: 'user' })).toThrow(
      /expects an integer from 50 to 60000/,
    );
  });

  it('reads named values (HTTP parameters), validated the same way', () => {
    expect(namedOptionValues(owner, defs, { poll: '60', read: 'x', other: 'ignored' })).toEqual({
      poll: 60,
      read: 'x',
    });
    expect(() => namedOptionValues(owner, defs, { poll: 7 })).toThrow("option 'poll' of source 'test'");
  });

  it('prints help from the declarations', () => {
    expect(optionHelp(defs).split('\n')).toEqual([
      '  -r, --read FILE     the file (required)',
      '  --poll N            milliseconds between checks (default: 250)',
      '  --from-start        read what is there first (default: true)',
      '  -f, --format VALUE  the reader',
    ]);
  });

  it('gives every import format a source with -r and --listen, and pcap its reader options', () => {
    for (const name of ['zeek', 'zeek-json', 'suricata', 'json', 'csv', 'arrow', 'parquet'])
      expect(Object.keys(findSource(name)?.options ?? {}).slice(0, 2), name).toEqual(['read', 'listen']);
    expect(Object.keys(findSource('pcap')?.options ?? {})).toEqual(
      expect.arrayContaining([
        'interface',
        'read',
        'cutoff',
        'max-flows',
        'max-flow-age',
        'flow-expiry',
        'payload',
      ]),
    );
  });
});

describe('start commands', () => {
  it('splits words as a shell does, quotes and escapes included', () => {
    expect(shellWords(`spawn source zeek -r 'my logs/conn.log' "proto == \\"udp\\"" a\\ b`)).toEqual([
      'spawn',
      'source',
      'zeek',
      '-r',
      'my logs/conn.log',
      'proto == "udp"',
      'a b',
    ]);
    expect(() => shellWords("spawn 'x")).toThrow("unterminated ' at column 7 of: spawn 'x");
    expect(() => shellWords('spawn "x')).toThrow('unterminated " at column 7');
  });

  it('takes spawn source commands only, and known sources', () => {
    expect(parseStartCommand('vast spawn source zeek -r c.log')).toMatchObject({
      source: 'zeek',
      args: ['-r', 'c.log'],
    });
    expect(() => parseStartCommand('import zeek')).toThrow(
      "start command 'import zeek': only 'spawn source NAME [options] [EXPR]' can run inside the node",
    );
    expect(() => parseStartCommand('spawn source telepathy')).toThrow(
      "start command 'spawn source telepathy': unknown source 'telepathy'",
    );
  });
});

describe('ByteChannel', () => {
  it('yields pushed chunks in order, one empty chunk per idle period, and ends after end()', async () => {
    const ch = new ByteChannel(30);
    const got: number[] = [];
    const reading = (async () => {
      for await (const c of ch) got.push(c.length);
    })();
    ch.push(new Uint8Array(3));
    ch.push(new Uint8Array(2));
    await new Promise((r) => setTimeout(r, 120));
    ch.push(new Uint8Array(1));
    ch.end();
    await reading;
    expect(got).toEqual([3, 2, 0, 1]);
  });

  it('asks the producer to pause at the high-water mark and to resume once drained', async () => {
    let drained = 0;
    const ch = new ByteChannel(1000, () => drained++, 2);
    expect(ch.push(new Uint8Array(1))).toBe(true);
    expect(ch.push(new Uint8Array(1))).toBe(false);
    ch.end();
    for await (const _ of ch);
    expect(drained).toBe(1);
    expect(ch.push(new Uint8Array(1))).toBe(false);
  });
});
