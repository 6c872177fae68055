/**
 * The one renderer, on diagnostics from every producer: the expression parser
 * and compiler (a span in the query; pipelines: test/unit/pipeline/parse.test.ts), readers (file:line:column, no
 * source line) and plain errors. Expected strings are golden: the layout is
 * rustc's (`-->` location, numbered source line, carets, `= note`/`= hint`).
 */
import { describe, expect, test } from 'vitest';
import { errorBody, parseErrorBody } from '../../../src/diagnostics/wire.js';
import {
  errorDiagnostic,
  renderDiagnostic,
  renderDiagnostics,
  renderError,
  spanIn,
  VastError,
  warningDiagnostic,
} from '../../../src/diagnostics.js';
import { compileQuery } from '../../../src/expr/compile.js';
import { mustParseExpression, parseExpression } from '../../../src/expr/parser.js';
import { parseType } from '../../../src/types/parse-type.js';
import type { RecordType, Schema } from '../../../src/types/type.js';

const NOW = 1_600_000_000_000_000_000n;

/** The rendered diagnostics of an expression that does not parse. */
function rendered(text: string): string {
  const r = parseExpression(text, { now: NOW });
  if (r.ok) throw new Error(`'${text}' parsed`);
  return renderDiagnostics(r.diagnostics);
}

describe('expressions', () => {
  test('the message, where, the source line and a caret', () => {
    expect(rendered('x == @')).toBe(
      ["error: unknown token '@'", ' --> query:1:6', '  |', '1 | x == @', '  |      ^'].join('\n'),
    );
  });

  test('notes follow the caret', () => {
    expect(rendered('x =~ /a/')).toBe(
      [
        "error: unknown operator '=~'",
        ' --> query:1:3',
        '  |',
        '1 | x =~ /a/',
        '  |   ^',
        '  = note: to match a pattern, write x == /re/',
      ].join('\n'),
    );
  });

  test('the end of input puts the caret after the last character', () => {
    expect(rendered('x ==')).toBe(
      [
        "error: expected a value after '=='",
        ' --> query:1:5',
        '  |',
        '1 | x ==',
        '  |     ^',
        '  = note: reached the end of the expression',
      ].join('\n'),
    );
  });

  test('several errors on several lines; tabs stay tabs so the caret lines up', () => {
    expect(rendered('x == @ &&\n\ty == 10.0.0.300')).toBe(
      [
        "error: unknown token '@'",
        ' --> query:1:6',
        '  |',
        '1 | x == @ &&',
        '  |      ^',
        "error: invalid IP address '10.0.0.300'",
        ' --> query:2:7',
        '  |',
        '2 | \ty == 10.0.0.300',
        '  | \t     ^',
      ].join('\n'),
    );
  });

  test('the caret lines up under non-ASCII text (columns count bytes, carets characters)', () => {
    expect(rendered('"é" == @')).toBe(
      ["error: unknown token '@'", ' --> query:1:9', '  |', '1 | "é" == @', '  |        ^'].join('\n'),
    );
  });

  test('a type error underlines the whole field name and hints at the closest one', () => {
    const schema: Schema = {
      name: 'zeek.conn',
      timestamp: 'ts',
      type: parseType('record{ts: time, id: record{orig_h: ip}}') as RecordType,
    };
    const text = 'orig_hh == 10.0.0.1';
    const { diagnostics } = compileQuery(mustParseExpression(text), text, [schema], { aliases: new Map() });
    expect(renderDiagnostics(diagnostics)).toBe(
      [
        "error: unknown field 'orig_hh'",
        ' --> query:1:1',
        '  |',
        '1 | orig_hh == 10.0.0.1',
        '  | ^^^^^^^',
        "  = hint: did you mean 'id.orig_h'?",
      ].join('\n'),
    );
  });
});

describe('any source', () => {
  test('a reader diagnostic names file:line:column and has no source line', () => {
    const d = errorDiagnostic("invalid value for field 'id.orig_p' (port): 'abc'", {
      location: { source: 'conn.log', line: 12, column: 40 },
      recoverable: true,
    });
    expect(renderDiagnostic(d)).toBe(
      "error: invalid value for field 'id.orig_p' (port): 'abc'\n --> conn.log:12:40",
    );
  });

  test('a warning with notes and hints', () => {
    const d = warningDiagnostic('duplicate column name', {
      location: { source: 'x.csv', line: 1, column: 3 },
      notes: ['renamed to a_2'],
      hints: ['give each column its own name'],
    });
    expect(renderDiagnostic(d)).toBe(
      [
        'warning: duplicate column name',
        ' --> x.csv:1:3',
        '  = note: renamed to a_2',
        '  = hint: give each column its own name',
      ].join('\n'),
    );
  });

  test('the gutter widens with the line number', () => {
    const text = `${'a: 1\n'.repeat(11)}endpoint: nope`;
    const d = errorDiagnostic('bad endpoint', spanIn('vast.yaml', text, text.indexOf('nope'), 4));
    expect(renderDiagnostic(d)).toBe(
      [
        'error: bad endpoint',
        '  --> vast.yaml:12:11',
        '   |',
        '12 | endpoint: nope',
        '   |           ^^^^',
      ].join('\n'),
    );
  });

  test('a span in a CRLF text leaves the CR out of the excerpt and stops at the end of its line', () => {
    const text = 'a: 1\r\nbb: 2\r\n';
    expect(spanIn('f', text, 6, 100)).toEqual({
      location: { source: 'f', line: 2, column: 1, length: 6 },
      excerpt: 'bb: 2',
    });
  });

  test('a diagnostic without a location is its message', () => {
    expect(renderDiagnostic(errorDiagnostic('boom'))).toBe('error: boom');
    expect(renderError(new Error('bare'))).toBe('error: bare');
    expect(renderError(new VastError('made from a message'))).toBe('error: made from a message');
  });
});

describe('the wire', () => {
  test('diagnostics survive the JSON error body and render the same on the other side', () => {
    let err: unknown;
    try {
      mustParseExpression('x == 1 &&\n  y == @');
    } catch (e) {
      err = e;
    }
    const here = renderError(err);
    const body = JSON.parse(JSON.stringify(errorBody(err as Error)));
    const there = parseErrorBody(body);
    expect(there?.diagnostics).toEqual((err as VastError).diagnostics);
    expect(renderDiagnostics(there?.diagnostics ?? [])).toBe(here);
  });

  test('a body that is not an error answer is not taken for one', () => {
    expect(parseErrorBody({ error: 'x' })).toBeUndefined();
    expect(
      parseErrorBody({ error: 'x', diagnostics: [{ severity: 'fatal', message: 'y' }] }),
    ).toBeUndefined();
    expect(parseErrorBody('<html>')).toBeUndefined();
  });
});
