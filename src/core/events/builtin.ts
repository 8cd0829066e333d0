// The built-in recovery programs, as data. They follow the shape of the reference's node_up.rp
// (4.4.2): whoever gives something up goes first, a barrier, whoever takes it goes next, a
// barrier, then every node runs the _complete script, whose status is ignored (X).
//
// A command here is a Haven event script: its first word names the script (node_up,
// rg_move_release ...), the rest are arguments. The caller resolves it to something runnable,
// e.g. `haven-event node_down graceful`. The reference's rule is kept: a command whose first word
// has no `/` is a delivered event script; user programs give a full path (11.3.2).
//
// See README.md in this directory for the table of programs and who runs what.

import type { RecoveryStep } from '../config/model.js';

export type NodeDownMode = 'graceful' | 'takeover' | 'forced' | 'failure';

export interface BuiltinProgram {
  readonly event: string;
  /** node_down only: how the node left. */
  readonly variant: NodeDownMode | undefined;
  /** Runs on this node only, outside the queue and without barriers (see README). */
  readonly local: boolean;
  readonly steps: readonly RecoveryStep[];
}

const barrier: RecoveryStep = { type: 'barrier' };
/** The reference's X: any exit status. Not `undefined`, which a default parameter would swallow. */
const X = 'X';
type Expect = number | typeof X;
const command = (on: 'all' | 'event' | 'other', run: string, expect: Expect): RecoveryStep => ({
  type: 'command',
  on,
  run,
  expect: expect === X ? undefined : expect,
});
const all = (run: string, expect: Expect = 0): RecoveryStep => command('all', run, expect);
const event = (run: string, expect: Expect = 0): RecoveryStep => command('event', run, expect);
const other = (run: string, expect: Expect = 0): RecoveryStep => command('other', run, expect);

/** The reference's node_up.rp: the others release what the joining node takes, then it takes it. */
const joinShape = (script: string): RecoveryStep[] => [
  other(script),
  barrier,
  event(script),
  barrier,
  all(`${script}_complete`, X),
];

/** The mirror image: the event node releases first, then the others take over. */
const leaveShape = (script: string, arg = ''): RecoveryStep[] => [
  event(`${script}${arg}`),
  barrier,
  other(`${script}${arg}`),
  barrier,
  all(`${script}_complete${arg}`, X),
];

/**
 * A placement change carried in the event (the leader computed the plan; every node executes
 * the same plan): every node releases what leaves it, then every node acquires what comes to it,
 * so that no resource is ever held on two nodes at once, whatever nodes the plan involves.
 */
const moveShape = (release: string, acquire: string, complete: string): RecoveryStep[] => [
  all(release),
  barrier,
  all(acquire),
  barrier,
  all(complete, X),
];

const program = (
  name: string,
  steps: RecoveryStep[],
  variant?: NodeDownMode,
  local = false,
): BuiltinProgram => ({ event: name, variant, local, steps });

export const BUILTIN_PROGRAMS: readonly BuiltinProgram[] = [
  program('node_up', joinShape('node_up')),
  program('node_down', leaveShape('node_down', ' graceful'), 'graceful'),
  program('node_down', leaveShape('node_down', ' takeover'), 'takeover'),
  // Forced: cluster services stop but the resources stay where they are, unmanaged: nobody
  // releases and nobody takes over; every node records the departure.
  program(
    'node_down',
    [all('node_down forced'), barrier, all('node_down_complete forced', X)],
    'forced',
  ),
  // Failure: the node is gone from the view. `other` rather than `all` so that a node can never
  // run the takeover of its own failure.
  program('node_down', [other('node_down'), barrier, other('node_down_complete', X)], 'failure'),
  program('network_up', joinShape('network_up')),
  program('network_down', leaveShape('network_down')),
  // The service address moves to another interface of the same node; the others then update
  // what they know (ARP caches, status).
  program('swap_adapter', [event('swap_adapter'), barrier, all('swap_adapter_complete', X)]),
  // A standby (non-service) interface failed or came back: nothing moves; every node records it.
  program('fail_interface', [all('fail_interface')]),
  program('join_interface', [all('join_interface')]),
  program('rg_move', moveShape('rg_move_release', 'rg_move_acquire', 'rg_move_complete')),
  // Bringing a group online or offline is a move whose plan only adds or removes it (as clRGmove
  // does in the reference's successors); dependencies can make other groups move with it.
  program('rg_online', moveShape('rg_move_release', 'rg_move_acquire', 'rg_online_complete')),
  program('rg_offline', moveShape('rg_move_release', 'rg_move_acquire', 'rg_offline_complete')),
  // An application failed on the event node (its monitor's restarts are used up): it cleans up;
  // a fallover, if the policy asks for one, is a separate rg_move queued by the leader.
  program('server_down', [event('server_down'), barrier, all('server_down_complete', X)]),
  program('server_restart', [event('server_restart'), barrier, all('server_restart_complete', X)]),
  program('reconfig_topology', [
    all('reconfig_topology_start'),
    barrier,
    all('reconfig_topology_complete', X),
  ]),
  program(
    'reconfig_resource',
    moveShape(
      'reconfig_resource_release',
      'reconfig_resource_acquire',
      'reconfig_resource_complete',
    ),
  ),
  // Local warnings: run on this node alone while the stuck event goes on (they cannot wait in
  // the queue behind the very event they are about).
  program('config_too_long', [event('config_too_long', X)], undefined, true),
  program('event_error', [event('event_error', X)], undefined, true),
];

/**
 * The built-in program of an event; node_down needs its variant (default: failure, the one
 * that needs nothing from the departed node). Undefined for user events and for the *_complete
 * names, which are scripts run by the programs, not events of their own.
 */
export function builtinProgram(name: string, variant?: NodeDownMode): BuiltinProgram | undefined {
  const wanted = name === 'node_down' ? (variant ?? 'failure') : undefined;
  return BUILTIN_PROGRAMS.find((p) => p.event === name && p.variant === wanted);
}

/** A command split into its event script name and arguments; undefined for a user program (a path). */
export function parseEventScript(
  command: string,
): { readonly script: string; readonly args: readonly string[] } | undefined {
  const words = command.trim().split(/\s+/);
  const [script, ...args] = words;
  if (script === undefined || script === '' || script.includes('/')) return undefined;
  return { script, args };
}

/** Every event script the built-in programs run, sorted: what a later issue implements. */
export const BUILTIN_SCRIPTS: readonly string[] = [
  ...new Set(
    BUILTIN_PROGRAMS.flatMap((p) =>
      p.steps.flatMap((s) =>
        s.type === 'command' ? [parseEventScript(s.run)?.script ?? s.run] : [],
      ),
    ),
  ),
].sort();

/**
 * Whether a command names one of Haven's event scripts (node_up_complete, rg_move_acquire...):
 * a first word without a `/` that is one of them, as in the reference (11.3.2). Any other
 * command is the administrator's own, run with /bin/sh.
 */
export function isEventScriptCommand(command: string): boolean {
  const e = parseEventScript(command);
  return e !== undefined && BUILTIN_SCRIPTS.includes(e.script);
}
