/**
 * What adding content (an intel set, rules) says of the retro hunt it
 * started, the same in embedded mode (the hunt ran before the answer) and
 * on a node (it runs in the background; `vast status` shows its progress).
 */
import type { Hunt } from './detection.js';

export interface HuntReport {
  id: string;
  partitions: number;
  done: boolean;
  /** Sightings or alerts found (when done). */
  found?: number;
  /** Partitions their synopses ruled out (not opened). */
  skipped?: number;
  /** Row groups of the partitions read that their synopses ruled out (not read). */
  skippedGroups?: number;
}

/** How a hunt ran, when it ran before the answer. */
export interface HuntRun {
  done: boolean;
  found?: number;
  skipped?: number;
  skippedGroups?: number;
}

export function huntReport(hunt: Hunt, run?: HuntRun): HuntReport {
  return {
    id: hunt.id,
    partitions: hunt.cut.partitions.length + Object.keys(hunt.cut.staged).length,
    done: run?.done ?? false,
    ...(run?.found !== undefined ? { found: run.found } : {}),
    ...(run?.skipped !== undefined ? { skipped: run.skipped } : {}),
    ...(run?.skippedGroups !== undefined ? { skippedGroups: run.skippedGroups } : {}),
  };
}
