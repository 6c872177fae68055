import { UsageError } from '../diagnostics.js';

/** A feature one backend cannot offer: says which and why, instead of ignoring the flag. */
export class UnsupportedError extends UsageError {
  constructor(what: string, why: string) {
    super(`${what} need${what.includes(' and ') ? '' : 's'} a running node (vast start): ${why}`);
  }
}
