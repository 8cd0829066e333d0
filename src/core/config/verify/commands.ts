// Commands and application monitors.
//
// Every command Haven runs (application start and stop, monitors, event hooks, recovery
// programs, dynamic priority scripts) runs with /bin/sh -c from the daemon, whose PATH is
// minimal and is not the administrator's login PATH: a command that works at the prompt can
// fail in the middle of a takeover. So the program must be an absolute path (warning). Shell
// builtins need no PATH and are accepted.
//
// Monitors: a process monitor needs `process`, a custom monitor `command` (errors); fields of
// the other type are ignored (warning). A custom check that may run longer than the interval
// would overlap the next one (warning). A restart interval shorter than restartCount x
// (stabilization + interval) resets the restart count before the restarts can be used up,
// so the failure action never comes (warning). There is no rule between interval and
// stabilization: stabilization is a one-off grace after the start, the interval the period
// of the checks after it; any pair of values means something sensible.

import type { Finding, Path } from '../diagnostic.js';
import { formatDuration } from '../duration.js';
import type { ClusterConfig, MonitorDef } from '../model.js';
import { isEventScriptCommand } from '../../events/builtin.js';

const BUILTINS = new Set([
  ':',
  '.',
  '[',
  'cd',
  'echo',
  'eval',
  'exit',
  'export',
  'false',
  'kill',
  'printf',
  'set',
  'test',
  'trap',
  'true',
  'umask',
  'ulimit',
  'wait',
]);

/** The program a shell command line runs: after VAR=value assignments, `exec` and `env`. */
export function programOf(command: string): string {
  let rest = command.trim();
  for (;;) {
    const assignment = /^[A-Za-z_][A-Za-z0-9_]*=("[^"]*"|'[^']*'|\S*)\s+/.exec(rest);
    if (assignment) {
      rest = rest.slice(assignment[0].length);
      continue;
    }
    const wrapper = /^(exec|env|nohup|nice|command)\s+/.exec(rest);
    if (wrapper) {
      rest = rest.slice(wrapper[0].length);
      continue;
    }
    break;
  }
  const quoted = /^(["'])(.*?)\1/.exec(rest);
  if (quoted) return quoted[2] ?? '';
  return /^[^\s;&|<>()]*/.exec(rest)?.[0] ?? '';
}

interface CommandUse {
  readonly command: string;
  readonly path: Path;
  readonly what: string;
}

function commandsOf(config: ClusterConfig): CommandUse[] {
  const uses: CommandUse[] = [];
  const add = (command: string | undefined, path: Path, what: string): void => {
    if (command !== undefined) uses.push({ command, path, what });
  };
  for (const r of config.resources) {
    if (r.kind !== 'application') continue;
    add(r.start, [...r.at, 'start'], `the start command of application ${r.name}`);
    add(r.stop, [...r.at, 'stop'], `the stop command of application ${r.name}`);
    for (const m of r.monitors) {
      const of = `of monitor ${m.name} (${r.name})`;
      add(m.command, [...m.at, 'command'], `the check command ${of}`);
      add(m.notifyCommand, [...m.at, 'notifyCommand'], `the notify command ${of}`);
      add(m.cleanupCommand, [...m.at, 'cleanupCommand'], `the cleanup command ${of}`);
      add(m.restartCommand, [...m.at, 'restartCommand'], `the restart command ${of}`);
    }
  }
  for (const g of config.resourceGroups) {
    add(
      g.dynamicPriority?.script,
      [...g.at, 'dynamicPriority', 'script'],
      `the dynamic priority script of group ${g.name}`,
    );
  }
  for (const e of config.events) {
    add(e.notify, [...e.at, 'notify'], `the notify command of ${e.event}`);
    e.pre.forEach((c, i) => {
      add(c, [...e.at, 'pre', i], `a pre-event command of ${e.event}`);
    });
    e.post.forEach((c, i) => {
      add(c, [...e.at, 'post', i], `a post-event command of ${e.event}`);
    });
    add(
      e.recovery?.command,
      [...e.at, 'recovery', 'command'],
      `the recovery command of ${e.event}`,
    );
  }
  for (const u of config.userEvents) {
    u.program?.forEach((step, i) => {
      // One of Haven's event scripts is no command found through PATH.
      if (step.type === 'command' && !isEventScriptCommand(step.run)) {
        add(step.run, [...u.at, 'program', i, 'run'], `step ${i + 1} of user event ${u.name}`);
      }
    });
  }
  return uses;
}

function checkMonitor(app: string, m: MonitorDef): Finding[] {
  const out: Finding[] = [];
  if (m.type === 'process' && m.process === undefined) {
    out.push({
      severity: 'error',
      code: 'monitor-process-missing',
      path: [...m.at, 'process'],
      message: `process monitor ${m.name} of ${app} names no process to watch`,
      expected: 'process: the process name, as in /proc/PID/comm (e.g. nginx)',
    });
  }
  if (m.type === 'custom' && m.command === undefined) {
    out.push({
      severity: 'error',
      code: 'monitor-command-missing',
      path: [...m.at, 'command'],
      message: `custom monitor ${m.name} of ${app} has no check command`,
      expected: 'command: a command that exits 0 while the application is healthy',
    });
  }
  const unused: [string, unknown][] =
    m.type === 'process'
      ? [['command', m.command]]
      : [
          ['process', m.process],
          ['owner', m.owner],
        ];
  for (const [field, value] of unused) {
    if (value === undefined) continue;
    out.push({
      severity: 'warning',
      code: 'monitor-field-unused',
      path: [...m.at, field],
      message: `${field} is ignored by ${m.type} monitor ${m.name} of ${app}`,
      hint: `remove ${field}, or set type: ${m.type === 'process' ? 'custom' : 'process'}`,
    });
  }
  if (m.type === 'custom' && m.timeoutMs > m.intervalMs) {
    out.push({
      severity: 'warning',
      code: 'monitor-timeout-exceeds-interval',
      path: [...m.at, 'timeout'],
      message: `a check of monitor ${m.name} of ${app} may run ${formatDuration(m.timeoutMs)}, longer than its interval of ${formatDuration(m.intervalMs)}: a slow check would delay the next one`,
      expected: 'a timeout no longer than the interval',
    });
  }
  const cycle = m.restartCount * (m.stabilizationMs + m.intervalMs);
  if (m.restartCount > 0 && m.restartIntervalMs < cycle) {
    out.push({
      severity: 'warning',
      code: 'monitor-restart-interval-short',
      path: [...m.at, 'restartInterval'],
      message: `monitor ${m.name} of ${app} resets its restart count after ${formatDuration(m.restartIntervalMs)}, before ${m.restartCount} restarts (${formatDuration(cycle)} with stabilization and interval) can be used up: its failure action, ${m.failureAction}, would never come`,
      expected: `a restartInterval of at least ${formatDuration(cycle)} (the default is 10% more)`,
      hint: 'remove restartInterval to use the default',
    });
  }
  return out;
}

/** The warning for a command found through PATH (`what` says whose it is), if it is one. */
export function relativeCommand(command: string, what: string): Omit<Finding, 'path'> | undefined {
  const program = programOf(command);
  if (program.startsWith('/') || BUILTINS.has(program)) return undefined;
  return {
    severity: 'warning',
    code: 'command-relative-path',
    message: `${what} runs "${program}", which is not an absolute path`,
    expected: 'a command starting with an absolute path, e.g. /usr/local/sbin/app_start',
    hint: 'use an absolute path: cluster events run with a minimal PATH',
  };
}

export function checkCommands(config: ClusterConfig): Finding[] {
  const out: Finding[] = [];
  for (const { command, path, what } of commandsOf(config)) {
    const f = relativeCommand(command, what);
    if (f) out.push({ ...f, path });
  }
  for (const r of config.resources) {
    if (r.kind === 'application') for (const m of r.monitors) out.push(...checkMonitor(r.name, m));
  }
  return out;
}
