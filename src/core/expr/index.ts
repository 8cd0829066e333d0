// The predicate language for user-defined events. See README.md in this directory.

export type {
  BinaryExpr,
  BinaryOp,
  Expr,
  NumberLiteral,
  StringLiteral,
  UnaryExpr,
  UnaryOp,
  VariableRef,
} from './ast.js';
export { MAX_FIELD } from './ast.js';
export type { ParseError, ParseErrorType } from './parse-error.js';
export { MAX_PREDICATE_LENGTH } from './lexer.js';
export { MAX_NESTING_DEPTH, parsePredicate, type ParseResult } from './parser.js';
export { printPredicate } from './print.js';
export {
  evaluate,
  type EvalError,
  type EvalErrorType,
  type EvalResult,
  type Field,
  type Sample,
  type Scalar,
  type Value,
} from './evaluate.js';
export {
  INITIAL_TRIGGER_STATE,
  stepTrigger,
  type TriggerDefinition,
  type TriggerState,
  type TriggerStep,
} from './trigger.js';
export {
  INITIAL_WATCH_STATE,
  stepWatch,
  type WatchDefinition,
  type WatchReading,
  type WatchState,
  type WatchStep,
} from './watch.js';
export {
  findVariable,
  lookupVariable,
  RESOURCE_VARIABLES,
  type FieldKind,
  type InstanceField,
  type ResourceVariable,
  type StructuredField,
  type ValueKind,
  type VariableLookup,
} from './variables.js';
export {
  checkInstance,
  MAX_INSTANCE_LENGTH,
  parseInstance,
  type Instance,
  type InstanceError,
  type InstanceErrorType,
  type InstanceProblem,
  type InstanceProblemType,
  type InstanceResult,
} from './instance.js';
export { checkPredicate, type PredicateProblem, type PredicateProblemType } from './check.js';
