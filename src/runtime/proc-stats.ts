// Parsers of the kernel's text files under /proc and of /etc/passwd: the one place each format
// is read, shared by the resource variables of user-defined events (resource-variables.ts) and
// the dynamic node priority facts (agent/cluster/facts.ts). Pure functions of the file's text,
// so that tests can give them any content.

import { posix } from 'node:path';

/** /proc/meminfo: every `Name: value` line's value (in kB for the sizes), by name. */
export function parseMeminfo(text: string): ReadonlyMap<string, number> {
  const fields = new Map<string, number>();
  for (const m of text.matchAll(/^([^:\n]+):\s+(\d+)/gm)) {
    if (m[1] !== undefined) fields.set(m[1], Number(m[2]));
  }
  return fields;
}

/** CPU time of all CPUs since boot, in jiffies (the first line of /proc/stat). */
export interface CpuTimes {
  readonly idle: number;
  readonly iowait: number;
  /** user + nice + system + idle + iowait + irq + softirq + steal. */
  readonly total: number;
}

/** The `cpu` line of /proc/stat; undefined if there is none. */
export function parseCpuTimes(text: string): CpuTimes | undefined {
  const line = /^cpu\s+(.*)$/m.exec(text)?.[1];
  if (line === undefined) return undefined;
  // user nice system idle iowait irq softirq steal guest guest_nice: guest time is already
  // counted in user and nice, so only the first eight make up the total.
  const fields = line.trim().split(/\s+/).slice(0, 8).map(Number);
  const count = (x: number | undefined): number => (x !== undefined && Number.isFinite(x) ? x : 0);
  return {
    idle: count(fields[3]),
    iowait: count(fields[4]),
    total: fields.reduce((a, b) => a + count(b), 0),
  };
}

/**
 * /proc/diskstats: milliseconds each block device (partitions included) has spent doing I/O
 * since boot (io_ticks, the 10th statistic), by device name.
 */
export function parseDiskstats(text: string): ReadonlyMap<string, number> {
  const ticks = new Map<string, number>();
  for (const line of text.split('\n')) {
    // major minor name, then the statistics: io_ticks is the 13th column.
    const f = line.trim().split(/\s+/);
    const dev = f[2];
    const t = Number(f[12]);
    if (dev !== undefined && f[12] !== undefined && Number.isFinite(t)) ticks.set(dev, t);
  }
  return ticks;
}

/**
 * Loop, RAM, compressed-RAM and device-mapper devices: left out of "every disk" because their
 * I/O is some real disk's I/O counted again, or no disk's at all.
 */
export function isVirtualBlockDevice(name: string): boolean {
  return /^(loop|ram|zram|dm-)/.test(name);
}

/** /proc/loadavg: the one-minute load average; undefined if the text has none. */
export function parseLoadAverage1(text: string): number | undefined {
  const first = text.trim().split(/\s+/)[0];
  if (first === undefined || first === '') return undefined;
  const n = Number(first);
  return Number.isFinite(n) ? n : undefined;
}

export interface MountEntry {
  readonly source: string;
  readonly mountPoint: string;
  readonly fsType: string;
  /** Mounted read-only (`ro` among the options): it cannot fill up. */
  readonly readOnly: boolean;
}

/** /proc/self/mounts (or /proc/mounts, /etc/mtab): one entry per line, in mount order. */
export function parseMounts(text: string): readonly MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [source, mountPoint, fsType, options] = line.trim().split(/\s+/);
    if (source === undefined || mountPoint === undefined || fsType === undefined) continue;
    out.push({
      source: unescapeMountField(source),
      mountPoint: unescapeMountField(mountPoint),
      fsType: unescapeMountField(fsType),
      readOnly: (options ?? '').split(',').includes('ro'),
    });
  }
  return out;
}

/**
 * The kernel writes space, tab, newline and backslash in mount fields as octal escapes
 * (`/mnt/my\040disk`), so that a field never contains the separators.
 */
export function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  );
}

/** A mount point as the mount table writes it: normalised, with space, tab, newline and \\ in octal. */
export function mountTableName(mountpoint: string): string {
  const normal = posix.normalize(mountpoint).replace(/(.)\/$/, '$1');
  return normal.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** /proc/<pid>/status: the real uid (the first of the four on the Uid: line). */
export function parseRealUid(text: string): number | undefined {
  const uid = /^Uid:\s+(\d+)/m.exec(text)?.[1];
  return uid === undefined ? undefined : Number(uid);
}

/** /proc/<pid>/status: the one-letter state (R, S, D, Z, ...). */
export function parseProcessState(text: string): string | undefined {
  return /^State:\s+(\S)/m.exec(text)?.[1];
}

/** /etc/passwd: uid by user name. The first entry of a name wins, as getpwnam(3)'s does. */
export function parsePasswd(text: string): ReadonlyMap<string, number> {
  const users = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name === undefined || name === '' || name.startsWith('#') || uid === undefined) continue;
    if (!/^\d+$/.test(uid) || users.has(name)) continue;
    users.set(name, Number(uid));
  }
  return users;
}
