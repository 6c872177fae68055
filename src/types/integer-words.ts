/**
 * Decimal integer text to exact 64-bit two's complement words, from bytes and
 * without BigInt or doubles past 2^53: the hot path of 19-digit Suricata
 * `flow_id`s, which `Number` would round.
 */

const TWO32 = 4294967296;
const TWO31 = 2147483648;

/** Output of `integerWords`: the low and high 32-bit words (unsigned) of the value. */
export const intWords = new Float64Array(2);

/**
 * Parses `-?[0-9]+` at `b[p, e)` as int64 (`unsigned` false) or uint64 into
 * `intWords`. Returns the position after the last digit, or -1 when there is
 * no digit or the value is out of range for the type (`-0` is 0 in both).
 * Leading zeros are accepted; what may follow the digits is the caller's rule.
 */
export function integerWords(b: Uint8Array, p: number, e: number, unsigned: boolean): number {
  let neg = false;
  if (p < e && b[p] === 45) {
    neg = true;
    p++;
  }
  const d0 = p;
  // Up to 15 digits accumulate exactly in a double (10^15 < 2^53).
  const fast = Math.min(e, p + 15);
  let v = 0;
  while (p < fast) {
    const d = b[p] - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
    p++;
  }
  if (p === d0) return -1;
  let lo = v % TWO32;
  let hi = (v - lo) / TWO32;
  // More digits: continue on the two words, times ten with carry (every product stays below 2^53).
  while (p < e) {
    const d = b[p] - 48;
    if (d < 0 || d > 9) break;
    const l = lo * 10 + d;
    const carry = Math.floor(l / TWO32);
    lo = l - carry * TWO32;
    hi = hi * 10 + carry;
    if (hi >= TWO32) return -1;
    p++;
  }
  if (neg) {
    if (lo === 0 && hi === 0) {
      intWords[0] = 0;
      intWords[1] = 0;
      return p;
    }
    // The magnitude may reach 2^63 for int64; uint64 takes no negative value.
    if (unsigned || hi > TWO31 || (hi === TWO31 && lo !== 0)) return -1;
    // Two's complement: ~x + 1 over the pair.
    lo = TWO32 - lo;
    hi = lo === TWO32 ? (TWO32 - hi) % TWO32 : TWO32 - 1 - hi;
    if (lo === TWO32) lo = 0;
  } else if (!unsigned && hi >= TWO31) return -1;
  intWords[0] = lo;
  intWords[1] = hi;
  return p;
}
