/** Byte-level helpers of the syslog parser: character classes and header fields. */
import type { ColumnBuilder } from '../../types/builder.js';

export const SP = 32;
export const LT = 60;
export const GT = 62;
export const DASH = 45;
export const COLON = 58;
export const LBRACKET = 91;
export const RBRACKET = 93;
export const QUOTE = 34;
export const BACKSLASH = 92;
export const EQUALS = 61;

export const isDigit = (c: number) => c >= 48 && c <= 57;
/** PRINTUSASCII of RFC 5424: %d33-126. */
export const isPrint = (c: number) => c >= 33 && c <= 126;

export function latin1(b: Uint8Array, s: number, e: number): string {
  return Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('latin1');
}

export function isBlank(b: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i] !== SP && b[i] !== 9) return false;
  return true;
}

export const isNil = (b: Uint8Array, s: number, e: number) => e === s + 1 && b[s] === DASH;

export function appendField(c: ColumnBuilder, b: Uint8Array, s: number, e: number): void {
  if (isNil(b, s, e)) c.appendNull();
  else c.appendBytes(b, s, e);
}

/** TAG characters: RFC 3164 says alphanumeric; real tags also have `-_./` (`postfix/smtpd`). */
export function isTagChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 45 ||
    c === 95 ||
    c === 46 ||
    c === 47
  );
}

/** The end of a header field of 1..max printable characters that a space follows; -1 if there is none. */
export function token(b: Uint8Array, p: number, e: number, max: number): number {
  let q = p;
  while (q < e && isPrint(b[q])) q++;
  if (q === p || q - p > max || q >= e || b[q] !== SP) return -1;
  return q;
}

export function digits(
  b: Uint8Array,
  p: number,
  e: number,
  min: number,
  max: number,
): { value: number; end: number } | undefined {
  let q = p;
  let v = 0;
  while (q < e && q - p < max && isDigit(b[q])) v = v * 10 + b[q++] - 48;
  return q - p < min ? undefined : { value: v, end: q };
}
