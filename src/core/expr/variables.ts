// The resource variables a user-defined event can watch: Haven's replacement for the PSSP
// Event Management resource variables the reference uses (IBM.PSSP.aixos.FS.%totused, ...).
// `linux` says how runtime/ measures each one, so that the figure an operator sees in `df`,
// `free` or `iostat` is the figure the predicate sees.

import { closest } from './suggest.js';

export type ValueKind = 'number' | 'structured';

/** The type of one field X@n of a structured variable. */
export type FieldKind = 'number' | 'string' | 'list';

export interface InstanceField {
  readonly name: string;
  readonly description: string;
  /** Whether `*` (every instance) is accepted as the value. */
  readonly wildcard: boolean;
  /** The PSSP instance vector element with the same meaning, for migration hints. */
  readonly legacyName?: string;
}

export interface StructuredField {
  readonly index: number;
  readonly description: string;
  readonly kind: FieldKind;
}

export interface ResourceVariable {
  readonly name: string;
  readonly description: string;
  readonly kind: ValueKind;
  readonly unit: string;
  readonly instance: {
    readonly required: readonly InstanceField[];
    readonly optional: readonly InstanceField[];
  };
  /** X@0, X@1, ... in order; empty unless kind is 'structured'. */
  readonly fields: readonly StructuredField[];
  /** How the value is measured on Linux. */
  readonly linux: string;
  /** PSSP resource variable names that meant the same, for migration hints. */
  readonly legacyNames: readonly string[];
  /** A typical event, shown in the configuration reference and checked by the tests. */
  readonly example: {
    readonly instance: string;
    readonly predicate: string;
    readonly rearm: string;
  };
}

// Every variable can be limited to some nodes, as PSSP's NodeNum did.
const NODE: InstanceField = {
  name: 'node',
  description: 'Cluster node name to watch, or * for every node (the default).',
  wildcard: true,
  legacyName: 'NodeNum',
};

const MOUNT: InstanceField = {
  name: 'mount',
  description: 'Mount point of the file system, e.g. /tmp, or * for every mounted file system.',
  wildcard: true,
};

const number = (
  v: Omit<ResourceVariable, 'kind' | 'fields' | 'instance' | 'legacyNames'> & {
    readonly required?: readonly InstanceField[];
    readonly legacyNames?: readonly string[];
  },
): ResourceVariable => ({
  name: v.name,
  description: v.description,
  kind: 'number',
  unit: v.unit,
  instance: { required: v.required ?? [], optional: [NODE] },
  fields: [],
  linux: v.linux,
  legacyNames: v.legacyNames ?? [],
  example: v.example,
});

export const RESOURCE_VARIABLES: readonly ResourceVariable[] = [
  number({
    name: 'fs.used_percent',
    description: 'Space used in a file system.',
    unit: '%',
    required: [MOUNT],
    linux:
      "statfs(2) on the mount point: used / (used + available to non-root) x 100, like df's Use% but not rounded.",
    legacyNames: ['IBM.PSSP.aixos.FS.%totused'],
    example: { instance: 'mount=/tmp', predicate: 'X>90', rearm: 'X<80' },
  }),
  number({
    name: 'fs.inodes_used_percent',
    description: 'Inodes used in a file system.',
    unit: '%',
    required: [MOUNT],
    linux:
      "statfs(2): (files - free files) / files x 100, like df -i's IUse%; 0 on file systems without an inode limit (files = 0, e.g. btrfs).",
    example: { instance: 'mount=/var', predicate: 'X>95', rearm: 'X<90' },
  }),
  number({
    name: 'memory.free_percent',
    description: 'Memory available for new work without swapping.',
    unit: '%',
    linux:
      '/proc/meminfo: MemAvailable / MemTotal x 100. MemFree alone would read near zero on any server with a warm page cache.',
    example: { instance: '', predicate: 'X<5', rearm: 'X>10' },
  }),
  number({
    name: 'swap.free_percent',
    description: 'Swap space free.',
    unit: '%',
    linux: '/proc/meminfo: SwapFree / SwapTotal x 100; 100 on a node without swap.',
    example: { instance: '', predicate: 'X<10', rearm: 'X>20' },
  }),
  number({
    name: 'cpu.idle_percent',
    description: 'Time all CPUs were idle during the last sampling interval.',
    unit: '%',
    linux:
      '/proc/stat, first line: delta idle / delta total jiffies x 100 over the interval (iowait counts as busy).',
    example: { instance: '', predicate: 'X<5', rearm: 'X>20' },
  }),
  number({
    name: 'load.average1',
    description: 'One-minute load average (runnable and uninterruptible tasks).',
    unit: 'tasks',
    linux: '/proc/loadavg, first field.',
    example: { instance: '', predicate: 'X>32', rearm: 'X<16' },
  }),
  {
    name: 'process.count',
    description: 'Processes running a program; the event of the reference that detects upr6 dying.',
    kind: 'structured',
    unit: 'processes',
    instance: {
      required: [
        {
          name: 'name',
          description:
            'Program name as ps -e shows it (the kernel truncates it to 15 characters) or the base name of argv[0].',
          wildcard: false,
          legacyName: 'ProgName',
        },
      ],
      optional: [
        {
          name: 'user',
          description: 'Count only processes whose real user is this user name or uid.',
          wildcard: false,
          legacyName: 'UserName',
        },
        NODE,
      ],
    },
    fields: [
      { index: 0, description: 'Current number of processes.', kind: 'number' },
      { index: 1, description: 'Number of processes at the previous sample.', kind: 'number' },
      { index: 2, description: 'Process ids, ascending.', kind: 'list' },
    ],
    linux: '/proc/<pid>/comm, /proc/<pid>/cmdline and /proc/<pid>/status (Uid) of every process.',
    legacyNames: ['IBM.PSSP.Prog.xpcount'],
    example: { instance: 'name=upr6;user=root', predicate: 'X@0==0&&X@1!=0', rearm: 'X@0>0' },
  },
  number({
    name: 'net.interface_up',
    description: 'Whether a network interface is up: 1 if up, 0 if not.',
    unit: '1 or 0',
    required: [
      {
        name: 'device',
        description: 'Interface name as ip link shows it, e.g. eth0, or * for every interface.',
        wildcard: true,
      },
    ],
    linux:
      "/sys/class/net/<device>/operstate is 'up', or 'unknown' with carrier 1 (some virtual devices never report 'up').",
    example: { instance: 'device=eth1', predicate: 'X==0', rearm: 'X==1' },
  }),
  number({
    name: 'disk.busy_percent',
    description: 'Time a block device was busy with I/O during the last sampling interval.',
    unit: '%',
    required: [
      {
        name: 'device',
        description:
          'Block device name as in /proc/diskstats, e.g. sda, nvme0n1, dm-0, or * for every disk.',
        wildcard: true,
      },
    ],
    linux: "/proc/diskstats: delta of time spent doing I/O / interval x 100, like iostat's %util.",
    example: { instance: 'device=sdb', predicate: 'X>95', rearm: 'X<70' },
  }),
];

export function findVariable(name: string): ResourceVariable | undefined {
  return RESOURCE_VARIABLES.find((v) => v.name === name);
}

export type VariableLookup =
  | { readonly ok: true; readonly variable: ResourceVariable }
  | { readonly ok: false; readonly message: string; readonly suggestion?: string };

/** Like findVariable, with an actionable message for a misspelt or PSSP-era name. */
export function lookupVariable(name: string): VariableLookup {
  const variable = findVariable(name);
  if (variable) return { ok: true, variable };
  const renamed = RESOURCE_VARIABLES.find((v) => v.legacyNames.includes(name));
  if (renamed) {
    return {
      ok: false,
      message: `'${name}' is a PSSP resource variable; in Haven it is '${renamed.name}'`,
      suggestion: renamed.name,
    };
  }
  const names = RESOURCE_VARIABLES.map((v) => v.name);
  const suggestion = closest(name, names);
  const hint = suggestion === undefined ? '' : `; did you mean '${suggestion}'?`;
  return {
    ok: false,
    message: `unknown resource variable '${name}'${hint} (the variables are ${names.join(', ')})`,
    ...(suggestion === undefined ? {} : { suggestion }),
  };
}
