/** `max(f)`: the largest value of `f`; see `min.ts`. */
import { extremum } from './min.js';

export const max = extremum('max', -1, 'max(f): largest value of f, of its type');
