/** VAST 2's integration scenarios (test/vast-scenarios/*.yaml), embedded: a fresh database per scenario; see vast-scenarios.ts. */
import { describeScenarios } from './vast-scenarios.js';

describeScenarios('embedded');
