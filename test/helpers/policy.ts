/** The source policy a node builds from its configuration, for tests that drive sources directly. */

import { sourcePolicy } from '../../src/node/components.js';
import { ConfigSchema, type NodeConfig } from '../../src/node/config.js';
import type { SourcePolicy } from '../../src/sources/policy.js';

/** The policy of a node with the default configuration plus `settings` (e.g. `{'source-paths': [dir]}`). */
export function testPolicy(settings: Partial<NodeConfig> = {}): SourcePolicy {
  return sourcePolicy(ConfigSchema.parse(settings));
}
