/**
 * Splits a command line into words as a POSIX shell would for the parts that
 * matter to `vast start --commands "spawn source zeek -r 'my logs/conn.log'"`:
 * blanks separate words, single quotes keep everything literal, double quotes
 * keep blanks (a backslash escapes `"` and `\` inside them), a backslash
 * outside quotes escapes the next character. No expansion of any kind.
 */
import { UsageError } from '../diagnostics.js';

export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const add = (s: string) => {
    word = (word ?? '') + s;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n') {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new UsageError(`unterminated ' at column ${i + 1} of: ${text}`);
      add(text.slice(i + 1, end));
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && (text[j + 1] === '"' || text[j + 1] === '\\')) j++;
        s += text[j++];
      }
      if (j >= text.length) throw new UsageError(`unterminated " at column ${i + 1} of: ${text}`);
      add(s);
      i = j + 1;
    } else if (c === '\\' && i + 1 < text.length) {
      add(text[i + 1]);
      i += 2;
    } else {
      add(c);
      i++;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
