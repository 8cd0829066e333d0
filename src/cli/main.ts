// The `haven` command: subcommands, each with --help.

import { readFileSync } from 'node:fs';
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { clusterJsonSchema } from '../core/config/schema.js';
import { EXIT } from './exit-codes.js';
import { processOutput, type Output } from './output.js';
import { verifyCommand } from './verify.js';
import { keygenCommand } from './keygen.js';
import { DEFAULT_SOCKET } from './control-client.js';
import { topologyStatusCommand } from './topology.js';
import { clusterStatusCommand } from './status.js';
import { rgInfoCommand } from './rg.js';
import { DEFAULT_EVENTS, eventsCommand } from './events.js';
import {
  operatorCommand,
  startCommand,
  STOP_MODE_HELP,
  STOP_MODES,
  type StopMode,
} from './operator.js';
import {
  DEFAULT_LOG_DIR,
  DEFAULT_LOG_LINES,
  LOG_KINDS,
  logsCommand,
  type LogKind,
} from './logs.js';
import { runAgent } from '../agent/agent.js';
import { runTiebreaker } from './tiebreaker.js';
import { TIEBREAKER_LEASE_MS } from '../agent/cluster/group-config.js';
import { Logger } from '../agent/log.js';
import { stdoutIsJournal, withSyslogPrefix } from '../agent/logs/cluster-log.js';

function version(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** -n N: a count of lines or events, 0 or more. */
function count(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number, 0 or more.');
  return Number(value);
}

/** A whole number in [min, max]. */
function wholeIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max)
      throw new InvalidArgumentError(
        `expected a whole number from ${String(min)} to ${String(max)}.`,
      );
    return n;
  };
}

const SOCKET_HELP = 'the agent\u2019s control socket';

/**
 * The socket a subcommand of `rg` uses: its own -s, or the one given before the subcommand's
 * name (`haven rg -s PATH move ...`), which commander hands to `rg` instead.
 */
function socketOf(cmd: Command): string {
  const own = cmd.opts<{ socket: string }>().socket;
  const parent = cmd.parent;
  if (cmd.getOptionValueSource('socket') === 'cli' || parent === null) return own;
  return parent.opts<{ socket?: string }>().socket ?? own;
}

/** Runs until Ctrl-C or SIGTERM, which end it normally. */
async function untilInterrupted(run: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const ac = new AbortController();
  const stop = (): void => {
    ac.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await run(ac.signal);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

export function buildProgram(io: Output, setCode: (code: number) => void): Command {
  const program = new Command('haven')
    .description('Haven: a high-availability cluster manager for Linux services.')
    .version(version(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => {
        io.out(s);
      },
      writeErr: (s) => {
        io.err(s);
      },
    })
    .exitOverride()
    // Options belong to the command they follow: `haven rg move G N -s PATH` gives -s to move.
    .enablePositionalOptions();

  program
    .command('verify')
    .description(
      'Check a cluster definition: its shape, then the cluster verification checks. Exit status: 0 clean, 1 errors, 2 warnings only.',
    )
    .argument('<file>', 'the cluster definition (YAML)')
    .option('--json', 'print the result as JSON')
    .option('--explain', 'when there are no errors, explain what the cluster will do')
    .action(async (file: string, opts: { json?: boolean; explain?: boolean }) => {
      setCode(await verifyCommand(file, opts, io));
    });

  program
    .command('explain')
    .description('Verify a cluster definition and explain it in words (verify --explain).')
    .argument('<file>', 'the cluster definition (YAML)')
    .addOption(new Option('--json', 'print the result as JSON'))
    .action(async (file: string, opts: { json?: boolean }) => {
      setCode(await verifyCommand(file, { ...opts, explain: true }, io));
    });

  program
    .command('schema')
    .description(
      'Print the JSON Schema of the cluster definition, for editors: haven schema > cluster.schema.json',
    )
    .action(() => {
      io.out(JSON.stringify(clusterJsonSchema(), null, 2));
      setCode(EXIT.ok);
    });

  program
    .command('agent')
    .description(
      'Run the Haven agent of this node in the foreground (systemd starts it). SIGTERM is a graceful stop: its groups go offline, then it exits.',
    )
    .requiredOption('-c, --config <file>', 'the cluster definition', '/etc/haven/cluster.yaml')
    .option(
      '-n, --node <name>',
      'this node\u2019s name in the cluster definition (default: the host name)',
    )
    .option('-k, --key <file>', 'the cluster key file', '/etc/haven/cluster.key')
    .option('--state-dir <dir>', 'where the agent keeps its durable state', '/var/lib/haven')
    .option('-s, --socket <path>', 'the control socket', DEFAULT_SOCKET)
    .option(
      '--log-dir <dir>',
      'where cluster.log, events.log and the daily history go',
      '/var/log/haven',
    )
    .addOption(new Option('--test-hooks', 'enable test-only control methods').hideHelp())
    .addOption(
      new Option(
        '--create-disk-files',
        'create missing disk heartbeat files (tests, demos)',
      ).hideHelp(),
    )
    .action(
      async (opts: {
        config: string;
        node?: string;
        key: string;
        stateDir: string;
        socket: string;
        logDir: string;
        testHooks?: boolean;
        createDiskFiles?: boolean;
      }) => {
        // Under systemd, each line gets its syslog priority prefix (journalctl -p works).
        const write = (l: string): void => {
          process.stdout.write(l);
        };
        setCode(await runAgent(opts, new Logger(withSyslogPrefix(write, stdoutIsJournal()))));
      },
    );

  program
    .command('tiebreaker')
    .description(
      'Run the quorum server (quorum.tieBreaker type server) in the foreground, on a machine outside the cluster: of two halves holding half of the votes each, it grants one the quorum. UDP. SIGTERM stops it.',
    )
    .requiredOption('-c, --config <file>', 'the cluster definition', '/etc/haven/cluster.yaml')
    .option('-k, --key <file>', 'the cluster key file', '/etc/haven/cluster.key')
    .option('--listen <address>', 'the address to listen on (default quorum.tieBreaker.address)')
    .option('--port <n>', 'the UDP port (default quorum.tieBreaker.port)', wholeIn(1, 65535))
    .addOption(
      new Option('--lease-ms <ms>', 'grant length and quiet time after a start (tests)')
        .argParser(wholeIn(1, 3_600_000))
        .default(TIEBREAKER_LEASE_MS)
        .hideHelp(),
    )
    .action(
      async (opts: {
        config: string;
        key: string;
        listen?: string;
        port?: number;
        leaseMs: number;
      }) => {
        const write = (l: string): void => {
          process.stdout.write(l);
        };
        const log = new Logger(withSyslogPrefix(write, stdoutIsJournal()));
        setCode(await untilInterrupted((signal) => runTiebreaker(opts, log, signal)));
      },
    );

  const topology = program
    .command('topology')
    .description('Topology services: heartbeats and liveness of interfaces, networks and nodes.');
  topology
    .command('status')
    .description(
      'Ask this node\u2019s agent for the state of every network, peer interface and node, and the dropped packets.',
    )
    .option('--json', 'print the status as JSON')
    .option('-s, --socket <path>', 'the agent\u2019s control socket', DEFAULT_SOCKET)
    .action(async (opts: { json?: boolean; socket: string }) => {
      setCode(await topologyStatusCommand(opts, io));
    });

  program
    .command('status')
    .summary('The cluster, its nodes and where each resource group is online (clstat).')
    .description(
      'The cluster as this node\u2019s agent sees it (clstat): the cluster manager, view and quorum, each node and its networks, where each resource group is online, and events in error.',
    )
    .option('--json', 'print the agent\u2019s reply as JSON')
    .option('-s, --socket <path>', SOCKET_HELP, DEFAULT_SOCKET)
    .action(async (opts: { json?: boolean; socket: string }) => {
      setCode(await clusterStatusCommand(opts, io));
    });

  const rg = program
    .command('rg')
    .summary('Show resource groups; move them, bring them online or offline (clRGinfo, clRGmove).')
    .description(
      'Resource groups (clRGinfo, clRGmove). `haven rg` shows every group, `haven rg GROUP` one (or `haven rg show GROUP`, for a group named like a subcommand: move, online, offline, show).',
    )
    .argument('[group]', 'the group to show (default: all)')
    .option('--json', 'print the agent\u2019s reply as JSON')
    .option('-s, --socket <path>', SOCKET_HELP, DEFAULT_SOCKET)
    .action(async (group: string | undefined, opts: { json?: boolean; socket: string }) => {
      setCode(await rgInfoCommand(group, opts, io));
    });
  rg.command('show')
    .description(
      'Show resource groups: per node of its list (in priority order) its state, its policies, the priority override, why it is where it is, its resources.',
    )
    .argument('[group]', 'the group to show (default: all)')
    .option('--json', 'print the agent\u2019s reply as JSON')
    .option('-s, --socket <path>', SOCKET_HELP, DEFAULT_SOCKET)
    .action(async (group: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      setCode(await rgInfoCommand(group, { ...opts, socket: socketOf(cmd) }, io));
    });
  rg.command('move')
    .description(
      'Move GROUP to NODE (a node of its list). NODE becomes its priority override: the cluster puts the group there whenever NODE can host it, until `haven rg online GROUP` clears the override.',
    )
    .argument('<group>', 'the resource group')
    .argument('<node>', 'the node to move it to')
    .option('-s, --socket <path>', SOCKET_HELP, DEFAULT_SOCKET)
    .action(async (group: string, node: string, _opts: unknown, cmd: Command) => {
      const req = { method: 'rg.move', params: { group, node }, what: `rg move ${group} ${node}` };
      setCode(await operatorCommand(req, { socket: socketOf(cmd) }, io));
    });
  rg.command('online')
    .description(
      'Bring GROUP online: on NODE (which becomes its priority override), or without NODE where its policies place it, clearing its priority override and its failures.',
    )
    .argument('<group>', 'the resource group')
    .argument('[node]', 'the node to bring it online on')
    .option('-s, --socket <path>', SOCKET_HELP, DEFAULT_SOCKET)
    .action(async (group: string, node: string | undefined, _opts: unknown, cmd: Command) => {
      const req = {
        method: 'rg.online',
        params: node === undefined ? { group } : { group, node },
        what: `rg online ${group}${node === undefined ? '' : ` ${node}`}`,
      };
      setCode(await operatorCommand(req, { socket: socketOf(cmd) }, io));
    });
  rg.command('offline')
    .description(
      'Take GROUP offline on every node. It stays offline until `haven rg online GROUP`.',
    )
    .argument('<group>', 'the resource group')
    .option('-s, --socket <path>', SOCKET_HELP, DEFAULT_SOCKET)
    .action(async (group: string, _opts: unknown, cmd: Command) => {
      const req = { method: 'rg.offline', params: { group }, what: `rg offline ${group}` };
      setCode(await operatorCommand(req, { socket: socketOf(cmd) }, io));
    });

  program
    .command('events')
    .summary('The running event, the queue and the last events on this node.')
    .description(
      'Cluster events on this node: the one running (what it releases and acquires, its error), the queue, and the last N with start, duration, outcome and the groups moved.',
    )
    .option('-n, --lines <n>', 'how many past events to show', count, DEFAULT_EVENTS)
    .option('--json', 'print the agent\u2019s reply as JSON (every event it keeps)')
    .option('-s, --socket <path>', SOCKET_HELP, DEFAULT_SOCKET)
    .action(async (opts: { json?: boolean; socket: string; lines: number }) => {
      setCode(await eventsCommand(opts, io));
    });

  program
    .command('start')
    .summary('Start cluster services on this node.')
    .description(
      'Start cluster services on this node: the agent (systemctl start haven, where systemd runs). The node joins the cluster, and its groups are placed by their policies.',
    )
    .option('-s, --socket <path>', SOCKET_HELP, DEFAULT_SOCKET)
    .option('--unit <name>', 'the systemd unit of the agent', 'haven.service')
    .action(async (opts: { socket: string; unit: string }) => {
      setCode(await startCommand(opts, io));
    });

  program
    .command('stop')
    .summary('Stop cluster services on this node or all nodes: --mode graceful|takeover|forced.')
    .description(
      'Stop cluster services on this node (or every node with --all): the node runs its part of the stop event, then its agent exits; `haven start` starts it again. Modes:\n' +
        STOP_MODES.map((m) => `  ${m.padEnd(9)} ${STOP_MODE_HELP[m]}`).join('\n'),
    )
    .addOption(
      new Option('-m, --mode <mode>', 'how to stop (see above)')
        .choices(STOP_MODES)
        .default('graceful'),
    )
    .option('--all', 'stop cluster services on every node of the cluster')
    .option('-s, --socket <path>', SOCKET_HELP, DEFAULT_SOCKET)
    .action(async (opts: { mode: StopMode; all?: boolean; socket: string }) => {
      const all = opts.all === true;
      const req = {
        method: 'cluster.stop',
        params: { mode: opts.mode, all },
        what: `stop --mode ${opts.mode}${all ? ' --all' : ''}`,
      };
      setCode(await operatorCommand(req, opts, io));
    });

  program
    .command('resume')
    .summary('Resume event processing after an event in error (clruncmd).')
    .description(
      'Resume event processing on this node after an event in error (clruncmd), once its cause is fixed (haven events and haven logs events show it).',
    )
    .option('-s, --socket <path>', SOCKET_HELP, DEFAULT_SOCKET)
    .action(async (opts: { socket: string }) => {
      setCode(
        await operatorCommand({ method: 'cluster.resume', params: {}, what: 'resume' }, opts, io),
      );
    });

  program
    .command('logs')
    .summary('Print or follow (-f) this node\u2019s logs: cluster, events, history.')
    .description(
      'Print the last lines of this node\u2019s log: cluster (state changes, cluster.log), events (the event trace: every command and its output, events.log), history (one line per event start and end, the latest day); -f follows it until Ctrl-C.',
    )
    .addArgument(new Argument('[log]', 'which log').choices(LOG_KINDS).default('cluster'))
    .option('-f, --follow', 'print lines as they are written, across rotations, until Ctrl-C')
    .option('-n, --lines <n>', 'how many of the last lines to print', count, DEFAULT_LOG_LINES)
    .option('--log-dir <dir>', 'where the agent writes its logs', DEFAULT_LOG_DIR)
    .action(async (log: LogKind, opts: { follow?: boolean; lines: number; logDir: string }) => {
      setCode(
        opts.follow === true
          ? await untilInterrupted((signal) => logsCommand(log, { ...opts, signal }, io))
          : await logsCommand(log, opts, io),
      );
    });

  program
    .command('keygen')
    .description(
      'Generate a new cluster key (32 random bytes) into FILE, readable by root only. Copy the same file to every node.',
    )
    .argument('[file]', 'where to write the key (default /etc/haven/cluster.key)')
    .option('--force', 'replace an existing key file (every node then needs the new key)')
    .action(async (file: string | undefined, opts: { force?: boolean }) => {
      setCode(await keygenCommand(file, opts, io));
    });

  return program;
}

/** Runs the command line; resolves to the exit status. */
export async function run(argv: readonly string[], io: Output = processOutput): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => (code = c));
  if (argv.length <= 2) {
    program.outputHelp();
    return EXIT.usage;
  }
  try {
    await program.parseAsync([...argv]);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end with exitCode 0; a wrong command line with 1: ours is 64.
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    throw e;
  }
  return code;
}
