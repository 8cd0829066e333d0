// What one node runs for one event, in order: the plan the executor follows. Pure data, computed
// once when the executor is created.
//
//   pre       one job: the event's notify start, then its pre commands
//   segment k one job per command of the program's k-th segment that runs on this node (all;
//             event if this node is the event node; other if not), wrapped in the customisation
//             of its event script if it has one; the jobs run in parallel
//   barrier k between segments
//   post      one job: the event's post commands, then its notify complete
//   end       the cbarrier, numbered like a barrier: the number of barriers in the program

import type { EventCustomizationDef, RecoveryStep } from '../config/model.js';
import { parseEventScript } from './builtin.js';
import { runsOn } from './program.js';

export interface PlanOptions {
  readonly event: { readonly name: string; readonly node: number };
  readonly program: readonly RecoveryStep[];
  readonly self: number;
  readonly customizations?: readonly EventCustomizationDef[] | undefined;
}

export interface PlannedCommand {
  readonly role: 'notify' | 'pre' | 'step' | 'post';
  readonly command: string;
  readonly args: readonly string[];
  /** undefined: any status (X). */
  readonly expect: number | undefined;
  /** EVENT_SCRIPT: the script the command runs or is wrapped around. */
  readonly script: string;
  readonly recovery: { readonly command: string; readonly retries: number } | undefined;
  readonly step: number | undefined;
  readonly notifyState: 'start' | 'complete' | undefined;
}

export type Phase =
  | {
      readonly kind: 'commands';
      readonly name: string;
      /** Jobs run in parallel; the commands of a job run one after the other. */
      readonly jobs: readonly (readonly PlannedCommand[])[];
    }
  | { readonly kind: 'barrier' | 'end'; readonly index: number };

export function customization(
  all: readonly EventCustomizationDef[],
  name: string,
): EventCustomizationDef | undefined {
  return all.find((c) => c.event === name);
}

function planned(
  role: PlannedCommand['role'],
  command: string,
  expect: number | undefined,
  script: string,
  recovery: PlannedCommand['recovery'],
  step: number | undefined,
  notifyState?: 'start' | 'complete',
): PlannedCommand {
  return {
    role,
    command,
    args: notifyState === undefined ? [] : [notifyState],
    expect,
    script,
    recovery,
    step,
    notifyState,
  };
}

/** notify start, then the pre commands: the reference's event flow before the event script. */
function before(
  c: EventCustomizationDef | undefined,
  script: string,
  recovery: PlannedCommand['recovery'],
  step: number | undefined,
): PlannedCommand[] {
  if (c === undefined) return [];
  return [
    ...(c.notify === undefined
      ? []
      : [planned('notify', c.notify, undefined, script, recovery, step, 'start')]),
    ...c.pre.map((p) => planned('pre', p, 0, script, recovery, step)),
  ];
}

/** The post commands, then notify complete. */
function after(
  c: EventCustomizationDef | undefined,
  script: string,
  recovery: PlannedCommand['recovery'],
  step: number | undefined,
): PlannedCommand[] {
  if (c === undefined) return [];
  return [
    ...c.post.map((p) => planned('post', p, 0, script, recovery, step)),
    ...(c.notify === undefined
      ? []
      : [planned('notify', c.notify, undefined, script, recovery, step, 'complete')]),
  ];
}

export function planEvent(options: PlanOptions): Phase[] {
  const { event, self, program } = options;
  const all = options.customizations ?? [];
  const own = customization(all, event.name);
  const eventRecovery = own?.recovery;
  const phases: Phase[] = [];
  const job = (cmds: PlannedCommand[]): PlannedCommand[][] => (cmds.length > 0 ? [cmds] : []);

  phases.push({
    kind: 'commands',
    name: 'pre',
    jobs: job(before(own, event.name, eventRecovery, undefined)),
  });
  let segment: PlannedCommand[][] = [];
  let k = 0;
  program.forEach((s, step) => {
    if (s.type === 'barrier') {
      phases.push({ kind: 'commands', name: `segment ${k}`, jobs: segment });
      phases.push({ kind: 'barrier', index: k });
      segment = [];
      k++;
      return;
    }
    if (!runsOn(s.on, event.node, self)) return;
    const parsed = parseEventScript(s.run);
    const script = parsed?.script ?? s.run;
    // A script's own customisation wraps each run of it; the event's wraps the whole program,
    // so a script named like the event (node_up in node_up) is not wrapped twice.
    const sub =
      parsed !== undefined && parsed.script !== event.name
        ? customization(all, parsed.script)
        : undefined;
    const recovery = sub?.recovery ?? eventRecovery;
    segment.push([
      ...before(sub, script, recovery, step),
      planned('step', s.run, s.expect, script, recovery, step),
      ...after(sub, script, recovery, step),
    ]);
  });
  phases.push({ kind: 'commands', name: `segment ${k}`, jobs: segment });
  phases.push({
    kind: 'commands',
    name: 'post',
    jobs: job(after(own, event.name, eventRecovery, undefined)),
  });
  phases.push({ kind: 'end', index: k });
  return phases;
}
