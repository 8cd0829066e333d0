// Network namespaces for tests: a throw-away network a test builds, uses and removes, so that
// real `ip` and `arping` commands run against real interfaces without touching the host's.
//
//   const reason = await netnsUnavailable();          // skip the suite when this is a string
//   const lab = NetnsLab.create();                    // names start with lab.prefix (ha-<hex>)
//   const a = await lab.namespace('a');               // "ha-1f2e3d4c-a"
//   const sw = await lab.namespace('sw');
//   await lab.bridge(sw, 'br0');
//   await lab.plug(a, 'eth0', sw, 'br0');             // veth: eth0 in a, its peer in br0
//   await lab.ip(a, ['addr', 'add', '10.1.1.1/24', 'dev', 'eth0']);
//   await lab.exec(a, ['arping', ...]);               // any program, inside the namespace
//   await lab.destroy();                              // in an after() hook: runs on failure too
//
// Everything a lab creates lives inside its namespaces (veth ends are created in place, never
// in the host namespace), so deleting the namespaces removes all of it. A namespace that a
// crashed test leaves behind is deleted when the process exits.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Argv } from '../core/ports/process.js';
import { ChildProcessRunner } from '../runtime/process.js';

const runner = new ChildProcessRunner();
const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };
// Each command is small; a stuck one (a wedged netlink socket) should fail the test, not hang it.
const TIMEOUT_MS = 15_000;

/** Namespaces created by any lab of this process and not yet deleted. */
const live = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort for a test process that ends without running its after() hooks (an uncaught
  // error, process.exit): 'exit' handlers must be synchronous, hence spawnSync.
  process.on('exit', () => {
    for (const ns of live) spawnSync('ip', ['netns', 'delete', ns], { stdio: 'ignore', env: ENV });
  });
}

/** Runs a command; resolves with its stdout, rejects with the command and its stderr. */
export async function run(argv: Argv): Promise<string> {
  const r = await runner.run({
    command: argv,
    env: ENV,
    cwd: '/',
    timeoutMs: TIMEOUT_MS,
    killGraceMs: 1000,
    maxOutputBytes: 1 << 20,
  });
  if (r.exitCode !== 0) {
    const why = r.timedOut ? `timed out after ${TIMEOUT_MS} ms` : `exit ${r.exitCode ?? r.signal}`;
    throw new Error(`${argv.join(' ')}: ${why}: ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/**
 * Why namespace tests cannot run here (not root, no `ip netns`), or undefined when they can.
 * Tests pass the reason to `describe(..., { skip })` so the report says why they were skipped.
 */
export async function netnsUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'network namespace tests need root (run as uid 0)';
  const probe = `ha-probe-${randomBytes(4).toString('hex')}`;
  try {
    await run(['ip', 'netns', 'add', probe]);
  } catch (e) {
    return `cannot create a network namespace with \`ip netns add\`: ${String(e)}`;
  }
  await run(['ip', 'netns', 'delete', probe]);
  return undefined;
}

/** The names `ip netns list` shows that start with `prefix`. */
export async function namespacesWithPrefix(prefix: string): Promise<string[]> {
  const out = await run(['ip', 'netns', 'list']);
  return out
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(prefix));
}

export class NetnsLab {
  /** Every namespace of this lab is named `${prefix}-<suffix>`. */
  readonly prefix: string;
  readonly #namespaces: string[] = [];
  #peers = 0;

  private constructor(prefix: string) {
    this.prefix = prefix;
  }

  /** A lab with a fresh random prefix (ha-<8 hex digits>); it creates nothing yet. */
  static create(): NetnsLab {
    installExitHook();
    return new NetnsLab(`ha-${randomBytes(4).toString('hex')}`);
  }

  /** Creates the namespace `${prefix}-${suffix}` with its loopback up; returns its name. */
  async namespace(suffix: string): Promise<string> {
    const name = `${this.prefix}-${suffix}`;
    await run(['ip', 'netns', 'add', name]);
    live.add(name);
    this.#namespaces.push(name);
    await this.ip(name, ['link', 'set', 'lo', 'up']);
    return name;
  }

  /** A veth pair from `aName` in namespace `a` to `bName` in namespace `b`, both ends up. */
  async veth(a: string, aName: string, b: string, bName: string): Promise<void> {
    await this.ip(a, ['link', 'add', aName, 'type', 'veth', 'peer', 'name', bName, 'netns', b]);
    await this.ip(a, ['link', 'set', aName, 'up']);
    await this.ip(b, ['link', 'set', bName, 'up']);
  }

  /** A bridge (a switch) named `name` in namespace `ns`, up. */
  async bridge(ns: string, name: string): Promise<void> {
    await this.ip(ns, ['link', 'add', name, 'type', 'bridge']);
    await this.ip(ns, ['link', 'set', name, 'up']);
  }

  /** Connects a new interface `ifname` of namespace `ns` to bridge `bridge` of namespace `sw`. */
  async plug(ns: string, ifname: string, sw: string, bridge: string): Promise<void> {
    // Peers are numbered: interface names are at most 15 characters and need only be unique
    // inside the switch namespace.
    const peer = `p${this.#peers++}`;
    await this.veth(ns, ifname, sw, peer);
    await this.ip(sw, ['link', 'set', peer, 'master', bridge]);
  }

  /** `ip -n <ns> <args...>`; resolves with stdout. */
  ip(ns: string, args: readonly string[]): Promise<string> {
    return run(['ip', '-n', ns, ...args]);
  }

  /** Runs a program inside namespace `ns` (`ip netns exec`); resolves with stdout. */
  exec(ns: string, argv: Argv): Promise<string> {
    return run(['ip', 'netns', 'exec', ns, ...argv]);
  }

  /** Deletes every namespace of the lab (and with them their interfaces). Safe to repeat. */
  async destroy(): Promise<void> {
    const errors: unknown[] = [];
    for (const ns of this.#namespaces.splice(0)) {
      try {
        await run(['ip', 'netns', 'delete', ns]);
        live.delete(ns);
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length) throw new AggregateError(errors, `${this.prefix}: some namespaces remain`);
  }
}
