/** `rare f [N]`: the N (default 10) least frequent values of `f`; see `top.ts`. */
import type { OperatorDef } from '../operator.js';
import { parseFrequency } from './top.js';

export const rare: OperatorDef = {
  name: 'rare',
  description: 'rare F [N]: the N least frequent values of F with their counts',
  parse: (args, ctx) => parseFrequency('rare', args, ctx),
};
