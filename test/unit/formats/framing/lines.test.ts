import { describe, expect, test } from 'vitest';
import { lineChunks } from '../../../../src/formats/framing/lines.js';

async function* pieces(parts: string[]): AsyncIterable<Uint8Array> {
  for (const p of parts) yield Buffer.from(p);
}

/** Every line of the chunks with its number, and the over-long lines reported. */
async function frame(parts: string[], maxLineBytes = 1 << 20) {
  const lines: [number, string][] = [];
  const tooLong: [number, number][] = [];
  const chunks = lineChunks(pieces(parts), { maxLineBytes, onTooLong: (l, b) => tooLong.push([l, b]) });
  for await (const c of chunks) {
    const text = Buffer.from(c.bytes).toString();
    const split = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
    for (const [i, l] of split.entries()) lines.push([c.firstLine + i, l]);
  }
  return { lines, tooLong };
}

describe('lineChunks', () => {
  test('lines that span input chunks come out whole, numbered in order', async () => {
    const { lines } = await frame(['a\nbb', 'b\ncc\ndd', 'd', '\ne\n', 'f']);
    expect(lines).toEqual([
      [1, 'a'],
      [2, 'bbb'],
      [3, 'cc'],
      [4, 'ddd'],
      [5, 'e'],
      [6, 'f'],
    ]);
  });

  test('a chunk that only ends the carried line', async () => {
    const { lines } = await frame(['ab', 'cd\n', 'ef\ngh\n']);
    expect(lines).toEqual([
      [1, 'abcd'],
      [2, 'ef'],
      [3, 'gh'],
    ]);
  });

  test('over-long lines are dropped and reported, also when they span chunks', async () => {
    const { lines, tooLong } = await frame(['ok\nxxxx', 'xxxx\nfine\n', 'yyyyyyyyy\nz\n'], 5);
    expect(lines).toEqual([
      [1, 'ok'],
      [3, 'fine'],
      [5, 'z'],
    ]);
    expect(tooLong).toEqual([
      [2, 8],
      [4, 9],
    ]);
  });
});
