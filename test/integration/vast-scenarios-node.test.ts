/** VAST 2's integration scenarios (test/vast-scenarios/*.yaml), against a real node per scenario; see vast-scenarios.ts. */
import { describeScenarios } from './vast-scenarios.js';

describeScenarios('node');
