// The `haven` command: subcommands, each with --help.

import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { clusterJsonSchema } from '../core/config/schema.js';
import { EXIT } from './exit-codes.js';
import { processOutput, type Output } from './output.js';
import { verifyCommand } from './verify.js';
import { keygenCommand } from './keygen.js';
import { DEFAULT_SOCKET } from './control-client.js';
import { topologyStatusCommand } from './topology.js';
import { runAgent } from '../agent/agent.js';
import { Logger } from '../agent/log.js';

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
    .exitOverride();

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
        setCode(await runAgent(opts, new Logger()));
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
