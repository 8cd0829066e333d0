// The operator's requests: start, stop and resume cluster services, move a resource group,
// bring it online or offline. The agent answers once the request is queued as a cluster event
// (it then runs like any other: `haven events` follows it), or refuses with a reason.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { OperatorReply } from '../agent/control/api.js';
import { AgentRefusedError, AgentUnreachableError, callAgent } from './control-client.js';
import { EXIT } from './exit-codes.js';
import type { Output } from './output.js';

export const STOP_MODES = ['graceful', 'takeover', 'forced'] as const;
export type StopMode = (typeof STOP_MODES)[number];

/** Each stop mode in one line, as the reference explains them (and --help shows them). */
export const STOP_MODE_HELP: Readonly<Record<StopMode, string>> = {
  graceful: 'release the node\u2019s groups; no other node acquires them',
  takeover: 'release the node\u2019s groups; the other nodes take them over',
  forced: 'stop cluster services; leave its groups running, unmanaged',
};

/** Where to look after a refusal, by the agent's code (api.ts lists them) and the request. */
function refusalHint(code: string, req: OperatorRequest): string | undefined {
  const rg = req.method.startsWith('rg.');
  const group = typeof req.params['group'] === 'string' ? req.params['group'] : 'GROUP';
  if (code === 'not-found' && rg) return 'haven rg lists the groups and the nodes of their lists';
  // A group named like a subcommand of rg is shown with rg show.
  const show = ['move', 'online', 'offline', 'show'].includes(group) ? 'rg show' : 'rg';
  if (code === 'invalid' && rg) return `haven ${show} ${group} shows the nodes of its list`;
  if (code === 'unavailable' && req.method !== 'cluster.start')
    return 'haven status shows the state of cluster services on this node';
  return undefined;
}

export interface OperatorRequest {
  /** The control method (api.ts). */
  readonly method: string;
  readonly params: Record<string, unknown>;
  /** The command as the operator typed it, for messages: "rg move web node2". */
  readonly what: string;
}

export async function operatorCommand(
  req: OperatorRequest,
  opts: { socket: string },
  io: Output,
): Promise<number> {
  let reply: OperatorReply;
  try {
    reply = (await callAgent(opts.socket, req.method, req.params)) as OperatorReply;
  } catch (e) {
    if (e instanceof AgentRefusedError) {
      const hint = refusalHint(e.code, req);
      io.err(`haven: ${req.what}: refused: ${e.message}`);
      if (hint !== undefined) io.err(`(${hint})`);
    } else {
      io.err(`haven: ${req.what}: ${e instanceof AgentUnreachableError ? e.message : String(e)}`);
    }
    return EXIT.errors;
  }
  io.out(reply.message);
  // Accepted means queued, not done: say where to watch it, unless the agent already did.
  if (!reply.message.includes('haven events')) io.out('(haven events follows its progress)');
  return EXIT.ok;
}

/**
 * `haven start`: cluster services run as long as the agent does (a stop ends it), so starting
 * them is starting the agent: through systemd where it runs, else the operator is told how.
 */
export async function startCommand(
  opts: { socket: string; unit: string },
  io: Output,
  systemdRunning: () => boolean = () => existsSync('/run/systemd/system'),
): Promise<number> {
  try {
    const r = (await callAgent(opts.socket, 'agent.ping')) as { node?: string };
    io.out(`cluster services are already running on ${r.node ?? 'this node'}`);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof AgentRefusedError) {
      io.err(`haven: start: ${e.message}`);
      return EXIT.errors;
    }
  }
  if (!systemdRunning()) {
    io.err(
      'haven: start: the agent is not running and systemd is not managing this system: start it with\n' +
        '  haven agent --config /etc/haven/cluster.yaml --node NODE\n' +
        '(or under your own service manager); see docs/operations.md',
    );
    return EXIT.errors;
  }
  try {
    await promisify(execFile)('systemctl', ['start', opts.unit], { timeout: 120_000 });
  } catch (e) {
    io.err(
      `haven: start: systemctl start ${opts.unit} failed: ${e instanceof Error ? e.message : String(e)}\n(journalctl -u ${opts.unit} shows why)`,
    );
    return EXIT.errors;
  }
  io.out(`started ${opts.unit}: the node joins the cluster (haven status, haven events)`);
  return EXIT.ok;
}
