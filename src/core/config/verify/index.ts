// The semantic checks of `haven verify` (the reference's clverify), run on the model.
// Each check is a pure function from the configuration to findings.

import type { Finding } from '../diagnostic.js';
import type { ClusterConfig } from '../model.js';

export type Check = (config: ClusterConfig) => Finding[];

const CHECKS: readonly Check[] = [];

export function verifyConfig(config: ClusterConfig): Finding[] {
  return CHECKS.flatMap((check) => check(config));
}
