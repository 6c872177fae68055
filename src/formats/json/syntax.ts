/**
 * A JSON syntax checker for the error path: after `JSON.parse` failed, it
 * finds where and why, with messages and positions that do not depend on the
 * V8 version (whose messages differ and do not always carry a position).
 */

/**
 * Finds the first syntax error in JSON text (the slow path after JSON.parse
 * failed; V8's messages differ between versions and do not always carry a
 * position). Returns the UTF-16 index of the error and a message, or
 * undefined when the text is valid.
 */
export function jsonSyntaxError(text: string): { index: number; message: string } | undefined {
  let i = 0;
  const n = text.length;
  class Fail {
    constructor(
      readonly index: number,
      readonly message: string,
    ) {}
  }
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const fail = (message: string): never => {
    throw new Fail(i, i >= n ? 'unexpected end of input' : message);
  };
  const unexpected = () => fail(`unexpected character '${text[i]}'`);
  const string = (): void => {
    i++;
    for (;;) {
      if (i >= n) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c < 32) fail('bad control character in string');
      if (c === 92) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            i++;
            fail('bad \\u escape in string');
          }
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) {
          i++;
          fail('bad escape in string');
        }
        i += 2;
        continue;
      }
      i++;
    }
  };
  const value = (): void => {
    ws();
    if (i >= n) fail('');
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`expected a double-quoted property name, got '${text[i]}'`);
        string();
        ws();
        if (text[i] !== ':') fail(`expected ':' after property name, got '${text[i]}'`);
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(`expected ',' or '}' after property value, got '${text[i]}'`);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(`expected ',' or ']' after array element, got '${text[i]}'`);
      }
    }
    if (c === '"') {
      string();
      return;
    }
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return;
      }
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) unexpected();
    i += m![0].length;
  };
  try {
    value();
    ws();
    if (i < n) fail(`unexpected text after the JSON value: '${text[i]}'`);
    return undefined;
  } catch (e) {
    if (e instanceof Fail) return { index: e.index, message: e.message };
    throw e;
  }
}
