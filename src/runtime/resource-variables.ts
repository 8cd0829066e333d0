// Measures the resource variables that user-defined events watch, on this node, the way the
// catalogue (core/expr/variables.ts, each variable's `linux`) says: the figure an operator sees
// in df, free or iostat is the figure the predicate sees.
//
// The reader keeps the previous sample of the variables measured over an interval
// (cpu.idle_percent, disk.busy_percent) and of process.count's count, per variable and
// instance. So each (variable, instance) must be read once per sampling round and the reading
// shared by every event that watches it: two reads in a row would measure an interval of a few
// microseconds, and the second would see process.count's previous count equal to the current.

import { readdir, readFile, statfs as nodeStatfs } from 'node:fs/promises';
import { posix } from 'node:path';
import { checkInstance, lookupVariable } from '../core/expr/index.js';
import type { Instance, Value } from '../core/expr/index.js';
import {
  isVirtualBlockDevice,
  parseCpuTimes,
  parseDiskstats,
  parseLoadAverage1,
  parseMeminfo,
  parseMounts,
  parsePasswd,
  parseProcessState,
  parseRealUid,
  type CpuTimes,
} from './proc-stats.js';

export interface VariableReading {
  /** Canonical text of the concrete instance, e.g. "mount=/tmp", "device=eth0", "name=upr6;user=root", "" for none; fields sorted by name. */
  readonly key: string;
  /** Concrete: a wildcard is expanded to one reading per instance. */
  readonly instance: Instance;
  readonly value: Value;
}

export interface ReadResult {
  readonly readings: readonly VariableReading[];
  readonly problems: readonly string[];
}

/** The statfs(2) figures used, in blocks of bsize bytes and in inodes. */
export interface FileSystemStats {
  readonly bsize: number;
  readonly blocks: number;
  readonly bfree: number;
  readonly bavail: number;
  readonly files: number;
  readonly ffree: number;
}

export interface ResourceVariableReaderOptions {
  /** Where procfs is mounted (tests give a fake tree). @default /proc */
  readonly proc?: string;
  /** Where sysfs is mounted. @default /sys */
  readonly sys?: string;
  /** The user database for process.count's user names. @default /etc/passwd */
  readonly passwd?: string;
  /** @default fs.promises.statfs */
  readonly statfs?: (path: string) => Promise<FileSystemStats>;
  /**
   * How long to wait for statfs(2) on one mount point. A hung network file system never
   * answers; its mount point is then a problem instead of a read that never ends.
   * @default 5000
   */
  readonly statfsTimeoutMs?: number;
  /** A monotonic clock in milliseconds, for disk.busy_percent's interval. @default performance.now */
  readonly nowMs?: () => number;
}

/** The canonical text of an instance: `field=value` sorted by field, joined with `;`. */
export function instanceKey(instance: Instance): string {
  return Object.keys(instance)
    .sort()
    .map((field) => `${field}=${instance[field] ?? ''}`)
    .join(';');
}

interface DiskSample {
  readonly ticks: number;
  readonly atMs: number;
}

/** What one measurement gives: readings and problems, added to as it goes. */
class Result {
  readonly readings: VariableReading[] = [];
  readonly problems: string[] = [];

  constructor(readonly variable: string) {}

  add(instance: Instance, value: Value): void {
    this.readings.push({ key: instanceKey(instance), instance, value });
  }

  /** `text` says what is wrong and what to do; this names the variable and instance. */
  problem(instance: Instance, text: string): void {
    const key = instanceKey(instance);
    this.problems.push(`${this.variable}${key === '' ? '' : ` for ${key}`}: ${text}`);
  }

  done(): ReadResult {
    this.readings.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { readings: this.readings, problems: this.problems };
  }
}

export class ResourceVariableReader {
  readonly #proc: string;
  readonly #sys: string;
  readonly #passwd: string;
  readonly #statfs: (path: string) => Promise<FileSystemStats>;
  readonly #statfsTimeoutMs: number;
  readonly #nowMs: () => number;
  /** statfs calls not yet answered, by mount point: a hung mount gets one call, not one per read. */
  readonly #statfsPending = new Map<string, Promise<FileSystemStats>>();
  #cpuBefore: CpuTimes | undefined;
  readonly #diskBefore = new Map<string, DiskSample>();
  readonly #countBefore = new Map<string, number>();

  constructor(options: ResourceVariableReaderOptions = {}) {
    this.#proc = options.proc ?? '/proc';
    this.#sys = options.sys ?? '/sys';
    this.#passwd = options.passwd ?? '/etc/passwd';
    this.#statfs = options.statfs ?? ((path) => nodeStatfs(path));
    this.#statfsTimeoutMs = options.statfsTimeoutMs ?? 5000;
    this.#nowMs = options.nowMs ?? (() => performance.now());
  }

  /**
   * Measures `variable` for `instance` (which never contains `node`: the caller picks the
   * events for this node). Never throws: what cannot be read goes in problems, a sentence
   * naming the variable, instance and file.
   */
  async read(variable: string, instance: Instance): Promise<ReadResult> {
    const result = new Result(variable);
    try {
      await this.#read(result, variable, instance);
    } catch (e) {
      // Every expected failure is a problem already; this is the net under the unexpected.
      result.problem(instance, `could not be measured: ${describeError(e)}`);
    }
    return result.done();
  }

  async #read(r: Result, name: string, given: Instance): Promise<void> {
    const lookup = lookupVariable(name);
    if (!lookup.ok) {
      r.problem(given, lookup.message);
      return;
    }
    // `node` is the caller's business (it chose this node); it is no part of what is measured.
    const instance = Object.fromEntries(Object.entries(given).filter(([f]) => f !== 'node'));
    const wrong = checkInstance(lookup.variable, instance);
    if (wrong.length > 0) {
      for (const p of wrong) r.problem(instance, p.message);
      return;
    }
    const field = (f: string): string => instance[f] ?? '';
    switch (name) {
      case 'fs.used_percent':
      case 'fs.inodes_used_percent':
        return this.#fileSystem(r, name === 'fs.used_percent', field('mount'));
      case 'memory.free_percent':
        return this.#memory(r);
      case 'swap.free_percent':
        return this.#swap(r);
      case 'cpu.idle_percent':
        return this.#cpu(r);
      case 'load.average1':
        return this.#load(r);
      case 'process.count':
        return this.#processes(r, instance);
      case 'net.interface_up':
        return this.#interfaces(r, field('device'));
      case 'disk.busy_percent':
        return this.#disks(r, field('device'));
      default:
        r.problem(instance, 'this version of Haven cannot measure it on Linux');
    }
  }

  async #fileSystem(r: Result, space: boolean, mount: string): Promise<void> {
    const file = `${this.#proc}/self/mounts`;
    let mounted: ReadonlySet<string>;
    let writable: ReadonlySet<string>;
    try {
      const table = parseMounts(await readFile(file, 'utf8'));
      mounted = new Set(table.map((m) => m.mountPoint));
      // A read-only mount point (a squashfs image, an ISO) reads 100 % used for ever: mount=*
      // leaves it out, as it would otherwise fire at every start. Named, it is measured.
      writable = new Set(table.filter((m) => !m.readOnly).map((m) => m.mountPoint));
    } catch (e) {
      r.problem({ mount }, `${file} could not be read (${describeError(e)})`);
      return;
    }
    if (mount === '*') {
      await Promise.all(
        [...writable].map(async (mountPoint) => {
          const stats = await this.#statfsOf(r, mountPoint);
          // Pseudo file systems (proc, sysfs, cgroup, ...) have no blocks; df leaves them out.
          if (stats === undefined || stats.blocks === 0) return;
          this.#addFileSystem(r, space, mountPoint, stats);
        }),
      );
      return;
    }
    if (!mount.startsWith('/')) {
      r.problem({ mount }, `'${mount}' is not an absolute path; give the mount point, e.g. /tmp`);
      return;
    }
    // /tmp/ and /tmp//. are /tmp: the mount table has them in the normal form.
    const normal = posix.normalize(mount).replace(/(.)\/$/, '$1');
    if (!mounted.has(normal)) {
      // statfs would measure the file system that holds the directory: a different one.
      r.problem(
        { mount },
        `${mount} is not a mount point (it is not in ${file}); mount the file system there or correct the event's mount`,
      );
      return;
    }
    const stats = await this.#statfsOf(r, normal);
    if (stats !== undefined) this.#addFileSystem(r, space, mount, stats);
  }

  #addFileSystem(r: Result, space: boolean, mount: string, s: FileSystemStats): void {
    if (!space) {
      // No inode limit (files = 0, e.g. btrfs): no inode can run out.
      r.add({ mount }, s.files > 0 ? ((s.files - s.ffree) / s.files) * 100 : 0);
      return;
    }
    // As df: the blocks reserved for root count neither as used nor as available.
    const used = s.blocks - s.bfree;
    const total = used + s.bavail;
    if (total > 0) r.add({ mount }, (used / total) * 100);
    else
      r.problem(
        { mount },
        `statfs(2) on ${mount} reports no blocks (a pseudo file system, or a tmpfs without a size limit), so it has no used percentage`,
      );
  }

  /** statfs(2), with the time limit; undefined (and a problem) if it fails. */
  async #statfsOf(r: Result, mount: string): Promise<FileSystemStats | undefined> {
    let pending = this.#statfsPending.get(mount);
    if (pending === undefined) {
      pending = this.#statfs(mount).finally(() => this.#statfsPending.delete(mount));
      this.#statfsPending.set(mount, pending);
    }
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        resolve('timeout');
      }, this.#statfsTimeoutMs);
    });
    try {
      const stats = await Promise.race([pending, limit]);
      if (stats !== 'timeout') return stats;
      r.problem(
        { mount },
        `statfs(2) on ${mount} did not answer within ${this.#statfsTimeoutMs} ms (a hung network file system?); check the mount with df ${mount}`,
      );
    } catch (e) {
      r.problem({ mount }, `statfs(2) on ${mount} failed (${describeError(e)})`);
    } finally {
      clearTimeout(timer);
    }
    return undefined;
  }

  async #meminfo(r: Result): Promise<ReadonlyMap<string, number> | undefined> {
    const file = `${this.#proc}/meminfo`;
    try {
      return parseMeminfo(await readFile(file, 'utf8'));
    } catch (e) {
      r.problem({}, `${file} could not be read (${describeError(e)})`);
      return undefined;
    }
  }

  async #memory(r: Result): Promise<void> {
    const mem = await this.#meminfo(r);
    if (mem === undefined) return;
    const total = mem.get('MemTotal');
    const available = mem.get('MemAvailable');
    if (total === undefined || available === undefined || total === 0) {
      r.problem(
        {},
        `${this.#proc}/meminfo has no MemTotal and MemAvailable (MemAvailable needs Linux 3.14 or later)`,
      );
      return;
    }
    r.add({}, (available / total) * 100);
  }

  async #swap(r: Result): Promise<void> {
    const mem = await this.#meminfo(r);
    if (mem === undefined) return;
    const total = mem.get('SwapTotal');
    const free = mem.get('SwapFree');
    if (total === undefined || free === undefined) {
      r.problem({}, `${this.#proc}/meminfo has no SwapTotal and SwapFree`);
      return;
    }
    // No swap cannot run out: 100, so that `X<10` never fires on a node without swap.
    r.add({}, total === 0 ? 100 : (free / total) * 100);
  }

  async #cpu(r: Result): Promise<void> {
    const file = `${this.#proc}/stat`;
    let now: CpuTimes | undefined;
    try {
      now = parseCpuTimes(await readFile(file, 'utf8'));
    } catch (e) {
      r.problem({}, `${file} could not be read (${describeError(e)})`);
      return;
    }
    if (now === undefined) {
      r.problem({}, `${file} has no cpu line`);
      return;
    }
    const before = this.#cpuBefore;
    const total = before === undefined ? 0 : now.total - before.total;
    const idle = before === undefined ? 0 : now.idle - before.idle;
    // Within one clock tick nothing has been counted yet: keep the old sample, so that the next
    // read measures a real interval.
    if (before !== undefined && total === 0 && idle === 0) return;
    this.#cpuBefore = now;
    // The first read, or counters that went back (they cannot on one kernel): no interval yet.
    if (before === undefined || total <= 0 || idle < 0) return;
    r.add({}, Math.min(100, (idle / total) * 100));
  }

  async #load(r: Result): Promise<void> {
    const file = `${this.#proc}/loadavg`;
    try {
      const load = parseLoadAverage1(await readFile(file, 'utf8'));
      if (load === undefined) r.problem({}, `${file} does not start with a number`);
      else r.add({}, load);
    } catch (e) {
      r.problem({}, `${file} could not be read (${describeError(e)})`);
    }
  }

  async #disks(r: Result, device: string): Promise<void> {
    const file = `${this.#proc}/diskstats`;
    let ticks: ReadonlyMap<string, number>;
    try {
      ticks = parseDiskstats(await readFile(file, 'utf8'));
    } catch (e) {
      r.problem({ device }, `${file} could not be read (${describeError(e)})`);
      return;
    }
    const atMs = this.#nowMs();
    let devices: string[];
    if (device === '*') {
      const disks = await this.#wholeDisks();
      devices = [...ticks.keys()].filter(
        (d) => !isVirtualBlockDevice(d) && (disks === undefined || disks.has(d)),
      );
    } else if (ticks.has(device)) {
      devices = [device];
    } else {
      r.problem(
        { device },
        `there is no block device ${device} in ${file}; lsblk lists the devices`,
      );
      return;
    }
    for (const d of devices) {
      const now = ticks.get(d) ?? 0;
      const key = instanceKey({ device: d });
      const before = this.#diskBefore.get(key);
      const elapsed = before === undefined ? 0 : atMs - before.atMs;
      if (before !== undefined && elapsed <= 0) continue; // no time has passed: keep the sample
      this.#diskBefore.set(key, { ticks: now, atMs });
      // The first read, or a device removed and added again (its counters start over).
      if (before === undefined || now < before.ticks) continue;
      r.add({ device: d }, Math.min(100, ((now - before.ticks) / elapsed) * 100));
    }
  }

  /**
   * The whole disks (/sys/block), so that `device=*` is every disk and not also each of its
   * partitions, whose busy time is part of the disk's. Undefined if sysfs cannot say.
   */
  async #wholeDisks(): Promise<ReadonlySet<string> | undefined> {
    try {
      return new Set(await readdir(`${this.#sys}/block`));
    } catch {
      return undefined;
    }
  }

  async #processes(r: Result, instance: Instance): Promise<void> {
    const name = instance['name'] ?? '';
    const user = instance['user'];
    let uid: number | undefined;
    if (user !== undefined) {
      uid = /^\d+$/.test(user) ? Number(user) : await this.#uidOf(r, instance, user);
      if (uid === undefined) return;
    }
    let entries: string[];
    try {
      entries = await readdir(this.#proc);
    } catch (e) {
      r.problem(instance, `${this.#proc} could not be listed (${describeError(e)})`);
      return;
    }
    const pids = entries.filter((e) => /^\d+$/.test(e)).map(Number);
    const found: number[] = [];
    const unreadable = new Map<string, number>();
    // A few dozen at a time: all of /proc at once would queue thousands of reads.
    const batch = 32;
    for (let i = 0; i < pids.length; i += batch) {
      await Promise.all(
        pids.slice(i, i + batch).map(async (pid) => {
          try {
            if (await this.#runs(pid, name, uid)) found.push(pid);
          } catch (e) {
            const code = errorCode(e);
            // Gone between the listing and the read: it is not running, which is the answer.
            if (code === 'ENOENT' || code === 'ESRCH') return;
            const what = code ?? describeError(e);
            unreadable.set(what, (unreadable.get(what) ?? 0) + 1);
          }
        }),
      );
    }
    for (const [what, n] of unreadable) {
      r.problem(
        instance,
        `${n} processes could not be read in ${this.#proc} (${what}), so the count may be short; Haven's agent must run as root with /proc mounted without hidepid`,
      );
    }
    found.sort((a, b) => a - b);
    const key = instanceKey(instance);
    const previous = this.#countBefore.get(key) ?? found.length;
    this.#countBefore.set(key, found.length);
    r.add(instance, [found.length, previous, found]);
  }

  /** Whether process `pid` runs program `name` (as user `uid`); throws if it cannot be read. */
  async #runs(pid: number, name: string, uid: number | undefined): Promise<boolean> {
    const dir = `${this.#proc}/${pid}`;
    const comm = (await readFile(`${dir}/comm`, 'utf8')).replace(/\n$/, '');
    if (comm !== name) {
      const cmdline = await readFile(`${dir}/cmdline`, 'utf8');
      const argv0 = cmdline.split('\0', 1)[0] ?? '';
      if (argv0.slice(argv0.lastIndexOf('/') + 1) !== name) return false;
    }
    const status = await readFile(`${dir}/status`, 'utf8');
    // A zombie has finished running the program; only its parent has yet to notice.
    const state = parseProcessState(status);
    if (state === 'Z' || state === 'X') return false;
    return uid === undefined || parseRealUid(status) === uid;
  }

  async #uidOf(r: Result, instance: Instance, user: string): Promise<number | undefined> {
    let users: ReadonlyMap<string, number>;
    try {
      users = parsePasswd(await readFile(this.#passwd, 'utf8'));
    } catch (e) {
      r.problem(instance, `${this.#passwd} could not be read (${describeError(e)})`);
      return undefined;
    }
    const uid = users.get(user);
    if (uid === undefined) {
      r.problem(
        instance,
        `there is no user '${user}' in ${this.#passwd}; give the user's numeric uid if it comes from a directory service (LDAP, NIS)`,
      );
    }
    return uid;
  }

  async #interfaces(r: Result, device: string): Promise<void> {
    const dir = `${this.#sys}/class/net`;
    if (device === '*') {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (e) {
        r.problem({ device }, `${dir} could not be listed (${describeError(e)})`);
        return;
      }
      await Promise.all(
        names.map(async (d) => {
          try {
            r.add({ device: d }, await this.#isUp(`${dir}/${d}`));
          } catch (e) {
            const code = errorCode(e);
            // Gone since the listing, or not an interface (bonding_masters is a file there).
            if (code === 'ENOENT' || code === 'ENOTDIR') return;
            r.problem(
              { device: d },
              `${dir}/${d}/operstate could not be read (${describeError(e)})`,
            );
          }
        }),
      );
      return;
    }
    if (device.includes('/') || device === '.' || device === '..') {
      r.problem({ device }, `'${device}' is not a network interface name; ip link lists them`);
      return;
    }
    try {
      r.add({ device }, await this.#isUp(`${dir}/${device}`));
    } catch (e) {
      const code = errorCode(e);
      r.problem(
        { device },
        code === 'ENOENT' || code === 'ENOTDIR'
          ? `there is no network interface ${device} (no ${dir}/${device}/operstate); ip link lists the interfaces`
          : `${dir}/${device}/operstate could not be read (${describeError(e)})`,
      );
    }
  }

  /** 1 if up, 0 if not; throws if the interface's operstate cannot be read. */
  async #isUp(path: string): Promise<number> {
    const state = (await readFile(`${path}/operstate`, 'utf8')).trim();
    if (state === 'up') return 1;
    if (state !== 'unknown') return 0;
    // Some virtual devices (tun, some loopbacks) never leave 'unknown': then the carrier says.
    try {
      return (await readFile(`${path}/carrier`, 'utf8')).trim() === '1' ? 1 : 0;
    } catch {
      // Reading carrier fails (EINVAL) while the interface is administratively down.
      return 0;
    }
  }
}

function errorCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null || !('code' in e)) return undefined;
  return typeof e.code === 'string' ? e.code : undefined;
}

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
