// The file system agent: mount and unmount a shared file system, with an optional check
// before mounting and, on release, the killing of whatever keeps it busy.
//
// What is mounted where comes from /proc/self/mountinfo (Haven's own mount namespace), never
// from `mount` output or /etc/mtab. "Our" mount is the device given (for a block device: the
// same major:minor, or the same device node after symlinks; otherwise the same source string
// and type, as for tmpfs or NFS) on the mountpoint (its parent's symlinks resolved).
//
// start
// - Already mounted there: success, nothing runs. Something else mounted there, or the device
//   mounted on another mountpoint (a shared disk mounted twice is corrupted by the second
//   writer): AgentError, nothing runs.
// - Creates the mountpoint (and parents) if missing; with `fsck`, runs `fsck -a [-t TYPE]
//   DEVICE`: status 0 (clean), 1 and 2 (errors corrected) and 3 go on; 4 and above (errors
//   left, operational error, usage, cancelled, library error) fail the start. Then
//   `mount [-t TYPE] [-o OPTIONS] DEVICE MOUNTPOINT`, and mountinfo must show it.
// - fsck and mount share the time limit (timeoutMs).
//
// stop
// - Not mounted: success, nothing runs. Another file system mounted over ours: AgentError
//   (umount would take the wrong one).
// - `umount MOUNTPOINT` within timeoutMs. If it is busy and forceUnmount is set, `fuser -k -M
//   -m MOUNTPOINT` kills (SIGKILL) every process using the file system, as the reference does
//   ("kill the users"), and umount is tried again (three rounds at most). Without
//   forceUnmount, a busy mount fails the stop with the processes that use it.
// - Never `umount -l`: a lazy unmount only hides the mount, the file system stays open
//   underneath, and the node taking the group over would mount a disk this node still
//   writes: that corrupts it. A mount that cannot be freed is a failed stop, for the
//   administrator (or the dead man switch) to resolve.
// - `-M` makes fuser refuse a path that is not a mountpoint: without it, a mountpoint that
//   vanished in a race would have fuser kill every user of the parent file system, /.
import { mkdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FilesystemResource } from '../../core/config/model.js';
import type { Argv, ProcessResult, ProcessRunner } from '../../core/ports/process.js';
import { shellQuote } from '../shell-quote.js';
import { mountTableName, unescapeMountField } from '../proc-stats.js';
import { ChildProcessRunner } from '../process.js';
import {
  AgentError,
  haltTimeout,
  type AgentContext,
  type AgentOp,
  type MonitorStatus,
  type ResourceAgent,
} from './agent.js';
import { DEFAULT_PATH, failureReason, runForAgent, succeeded } from './agent-exec.js';

export interface FilesystemAgentOptions {
  readonly resource: FilesystemResource;
  /** Environment for mount, fsck, umount, fuser (PATH...); LC_ALL=C is always added. */
  readonly env?: Readonly<Record<string, string>>;
  readonly runner?: ProcessRunner;
  /** Between SIGTERM and SIGKILL for a command that overruns. Default 10 s. */
  readonly killGraceMs?: number;
}

/** One line of /proc/PID/mountinfo (proc(5)), with the octal escapes (\040...) undone. */
export interface MountEntry {
  readonly mountId: number;
  readonly parentId: number;
  readonly major: number;
  readonly minor: number;
  readonly root: string;
  readonly mountpoint: string;
  readonly options: string;
  readonly fstype: string;
  readonly source: string;
  readonly superOptions: string;
}

const MAX_UMOUNT_ROUNDS = 3;
// After fuser -k: SIGKILLed processes release their files as they exit, which takes a moment.
const AFTER_FUSER_MS = 200;
const DEFAULT_KILL_GRACE_MS = 10_000;
// fsck(8): bits 1 and 2 mean errors were corrected; 4 and above, a failure.
const FSCK_FAILURES: readonly [number, string][] = [
  [128, 'shared library error'],
  [32, 'checking canceled by user request'],
  [16, 'usage or syntax error'],
  [8, 'operational error'],
  [4, 'file system errors left uncorrected'],
];

/** Parses mountinfo. Lines that do not have the documented shape are skipped. */
export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    // Optional fields (shared:N, master:N...) end with a lone "-".
    const dash = fields.indexOf('-', 6);
    const [id, parent, devno, root, mountpoint, options] = fields;
    const [fstype, source, superOptions] = fields.slice(dash + 1);
    if (dash < 0 || superOptions === undefined || devno === undefined) continue;
    const [major, minor] = devno.split(':').map(Number);
    if (major === undefined || minor === undefined || root === undefined) continue;
    if (mountpoint === undefined || options === undefined || fstype === undefined) continue;
    if (source === undefined) continue;
    entries.push({
      mountId: Number(id),
      parentId: Number(parent),
      major,
      minor,
      root: unescapeMountField(root),
      mountpoint: unescapeMountField(mountpoint),
      options,
      fstype: unescapeMountField(fstype),
      source: unescapeMountField(source),
      superOptions,
    });
  }
  return entries;
}

type DeviceId =
  | {
      readonly kind: 'block';
      readonly major: number;
      readonly minor: number;
      readonly path: string;
    }
  | { readonly kind: 'source' };

interface MountState {
  readonly mountpoint: string;
  /** What is mounted on the mountpoint, bottom to top. */
  readonly here: readonly MountEntry[];
  readonly oursHere: boolean;
  readonly top: MountEntry | undefined;
  readonly topIsOurs: boolean;
  /** Other mountpoints where the (block) device is mounted. */
  readonly elsewhere: readonly string[];
}

export class FilesystemAgent implements ResourceAgent {
  readonly kind = 'filesystem' as const;
  readonly resource: string;
  readonly #def: FilesystemResource;
  readonly #env: Readonly<Record<string, string>>;
  readonly #runner: ProcessRunner;
  readonly #killGraceMs: number;

  constructor(options: FilesystemAgentOptions) {
    this.#def = options.resource;
    this.resource = options.resource.name;
    // LC_ALL=C: stop recognises a busy mount by umount's English message.
    this.#env = { PATH: DEFAULT_PATH, ...options.env, LC_ALL: 'C' };
    this.#runner = options.runner ?? new ChildProcessRunner();
    this.#killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  }

  /**
   * One command: while the mountpoint is a mountpoint (at most three rounds), kill what uses
   * it (`fuser -k -M -m`, as stop with forceUnmount does) and unmount it, waiting a second
   * after an unmount that failed (the killed processes take a moment to let go). It kills
   * the users even without forceUnmount: the other node is about to mount the disk, and a
   * file system mounted on two nodes is corrupted. Each command is bounded by the resource's
   * time limit; never `umount -l` (see the header). A script cannot tell our mount from
   * another on the same mountpoint as #inspect does: it unmounts whatever is mounted there,
   * and does nothing when nothing is.
   */
  haltCommands(): readonly string[] {
    const mp = shellQuote(this.#def.mountpoint);
    const bound = haltTimeout(this.#def.timeoutMs, this.#killGraceMs);
    // Mounted? Read from the mount table, as the kernel escapes it: mountpoint(1) would stat()
    // the directory, which hangs on a hung file system, and a hung one most needs the kill.
    const listed = shellQuote(` ${mountTableName(this.#def.mountpoint)} `);
    const round = [
      `grep -qsF -- ${listed} /proc/self/mounts || break`,
      `${bound} fuser -k -M -m ${mp} >/dev/null 2>&1`,
      `${bound} umount ${mp} 2>/dev/null || sleep 1`,
    ].join('; ');
    return [`for haven_round in 1 2 3; do ${round}; done`];
  }

  async start(ctx?: AgentContext): Promise<void> {
    const { device, fstype, options } = this.#def;
    const s = await this.#inspect('start');
    if (s.topIsOurs) return;
    if (s.top !== undefined) {
      throw new AgentError(
        this.resource,
        'start',
        `${s.mountpoint} already has ${describe(s.top)} mounted on it: unmount it, or choose another mountpoint`,
      );
    }
    if (s.elsewhere.length > 0) {
      throw new AgentError(
        this.resource,
        'start',
        `${device} is already mounted on ${s.elsewhere.join(', ')}; mounting a shared disk twice corrupts it: unmount it there first`,
      );
    }
    const deadline = performance.now() + this.#def.timeoutMs;
    try {
      await mkdir(this.#def.mountpoint, { recursive: true, mode: 0o755 });
    } catch (error) {
      throw new AgentError(
        this.resource,
        'start',
        `cannot create the mountpoint ${this.#def.mountpoint}: ${messageOf(error)}`,
        { cause: error },
      );
    }
    if (this.#def.fsck) {
      const argv: Argv = ['fsck', '-a', ...(fstype === undefined ? [] : ['-t', fstype]), device];
      const r = await this.#run('start', argv, deadline, ctx);
      const code = r.exitCode;
      if (r.timedOut || r.aborted || code === null || code >= 4) {
        const meaning =
          code === null ? undefined : FSCK_FAILURES.find(([bit]) => (code & bit) !== 0)?.[1];
        throw new AgentError(
          this.resource,
          'start',
          `${failureReason(`fsck of ${device}`, r, this.#def.timeoutMs)}${meaning ? ` (${meaning})` : ''}; the file system was not mounted: check it by hand (fsck ${device}) and repair it`,
          { exitCode: code, timedOut: r.timedOut },
        );
      }
    }
    const mountArgv: Argv = [
      'mount',
      ...(fstype === undefined ? [] : ['-t', fstype]),
      ...(options === undefined ? [] : ['-o', options]),
      device,
      this.#def.mountpoint,
    ];
    const r = await this.#run('start', mountArgv, deadline, ctx);
    if (!succeeded(r)) {
      throw new AgentError(this.resource, 'start', failureReason('mount', r, this.#def.timeoutMs), {
        exitCode: r.exitCode,
        timedOut: r.timedOut,
      });
    }
    const after = await this.#inspect('start');
    if (!after.topIsOurs) {
      throw new AgentError(
        this.resource,
        'start',
        `mount succeeded but /proc/self/mountinfo does not show ${device} on ${after.mountpoint}` +
          (after.top ? ` (it shows ${describe(after.top)})` : '') +
          ': check that device names the device mount resolves it to',
      );
    }
  }

  async stop(ctx?: AgentContext): Promise<void> {
    const deadline = performance.now() + this.#def.timeoutMs;
    // Bounded: each round either returns, throws, or uses one of MAX_UMOUNT_ROUNDS fuser kills.
    for (let round = 0; ; round++) {
      const s = await this.#inspect('stop');
      if (!s.oursHere) return;
      if (!s.topIsOurs) {
        throw new AgentError(
          this.resource,
          'stop',
          `${s.top ? describe(s.top) : 'another file system'} is mounted over ${this.#def.device} on ${s.mountpoint}: unmount it first`,
        );
      }
      const r = await this.#run('stop', ['umount', s.mountpoint], deadline, ctx);
      if (succeeded(r)) continue; // check again: the same device may be mounted there twice
      if (!/busy/i.test(r.stderr) || r.timedOut) {
        throw new AgentError(
          this.resource,
          'stop',
          failureReason('umount', r, this.#def.timeoutMs),
          {
            exitCode: r.exitCode,
            timedOut: r.timedOut,
          },
        );
      }
      if (!this.#def.forceUnmount) {
        const users = await this.#users(s.mountpoint, deadline, ctx);
        throw new AgentError(
          this.resource,
          'stop',
          `${s.mountpoint} is busy${users ? `: in use by ${users}` : ''}. Stop those processes, or set forceUnmount: true to have Haven kill them`,
          { exitCode: r.exitCode },
        );
      }
      if (round >= MAX_UMOUNT_ROUNDS) {
        const users = await this.#users(s.mountpoint, deadline, ctx);
        throw new AgentError(
          this.resource,
          'stop',
          `${s.mountpoint} is still busy after killing its users ${MAX_UMOUNT_ROUNDS} times` +
            (users
              ? `; in use by ${users}`
              : ' (held by the kernel: a loop device, a bind mount, an NFS export, swap?)') +
            '. Free it by hand; Haven does not lazily unmount a shared file system',
          { exitCode: r.exitCode },
        );
      }
      // -M: only if it is a mountpoint; never the parent file system's users.
      await this.#run('stop', ['fuser', '-k', '-M', '-m', s.mountpoint], deadline, ctx);
      await sleep(AFTER_FUSER_MS);
    }
  }

  async monitor(): Promise<MonitorStatus> {
    const s = await this.#inspect('monitor');
    if (s.topIsOurs) return { state: 'running' };
    if (s.oursHere && s.top) {
      return {
        state: 'failed',
        reason: `${describe(s.top)} is mounted over ${this.#def.device} on ${s.mountpoint}`,
      };
    }
    if (s.top) {
      return {
        state: 'failed',
        reason: `${s.mountpoint} has ${describe(s.top)} mounted on it instead of ${this.#def.device}`,
      };
    }
    return { state: 'stopped' };
  }

  async validate(): Promise<readonly string[]> {
    const { device, mountpoint, fstype, fsck } = this.#def;
    const problems: string[] = [];
    if (!mountpoint.startsWith('/') || resolve(mountpoint) === '/') {
      problems.push(
        `${this.resource}: mountpoint ${mountpoint} must be an absolute path other than /`,
      );
    }
    const id = await deviceId(device);
    if (
      id.kind !== 'block' &&
      (device.startsWith('/') || /^(UUID|LABEL|PARTUUID|PARTLABEL)=/.test(device))
    ) {
      let what = 'does not exist on this node';
      try {
        if (device.startsWith('/')) {
          await stat(device);
          what = 'is not a block device';
        }
      } catch {
        // keep "does not exist"
      }
      // A file or a directory is legitimate for a bind mount or a loop mount, but then fsck
      // has nothing to check.
      if (what !== 'is not a block device' || fsck) {
        problems.push(
          `${this.resource}: device ${device} ${what}: check the device name (is the disk attached and visible on this node?)`,
        );
      }
    } else if (id.kind !== 'block' && fsck) {
      problems.push(
        `${this.resource}: fsck is set but ${device} is not a block device: unset fsck`,
      );
    }
    if (
      fsck &&
      fstype !== undefined &&
      (await findInPath(`fsck.${fstype}`, this.#env['PATH'] ?? DEFAULT_PATH)) === undefined
    ) {
      problems.push(
        `${this.resource}: fsck is set but there is no fsck.${fstype} on this node: install it or unset fsck`,
      );
    }
    return problems;
  }

  /** Runs one command with what is left of the operation's time limit. */
  async #run(
    op: AgentOp,
    argv: Argv,
    deadline: number,
    ctx: AgentContext | undefined,
  ): Promise<ProcessResult> {
    const left = deadline - performance.now();
    if (left <= 0) {
      throw new AgentError(
        this.resource,
        op,
        `the time limit of ${this.#def.timeoutMs} ms ran out before ${argv[0]} could run`,
        { timedOut: true },
      );
    }
    return runForAgent(this.#runner, {
      resource: this.resource,
      op,
      command: argv,
      env: this.#env,
      timeoutMs: Math.ceil(left),
      killGraceMs: this.#killGraceMs,
      ctx,
    });
  }

  /** "pid 123 (sleep), pid 456 (sh)": the processes using the file system, for a message. */
  async #users(
    mountpoint: string,
    deadline: number,
    ctx: AgentContext | undefined,
  ): Promise<string> {
    let r: ProcessResult;
    try {
      r = await this.#run('stop', ['fuser', '-M', '-m', mountpoint], deadline, ctx);
    } catch {
      return '';
    }
    // fuser prints the pids on stdout (with access letters: "1234c"), everything else on stderr.
    const pids = [...r.stdout.matchAll(/(\d+)/g)].map((m) => Number(m[1]));
    const named = await Promise.all(
      pids.map(async (pid) => {
        try {
          return `pid ${pid} (${(await readFile(`/proc/${pid}/comm`, 'utf8')).trim()})`;
        } catch {
          return `pid ${pid}`;
        }
      }),
    );
    return named.join(', ');
  }

  async #inspect(op: AgentOp): Promise<MountState> {
    let text: string;
    try {
      text = await readFile('/proc/self/mountinfo', 'utf8');
    } catch (error) {
      throw new AgentError(
        this.resource,
        op,
        `cannot read /proc/self/mountinfo: ${messageOf(error)}`,
        { cause: error },
      );
    }
    const entries = parseMountinfo(text);
    const mountpoint = await canonicalMountpoint(this.#def.mountpoint);
    const id = await deviceId(this.#def.device);
    const ours = async (e: MountEntry): Promise<boolean> => {
      if (id.kind === 'source') {
        return (
          e.source === this.#def.device &&
          (this.#def.fstype === undefined || e.fstype === this.#def.fstype)
        );
      }
      if (e.major === id.major && e.minor === id.minor) return true;
      // btrfs and others show an anonymous device number: compare the device nodes instead.
      return e.source.startsWith('/') && (await realpathOr(e.source)) === id.path;
    };
    const here = entries.filter((e) => e.mountpoint === mountpoint);
    const flags = await Promise.all(here.map(ours));
    const top = here.at(-1);
    const elsewhere: string[] = [];
    if (id.kind === 'block') {
      for (const e of entries) {
        // Bind mounts of a subdirectory (root other than /) share the device legitimately.
        if (e.mountpoint !== mountpoint && e.root === '/' && (await ours(e)))
          elsewhere.push(e.mountpoint);
      }
    }
    return {
      mountpoint,
      here,
      oursHere: flags.some(Boolean),
      top,
      topIsOurs: flags.at(-1) === true,
      elsewhere,
    };
  }
}

function describe(e: MountEntry): string {
  return `${e.source} (${e.fstype})`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The mountpoint as mountinfo writes it. Only the parent's symlinks are resolved: resolving
 * the mountpoint itself would stat the mounted file system, which hangs if it is a dead NFS.
 */
async function canonicalMountpoint(path: string): Promise<string> {
  const abs = resolve(path);
  if (abs === '/') return abs;
  try {
    return resolve(await realpath(dirname(abs)), basename(abs));
  } catch {
    return abs;
  }
}

async function realpathOr(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

/** A block device's number and node, or 'source' for anything else (tmpfs, NFS, missing). */
async function deviceId(device: string): Promise<DeviceId> {
  const tag = /^(UUID|LABEL|PARTUUID|PARTLABEL)=(.+)$/.exec(device);
  const path = tag ? `/dev/disk/by-${tag[1]?.toLowerCase() ?? ''}/${tag[2] ?? ''}` : device;
  if (!path.startsWith('/')) return { kind: 'source' };
  try {
    const st = await stat(path, { bigint: true });
    if (!st.isBlockDevice()) return { kind: 'source' };
    // Linux dev_t (glibc's gnu_dev_major/minor): major in bits 8-19 and 44-63, minor in bits
    // 0-7 and 20-43.
    const dev = st.rdev;
    const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
    const minor = Number((dev & 0xffn) | ((dev >> 12n) & 0xffffff00n));
    return { kind: 'block', major, minor, path: await realpath(path) };
  } catch {
    return { kind: 'source' };
  }
}

async function findInPath(program: string, path: string): Promise<string | undefined> {
  for (const dir of path.split(':')) {
    if (!dir) continue;
    try {
      const full = `${dir}/${program}`;
      if ((await stat(full)).isFile()) return full;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}
