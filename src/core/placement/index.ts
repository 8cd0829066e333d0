// Resource group placement: where each group is to be, why, and in what order. See README.md.

export { place } from './place.js';
export { nextFallbackTime } from './fallback-timer.js';
export { applyPlan, onlineAfter, reasons } from './plan.js';
export { placementConfig } from './types.js';
export type {
  CurrentPlacement,
  GroupIntent,
  GroupTarget,
  GroupWaiting,
  NodeFacts,
  Override,
  PlacementConfig,
  PlacementDependency,
  PlacementGroupDef,
  PlacementInput,
  PlacementPlan,
  PlacementStep,
  PlacementTrigger,
} from './types.js';
