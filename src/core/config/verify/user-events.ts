// User-defined events: the variable they watch, which instance of it, the predicate and its
// rearm predicate (all checked with the expression language in core/expr), and the recovery
// program.
//
// Program rules: exactly one of program and programFile. An inline program needs a command
// step (barriers alone do nothing); it cannot start with a barrier (there is nothing to wait
// for yet) and two barriers in a row are one barrier written twice, which usually means a
// step was deleted between them.

import type { Finding, Path } from '../diagnostic.js';
import type { ClusterConfig, UserEventDef } from '../model.js';
import { didYouMean } from '../suggest.js';
import {
  checkInstance,
  checkPredicate,
  lookupVariable,
  parseInstance,
  parsePredicate,
} from '../../expr/index.js';
import type { ResourceVariable } from '../../expr/index.js';
import { lookup } from './lookup.js';

/** Below this, sampling costs more than an event could win. */
const MIN_SAMPLE_INTERVAL_MS = 1000;

function checkProgram(u: UserEventDef): Finding[] {
  const out: Finding[] = [];
  if (u.program === undefined && u.programFile === undefined) {
    out.push({
      severity: 'error',
      code: 'user-event-no-program',
      path: u.at,
      message: `user event ${u.name} has no recovery program`,
      expected: 'program: a list of steps, or programFile: the path of a .rp file',
    });
  }
  if (u.program !== undefined && u.programFile !== undefined) {
    out.push({
      severity: 'error',
      code: 'user-event-two-programs',
      path: [...u.at, 'programFile'],
      message: `user event ${u.name} has both an inline program and a programFile`,
      expected: 'one of program and programFile',
      hint: 'remove one',
    });
  }
  const steps = u.program ?? [];
  if (u.program !== undefined && !steps.some((s) => s.type === 'command')) {
    out.push({
      severity: 'error',
      code: 'user-event-program-no-command',
      path: [...u.at, 'program'],
      message: `the program of user event ${u.name} has barriers only: it does nothing`,
      expected: 'at least one step with on: and run:',
    });
  }
  steps.forEach((s, i) => {
    if (s.type !== 'barrier') return;
    if (i === 0) {
      out.push({
        severity: 'error',
        code: 'user-event-program-leading-barrier',
        path: [...u.at, 'program', 0],
        message: `the program of user event ${u.name} starts with a barrier, before any step has run`,
        expected: 'a command step first',
        hint: 'remove the first barrier',
      });
    } else if (steps[i - 1]?.type === 'barrier') {
      out.push({
        severity: 'error',
        code: 'user-event-program-double-barrier',
        path: [...u.at, 'program', i],
        message: `steps ${i} and ${i + 1} of the program of user event ${u.name} are both barriers`,
        expected: 'a command step between two barriers',
        hint: 'remove one barrier, or put back the step that was between them',
      });
    }
  });
  return out;
}

function checkInstanceOf(
  config: ClusterConfig,
  u: UserEventDef,
  variable: ResourceVariable,
): Finding[] {
  const at: Path = [...u.at, 'instance'];
  const parsed = parseInstance(u.instance ?? '');
  if (!parsed.ok) {
    return [
      {
        severity: 'error',
        code: 'user-event-instance-invalid',
        path: at,
        message: `the instance of user event ${u.name}: ${parsed.error.message}`,
        expected: 'field=value;field=value, or a map such as { mount: /var }',
      },
    ];
  }
  const isMap = typeof u.instance === 'object';
  const fieldPath = (field: string): Path =>
    isMap && Object.hasOwn(parsed.instance, field) ? [...at, field] : at;
  const out: Finding[] = checkInstance(variable, parsed.instance).map((p) => ({
    severity: 'error',
    code: p.type === 'missing-field' ? 'user-event-instance-missing' : 'user-event-instance-field',
    path: fieldPath(p.field),
    message: `user event ${u.name}: ${p.message}`,
    expected: `instance fields of ${variable.name}: ${[...variable.instance.required, ...variable.instance.optional].map((f) => f.name).join(', ')}`,
  }));
  // The node field names a cluster node, which this file defines.
  const node = parsed.instance['node'];
  const nodes = lookup(config).nodes;
  if (node !== undefined && node !== '*' && node !== '' && !nodes.has(node)) {
    out.push({
      severity: 'error',
      code: 'user-event-instance-node',
      path: fieldPath('node'),
      message: `user event ${u.name} watches node "${node}", which is not a node of this cluster${didYouMean(node, nodes.keys())}`,
      expected: `a node name (${[...nodes.keys()].join(', ')}) or *`,
    });
  }
  return out;
}

function checkPredicateField(
  u: UserEventDef,
  field: 'predicate' | 'rearm',
  text: string,
  variable: ResourceVariable | undefined,
): Finding[] {
  const what = field === 'predicate' ? 'predicate' : 'rearm predicate';
  const parsed = parsePredicate(text);
  const path: Path = [...u.at, field];
  if (!parsed.ok) {
    return [
      {
        severity: 'error',
        code: 'user-event-predicate-syntax',
        path,
        message: `the ${what} of user event ${u.name}, "${text}", does not parse: ${parsed.error.message}`,
        expected: `a predicate on X such as "${variable?.example[field] ?? 'X > 90'}"`,
      },
    ];
  }
  if (!variable) return [];
  return checkPredicate(variable, parsed.expr).map((p) => ({
    severity: 'error',
    code: 'user-event-predicate-type',
    path,
    message: `the ${what} of user event ${u.name} can never be evaluated: ${p.message}`,
  }));
}

export function checkUserEvents(config: ClusterConfig): Finding[] {
  const out: Finding[] = [];
  for (const u of config.userEvents) {
    out.push(...checkProgram(u));
    const found = lookupVariable(u.resourceVariable);
    const variable = found.ok ? found.variable : undefined;
    if (!found.ok) {
      out.push({
        severity: 'error',
        code: 'user-event-unknown-variable',
        path: [...u.at, 'resourceVariable'],
        message: `user event ${u.name}: ${found.message}`,
        expected: 'a resource variable Haven measures',
        ...(found.suggestion === undefined
          ? {}
          : { hint: `resourceVariable: ${found.suggestion}` }),
      });
    } else {
      out.push(...checkInstanceOf(config, u, found.variable));
    }
    if (u.intervalMs < MIN_SAMPLE_INTERVAL_MS) {
      out.push({
        severity: 'error',
        code: 'user-event-interval',
        path: [...u.at, 'interval'],
        message: `user event ${u.name} samples its variable every ${String(u.intervalMs)}ms: reading /proc and statfs that often costs CPU for nothing an event could act on`,
        expected: 'an interval of at least 1s',
        hint: 'interval: 10s (the default) suits most variables',
      });
    }
    out.push(...checkPredicateField(u, 'predicate', u.predicate, variable));
    if (u.rearm !== undefined) out.push(...checkPredicateField(u, 'rearm', u.rearm, variable));
  }
  return out;
}
