// The environment of each command an event runs: documented in README.md ("Environment of every
// command"), and a test keeps the two in step.

import type { PlannedCommand } from './plan.js';

export type CommandRole = PlannedCommand['role'] | 'recovery';

export interface EnvironmentInput {
  readonly event: {
    readonly name: string;
    readonly id: string;
    readonly node: number;
    readonly network?: number | string | undefined;
    readonly details?: Readonly<Record<string, string>> | undefined;
  };
  readonly self: number;
  readonly members: readonly number[];
  readonly nodeNames: Readonly<Record<number, string>>;
  readonly groups: readonly string[];
  /** The caller's variables, overridden by the executor's own. */
  readonly env: Readonly<Record<string, string>>;
}

/** The command that failed, for a recovery command's FAILED_* variables. */
export interface FailedCommand {
  readonly command: string;
  readonly expected: number;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
}

export function commandEnvironment(
  input: EnvironmentInput,
  cmd: PlannedCommand,
  role: CommandRole,
  retries: number,
  failure: FailedCommand | null,
): Record<string, string> {
  const { event, self, groups } = input;
  const name = (id: number): string => input.nodeNames[id] ?? String(id);
  const members = [...input.members].sort((a, b) => a - b);
  const env: Record<string, string> = { ...input.env };
  for (const [k, v] of Object.entries(event.details ?? {})) {
    env[`EVENT_DETAIL_${k.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`] = v;
  }
  Object.assign(env, {
    EVENT_NAME: event.name,
    EVNAME: event.name,
    EVENT_ID: event.id,
    EVENT_NODE: name(event.node),
    EVENT_NODE_ID: String(event.node),
    EVLOCATION: String(event.node),
    LOCAL_NODE: name(self),
    LOCALNODENAME: name(self),
    LOCAL_NODE_ID: String(self),
    VIEW_MEMBERS: members.map(name).join(' '),
    VIEW_MEMBER_IDS: members.join(' '),
    EVENT_PHASE: role,
    EVENT_SCRIPT: cmd.script,
    RETRY_COUNT: String(retries),
    HAVEN_GROUPS: groups.join(' '),
  });
  if (event.network !== undefined) env['EVENT_NETWORK'] = String(event.network);
  if (cmd.step !== undefined) env['EVENT_STEP'] = String(cmd.step + 1);
  if (role === 'notify' && cmd.notifyState !== undefined) env['EVENT_STATE'] = cmd.notifyState;
  if (role === 'recovery' && failure !== null) {
    env['FAILED_COMMAND'] = failure.command;
    env['FAILED_EXPECTED'] = String(failure.expected);
    env['FAILED_EXIT_STATUS'] = failure.timedOut
      ? 'timeout'
      : failure.exitCode === null
        ? 'signal'
        : String(failure.exitCode);
  }
  return env;
}
