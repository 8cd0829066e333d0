// The semantic checks of `haven verify` (the reference's clverify), run on the model.
// Each check is a pure function from the configuration to findings; each file holds the
// checks of one theme, with its rules and their reasons at the top.

import type { Finding } from '../diagnostic.js';
import type { ClusterConfig } from '../model.js';
import { checkCommands } from './commands.js';
import { checkDependencyCycles } from './cycles.js';
import { checkDependencies } from './dependencies.js';
import { checkGroups } from './groups.js';
import { checkHeartbeat } from './heartbeat.js';
import { checkIpat } from './ipat.js';
import { checkNames } from './names.js';
import { checkReferences } from './references.js';
import { checkSpof } from './spof.js';
import { checkTopology } from './topology.js';
import { checkTunables } from './tunables.js';
import { checkUserEvents } from './user-events.js';

export type Check = (config: ClusterConfig) => Finding[];

// Errors about names and references come first: the later checks skip what they cannot
// resolve, so one typo gives one finding.
const CHECKS: readonly Check[] = [
  checkNames,
  checkReferences,
  checkTopology,
  checkIpat,
  checkGroups,
  checkDependencies,
  checkDependencyCycles,
  checkHeartbeat,
  checkTunables,
  checkSpof,
  checkCommands,
  checkUserEvents,
];

export function verifyConfig(config: ClusterConfig): Finding[] {
  return CHECKS.flatMap((check) => check(config));
}
