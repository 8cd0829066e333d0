// The process table as /proc shows it, for the application agent: process monitors count
// processes by name and owner, and stop finds what is left of the process groups a start
// launched. Zombies are left out everywhere: a process that has exited but not been reaped
// (an orphan under a PID 1 that never reaps, as in some containers) runs nothing, holds no
// file open, and would otherwise keep a "stopped" application looking alive forever.
import { readdir, readFile } from 'node:fs/promises';

export interface ProcEntry {
  readonly pid: number;
  /** /proc/PID/comm: the executable's name, cut to 15 bytes by the kernel. */
  readonly comm: string;
  /** R, S, D, Z, T... as in ps. */
  readonly state: string;
  readonly pgrp: number;
}

/** Every live (not zombie, not dead) process. Processes that vanish while being read are skipped. */
export async function readProcTable(): Promise<ProcEntry[]> {
  const names = await readdir('/proc');
  const entries = await Promise.all(
    names
      .filter((n) => /^\d+$/.test(n))
      .map(async (n) => {
        try {
          return parseStat(Number(n), await readFile(`/proc/${n}/stat`, 'utf8'));
        } catch {
          return undefined; // it exited between readdir and readFile
        }
      }),
  );
  return entries.filter(
    (e): e is ProcEntry => e !== undefined && e.state !== 'Z' && e.state !== 'X',
  );
}

/** Parses /proc/PID/stat. comm may hold spaces and parentheses, so it ends at the LAST ')'. */
export function parseStat(pid: number, text: string): ProcEntry | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = text.slice(close + 2).split(' ');
  const state = rest[0];
  const pgrp = Number(rest[2]);
  if (state === undefined || !Number.isInteger(pgrp)) return undefined;
  return { pid, comm: text.slice(open + 1, close), state, pgrp };
}

/** The effective uid of a process, or undefined if it is gone. */
export async function effectiveUid(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const line = /^Uid:\s+\d+\s+(\d+)/m.exec(status);
    return line?.[1] === undefined ? undefined : Number(line[1]);
  } catch {
    return undefined;
  }
}

/** The uid of a user name (from /etc/passwd) or of a number; undefined if there is no such user. */
export async function uidOf(owner: string): Promise<number | undefined> {
  if (/^\d+$/.test(owner)) return Number(owner);
  const passwd = await readFile('/etc/passwd', 'utf8');
  for (const line of passwd.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === owner && fields[2] !== undefined && /^\d+$/.test(fields[2])) {
      return Number(fields[2]);
    }
  }
  return undefined;
}

/** Does a process with this comm match a monitor's process name? comm is cut to 15 bytes. */
export function commMatches(comm: string, name: string): boolean {
  return (
    comm === name ||
    (Buffer.byteLength(name) > 15 && Buffer.byteLength(comm) === 15 && name.startsWith(comm))
  );
}

/** The live members of each of these process groups; groups with none are left out. */
export function groupMembers(
  table: readonly ProcEntry[],
  groups: Iterable<number>,
): Map<number, number[]> {
  const wanted = new Set(groups);
  const members = new Map<number, number[]>();
  for (const p of table) {
    if (!wanted.has(p.pgrp)) continue;
    const list = members.get(p.pgrp);
    if (list) list.push(p.pid);
    else members.set(p.pgrp, [p.pid]);
  }
  return members;
}
