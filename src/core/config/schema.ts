// The shape of a cluster definition file, as written by an administrator.
//
// This schema checks shape only (types, ranges, allowed values, unknown keys): the checks that
// need the whole definition (references, uniqueness, subnets, policies) are in verify/. Every
// field carries a description: docs/configuration.md is generated from this file, and
// `haven schema` prints it as JSON Schema for editors.
//
// The schema has no transforms, so the JSON Schema is exact; normalize.ts turns the parsed
// document into the model the rest of Haven uses (durations in ms, legacy policies expanded).

import * as z from 'zod';
import { DURATION_PATTERN, parseDuration } from './duration.js';
import { parseCidr, parseIp } from '../net/ip.js';
import { CUSTOMIZABLE_EVENTS } from './events.js';

const d = (description: string) => ({ description });

// ---- Scalars --------------------------------------------------------------------------------

export const NAME_RE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const NAME_EXPECTED = 'a name: a letter, then letters, digits, "_", "." or "-", at most 64 in all';

/** A name of something in the definition: node, network, resource, group, event. */
export const nameSchema = z
  .string({ error: NAME_EXPECTED })
  .regex(NAME_RE, { error: NAME_EXPECTED })
  .meta({ description: NAME_EXPECTED, 'x-haven-type': 'name' });

const DURATION_EXPECTED = 'a duration with a unit, such as 200ms, 5s, 2m or 1h30m';
export const durationSchema = z
  .string({ error: DURATION_EXPECTED })
  .refine((s) => parseDuration(s) !== undefined, { error: DURATION_EXPECTED })
  .meta({ description: DURATION_EXPECTED, pattern: DURATION_PATTERN, 'x-haven-type': 'duration' });

const CIDR_EXPECTED = 'an address with its prefix length, such as 192.0.2.10/24 or 2001:db8::10/64';
export const cidrSchema = z
  .string({ error: CIDR_EXPECTED })
  .refine((s) => parseCidr(s) !== undefined, { error: CIDR_EXPECTED })
  .meta({ description: CIDR_EXPECTED, 'x-haven-type': 'address/prefix' });

const IP_EXPECTED = 'an IPv4 or IPv6 address, optionally with its prefix length';
export const ipOrCidrSchema = z
  .string({ error: IP_EXPECTED })
  .refine((s) => parseIp(s) !== undefined || parseCidr(s) !== undefined, { error: IP_EXPECTED })
  .meta({ description: IP_EXPECTED, 'x-haven-type': 'address[/prefix]' });

const COMMAND_EXPECTED = 'a command line, run with /bin/sh -c; an absolute path is recommended';
export const commandSchema = z
  .string({ error: COMMAND_EXPECTED })
  .min(1, { error: COMMAND_EXPECTED })
  .max(4096)
  .meta({ description: COMMAND_EXPECTED, 'x-haven-type': 'command' });

const ABS_PATH_EXPECTED = 'an absolute path, starting with /';
export const absPathSchema = z
  .string({ error: ABS_PATH_EXPECTED })
  .regex(/^\/[^\0]*$/, { error: ABS_PATH_EXPECTED })
  .meta({ description: ABS_PATH_EXPECTED, 'x-haven-type': 'absolute path' });

const description = z
  .string()
  .max(1024)
  .optional()
  .meta(d('Free text for people; ignored by Haven.'));

// ---- Cluster and tunables -------------------------------------------------------------------

const clusterSchema = z
  .strictObject({
    name: nameSchema.meta(d('The cluster name, shown in status and logs.')),
    id: z
      .int({ error: 'a whole number from 1 to 65535' })
      .min(1)
      .max(65535)
      .meta(
        d(
          'The cluster id, 1 to 65535. Every message carries it, so two clusters on one network ignore each other: give each cluster its own.',
        ),
      ),
    port: z
      .int({ error: 'a port number from 1 to 65535' })
      .min(1)
      .max(65535)
      .default(6540)
      .meta(
        d(
          'UDP port of the heartbeats on every IP network; group services messages use the next port (port + 1). Each node binds both on each of its boot addresses; open both between the nodes in the firewall.',
        ),
      ),
    description,
  })
  .meta(d('Who this cluster is.'));

const heartbeatSchema = z
  .strictObject({
    interval: durationSchema
      .default('150ms')
      .meta(
        d('Time between heartbeats on each interface, from 50ms to 10s (verify checks the range).'),
      ),
    sensitivity: z
      .int({ error: 'a whole number from 2 to 60' })
      .min(2)
      .max(60)
      .default(4)
      .meta(
        d(
          'Missed heartbeats before an interface is declared down (HACMP calls it the fibrillate count): detection time is interval x sensitivity.',
        ),
      ),
  })
  .meta(d('Heartbeat timing on every network, unless a network overrides it.'));

const heartbeatOverrideSchema = z
  .strictObject({
    interval: durationSchema.optional().meta(d('Overrides tunables.heartbeat.interval.')),
    sensitivity: z
      .int({ error: 'a whole number from 2 to 60' })
      .min(2)
      .max(60)
      .optional()
      .meta(d('Overrides tunables.heartbeat.sensitivity.')),
  })
  .meta(d('Per-network heartbeat timing; unset fields take the cluster-wide tunables.'));

const tunablesSchema = z
  .strictObject({
    heartbeat: heartbeatSchema.default({ interval: '150ms', sensitivity: 4 }),
    settlingTime: durationSchema
      .default('0s')
      .meta(
        d(
          'How long a node that joins waits for higher-priority nodes before it acquires first-available groups (settling time).',
        ),
      ),
    eventTimeLimit: durationSchema
      .default('6m')
      .meta(
        d(
          'How long an event may run before config_too_long is raised (and raised again at growing intervals). Per-event limits go in events.',
        ),
      ),
  })
  .meta(d('Cluster-wide timing. Every field has a default.'));

// ---- Topology -------------------------------------------------------------------------------

const networkSchema = z
  .strictObject({
    name: nameSchema.meta(d('Network name, unique in the cluster.')),
    type: z
      .enum(['ether', 'diskhb'], { error: '"ether" (an IP network) or "diskhb" (disk heartbeat)' })
      .meta(
        d(
          'ether: an IP network, heartbeats over UDP. diskhb: a non-IP heartbeat through a shared disk or file, one slot per node; it survives a broken TCP/IP stack.',
        ),
      ),
    ipat: z
      .enum(['alias', 'replacement'], { error: '"alias" or "replacement"' })
      .optional()
      .meta(
        d(
          'IP address takeover, ether networks only. alias (the default): service addresses are added as aliases, on a different subnet from the boot addresses. replacement: the service address replaces the boot address of an interface on the same subnet.',
        ),
      ),
    heartbeat: heartbeatOverrideSchema.optional(),
    description,
  })
  .meta(d('A network Haven heartbeats over.'));

const interfaceSchema = z
  .strictObject({
    network: nameSchema.meta(d('The network this interface is on.')),
    device: z
      .string({ error: 'a device: an interface name such as eth0, or a path for diskhb' })
      .min(1)
      .max(4096)
      .meta(
        d(
          'ether: the Linux interface name (eth0, ens3, bond0). diskhb: the shared block device or file, as this node sees it.',
        ),
      ),
    address: cidrSchema
      .optional()
      .meta(
        d(
          'ether only: the boot address, with prefix length; Haven binds its heartbeats to it. Required on ether networks.',
        ),
      ),
    name: nameSchema
      .optional()
      .meta(
        d(
          'The interface label shown in status; by default "<node>-<device>" (ether) or "<node>-<network>" (diskhb).',
        ),
      ),
    slot: z
      .int({ error: 'a whole number from 0 to 1023' })
      .min(0)
      .max(1023)
      .optional()
      .meta(d('diskhb only: this node\u2019s slot on the shared disk; by default the node id.')),
  })
  .meta(d('One communication interface (adapter) or device of a node.'));

const persistentLabelSchema = z
  .strictObject({
    network: nameSchema.meta(d('An ether network the node has an interface on.')),
    address: cidrSchema.meta(d('The address, with prefix length.')),
    name: nameSchema.optional().meta(d('A label for status; by default "<node>-persistent".')),
  })
  .meta(
    d(
      'A persistent node IP label: an address that always stays on this node (for administration), never part of a resource group.',
    ),
  );

const nodeSchema = z
  .strictObject({
    name: nameSchema.meta(d('The node name; by convention its host name.')),
    id: z
      .int({ error: 'a whole number from 1 to 1024' })
      .min(1)
      .max(1024)
      .meta(
        d(
          'Node number, unique. Lower numbers lead the cluster and have their events processed first. Keep it stable: do not renumber a running cluster.',
        ),
      ),
    votes: z
      .int({ error: 'a whole number from 0 to 16' })
      .min(0)
      .max(16)
      .default(1)
      .meta(d('Quorum votes of this node.')),
    interfaces: z
      .array(interfaceSchema, { error: 'a list of interfaces' })
      .min(1, { error: 'at least one interface' })
      .meta(d('The node\u2019s interfaces on each network.')),
    persistentLabels: z.array(persistentLabelSchema).default([]),
    description,
  })
  .meta(d('A cluster node.'));

// ---- Resources ------------------------------------------------------------------------------

const serviceIpSchema = z
  .strictObject({
    name: nameSchema.meta(d('Resource name (the service IP label).')),
    network: nameSchema.meta(d('The ether network whose interfaces carry this address.')),
    address: ipOrCidrSchema.meta(
      d(
        'The service address. With IPAT by alias, give its prefix length (it is on a subnet of its own). With IPAT by replacement it may be left out: the address then takes the prefix of the boot subnet it belongs to.',
      ),
    ),
    arp: z
      .boolean()
      .default(true)
      .meta(d('Send gratuitous ARP (unsolicited neighbour advertisements) after acquiring.')),
    description,
  })
  .meta(d('A floating service IP address that clients use.'));

const volumeGroupSchema = z
  .strictObject({
    name: nameSchema.meta(d('Resource name.')),
    vg: z.string().min(1).max(128).meta(d('The LVM volume group to activate (vgchange -ay).')),
    description,
  })
  .meta(d('Shared storage: an LVM volume group activated on the node that holds the group.'));

const filesystemSchema = z
  .strictObject({
    name: nameSchema.meta(d('Resource name.')),
    device: z.string().min(1).max(4096).meta(d('The block device, or a source mount accepts.')),
    mountpoint: absPathSchema.meta(d('Where to mount it.')),
    fstype: z
      .string()
      .min(1)
      .max(32)
      .optional()
      .meta(d('File system type; mount detects it if unset.')),
    options: z.string().max(1024).optional().meta(d('Mount options, as for mount -o.')),
    fsck: z.boolean().default(false).meta(d('Check the file system (fsck -a) before mounting.')),
    forceUnmount: z
      .boolean()
      .default(true)
      .meta(d('On release, kill the processes that keep the mount busy, then unmount.')),
    timeout: durationSchema.default('5m').meta(d('Time limit for fsck + mount, and for unmount.')),
    description,
  })
  .meta(d('A file system mounted on the node that holds the group.'));

const monitorSchema = z
  .strictObject({
    name: nameSchema.meta(d('Monitor name.')),
    type: z
      .enum(['process', 'custom'], { error: '"process" or "custom"' })
      .meta(d('process: check that processes run. custom: run a command; exit 0 means healthy.')),
    process: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .meta(d('process monitors: the process name (as in /proc/PID/comm).')),
    owner: z.string().min(1).max(64).optional().meta(d('process monitors: the owning user.')),
    instances: z
      .int()
      .min(1)
      .max(1024)
      .default(1)
      .meta(d('process monitors: how many processes must run.')),
    command: commandSchema.optional().meta(d('custom monitors: the check command.')),
    interval: durationSchema.default('10s').meta(d('Time between checks.')),
    timeout: durationSchema.default('10s').meta(d('custom monitors: time limit of one check.')),
    stabilization: durationSchema
      .default('60s')
      .meta(d('Grace after the application starts before monitoring begins.')),
    restartCount: z
      .int()
      .min(0)
      .max(100)
      .default(3)
      .meta(d('Local restarts before the failure action is taken.')),
    restartInterval: durationSchema
      .optional()
      .meta(
        d(
          'After this long without failure the restart count resets. Default: 1.1 x restartCount x (stabilization + interval).',
        ),
      ),
    failureAction: z
      .enum(['fallover', 'notify'], { error: '"fallover" or "notify"' })
      .default('fallover')
      .meta(d('When restarts are used up: move the group to another node, or only notify.')),
    notifyCommand: commandSchema.optional().meta(d('Run when the monitor detects a failure.')),
    cleanupCommand: commandSchema
      .optional()
      .meta(d('Run before a local restart; by default the application\u2019s stop command.')),
    restartCommand: commandSchema
      .optional()
      .meta(d('Used to restart; by default the application\u2019s start command.')),
  })
  .meta(d('An application monitor.'));

const applicationSchema = z
  .strictObject({
    name: nameSchema.meta(d('Resource name (the application controller).')),
    start: commandSchema.meta(d('Starts the application. Must be idempotent.')),
    stop: commandSchema.meta(d('Stops the application. Must be idempotent.')),
    startTimeout: durationSchema.default('2m').meta(d('Time limit of the start command.')),
    stopTimeout: durationSchema
      .default('2m')
      .meta(
        d(
          'Time limit of the stop command; after it, the whole process group is terminated, then killed.',
        ),
      ),
    background: z
      .boolean()
      .default(false)
      .meta(
        d(
          'Start in the background: the event goes on without waiting for the start command (its result is logged).',
        ),
      ),
    monitors: z.array(monitorSchema).default([]),
    description,
  })
  .meta(d('An application controller: start and stop commands, and optional monitors.'));

const OCF_AGENT_RE = /^[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+$/;
const ocfSchema = z
  .strictObject({
    name: nameSchema.meta(d('Resource name.')),
    agent: z
      .string({ error: 'provider:type, such as heartbeat:IPaddr2' })
      .regex(OCF_AGENT_RE, { error: 'provider:type, such as heartbeat:IPaddr2' })
      .meta(
        d(
          'The OCF agent as provider:type; run from $OCF_ROOT/resource.d/<provider>/<type> (Debian: the resource-agents package).',
        ),
      ),
    params: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
      .default({})
      .meta(d('Parameters, passed as OCF_RESKEY_<name>.')),
    monitorInterval: durationSchema.default('10s').meta(d('Time between monitor calls.')),
    timeouts: z
      .strictObject({
        start: durationSchema.default('20s').meta(d('Time limit of the start action.')),
        stop: durationSchema.default('20s').meta(d('Time limit of the stop action.')),
        monitor: durationSchema.default('20s').meta(d('Time limit of one monitor call.')),
      })
      .default({ start: '20s', stop: '20s', monitor: '20s' })
      .meta(d('Time limits per action.')),
    description,
  })
  .meta(d('An OCF resource agent, run unmodified.'));

const systemdSchema = z
  .strictObject({
    name: nameSchema.meta(d('Resource name.')),
    unit: z
      .string({ error: 'a systemd unit name, such as nginx.service' })
      // Backslash is allowed for systemd's \x2d escapes in unit names.
      .regex(/^[A-Za-z0-9:_.@\\-]+\.(service|mount|socket|target|timer|path)$/, {
        error: 'a systemd unit name, such as nginx.service',
      })
      .meta(d('The unit; it should be disabled so that only Haven starts it.')),
    timeout: durationSchema.default('2m').meta(d('Time limit of start and of stop.')),
    description,
  })
  .meta(d('A systemd unit, started and stopped by Haven.'));

const resourcesSchema = z
  .strictObject({
    serviceIps: z.array(serviceIpSchema).default([]),
    volumeGroups: z.array(volumeGroupSchema).default([]),
    filesystems: z.array(filesystemSchema).default([]),
    applications: z.array(applicationSchema).default([]),
    ocf: z.array(ocfSchema).default([]),
    systemd: z.array(systemdSchema).default([]),
  })
  .meta(
    d(
      'Resources, by kind. Names are unique across all kinds. A group acquires its volume groups, then file systems, service IPs, applications, OCF resources and systemd units, in that order (within a kind, in the order the group lists them), and releases them in reverse.',
    ),
  );

// ---- Resource groups ------------------------------------------------------------------------

export const STARTUP_POLICIES = [
  'home-node',
  'first-available',
  'all-available',
  'distribution',
] as const;
export const FALLOVER_POLICIES = ['next-priority', 'dynamic-priority', 'offline'] as const;
export const FALLBACK_POLICIES = ['higher-priority', 'never'] as const;
export const LEGACY_POLICIES = ['cascading', 'rotating', 'concurrent', 'custom'] as const;
export const DYNAMIC_PRIORITY_POLICIES = [
  'most-free-memory',
  'most-idle-cpu',
  'least-busy-disk',
  'script',
] as const;

const oneOf = (xs: readonly string[]): string => xs.map((x) => `"${x}"`).join(', ');

const fallbackTimerSchema = z
  .strictObject({
    recurrence: z
      .enum(['daily', 'weekly', 'monthly', 'yearly', 'once'], {
        error: '"daily", "weekly", "monthly", "yearly" or "once"',
      })
      .meta(d('How often the fallback window comes.')),
    at: z
      .string()
      .regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, { error: 'a time of day, HH:MM (24-hour)' })
      .meta({
        description: 'Time of day, HH:MM, in the node\u2019s local time.',
        'x-haven-type': 'HH:MM',
      }),
    weekday: z
      .enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], { error: 'mon, tue, ... sun' })
      .optional()
      .meta(d('weekly: the day.')),
    day: z.int().min(1).max(31).optional().meta(d('monthly and yearly: the day of the month.')),
    month: z.int().min(1).max(12).optional().meta(d('yearly: the month.')),
    date: z
      .string()
      .regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, { error: 'a date, YYYY-MM-DD' })
      .optional()
      .meta({ description: 'once: the date.', 'x-haven-type': 'YYYY-MM-DD' }),
  })
  .meta(
    d(
      'Delayed fallback: a group that would fall back waits for this moment instead of moving at once.',
    ),
  );

const dynamicPrioritySchema = z
  .strictObject({
    policy: z
      .enum(DYNAMIC_PRIORITY_POLICIES, { error: oneOf(DYNAMIC_PRIORITY_POLICIES) })
      .meta(
        d(
          'How to rank the surviving nodes at fallover: most free memory, most idle CPU, least busy disk, or a script.',
        ),
      ),
    script: commandSchema
      .optional()
      .meta(d('policy script: prints a number; the node with the highest wins.')),
    timeout: durationSchema.default('10s').meta(d('policy script: time limit.')),
  })
  .meta(d('Dynamic node priority, used with fallover: dynamic-priority.'));

const resourceGroupSchema = z
  .strictObject({
    name: nameSchema.meta(d('Group name.')),
    nodes: z
      .array(nameSchema, { error: 'a list of node names' })
      .min(1, { error: 'at least one node' })
      .meta(d('Participating nodes, highest priority first. The first is the home node.')),
    policy: z
      .enum(LEGACY_POLICIES, { error: oneOf(LEGACY_POLICIES) })
      .optional()
      .meta(
        d(
          'Shorthand for a set of policies. cascading: home-node / next-priority / higher-priority. rotating: distribution / next-priority / never. concurrent: all-available / offline / never. custom (the default): set startup, fallover and fallback yourself.',
        ),
      ),
    startup: z
      .enum(STARTUP_POLICIES, { error: oneOf(STARTUP_POLICIES) })
      .optional()
      .meta(
        d(
          'Where the group comes online at cluster start. home-node: only on the first node. first-available: the first node in the list that is up. all-available: on every node (concurrent). distribution: on a node with no other group online. Default home-node.',
        ),
      ),
    fallover: z
      .enum(FALLOVER_POLICIES, { error: oneOf(FALLOVER_POLICIES) })
      .optional()
      .meta(
        d(
          'Where the group goes when its node fails. next-priority: the next node in the list. dynamic-priority: the node that ranks best (see dynamicPriority). offline: nowhere. Default next-priority.',
        ),
      ),
    fallback: z
      .enum(FALLBACK_POLICIES, { error: oneOf(FALLBACK_POLICIES) })
      .optional()
      .meta(
        d(
          'What happens when a higher-priority node joins. higher-priority: move back to it (at once, or in the fallbackTimer window). never: stay. Default higher-priority.',
        ),
      ),
    fallbackTimer: fallbackTimerSchema.optional(),
    dynamicPriority: dynamicPrioritySchema.optional(),
    inactiveTakeover: z
      .boolean()
      .optional()
      .meta(
        d(
          'cascading only: at cluster start, a node other than the home node may acquire the group (startup becomes first-available).',
        ),
      ),
    cascadingWithoutFallback: z
      .boolean()
      .optional()
      .meta(d('cascading only: never fall back (CWOF); fallback becomes never.')),
    resources: z
      .array(nameSchema, { error: 'a list of resource names' })
      .default([])
      .meta(d('The resources of this group, by name. A resource belongs to one group at most.')),
    description,
  })
  .meta(d('A resource group: resources that move together, and the policies that place them.'));

const dependencySchema = z
  .discriminatedUnion(
    'type',
    [
      z
        .strictObject({
          type: z.literal('parent-child').meta(d('A parent/child dependency.')),
          parent: nameSchema.meta(d('Must be online before the child is acquired.')),
          child: nameSchema.meta(
            d('Released before the parent; brought offline if the parent cannot be online.'),
          ),
        })
        .meta(d('The child needs the parent online (anywhere in the cluster).')),
      z
        .strictObject({
          type: z.literal('start-after').meta(d('A start-order dependency.')),
          group: nameSchema.meta(d('Starts after the other group.')),
          after: nameSchema.meta(d('Is online first.')),
        })
        .meta(d('Ordering only: when both are being acquired, `after` comes online first.')),
      z
        .strictObject({
          type: z.literal('stop-after').meta(d('A stop-order dependency.')),
          group: nameSchema.meta(d('Stops after the other group.')),
          after: nameSchema.meta(d('Is released first.')),
        })
        .meta(d('Ordering only: when both are being released, `after` goes offline first.')),
      z
        .strictObject({
          type: z.literal('same-node').meta(d('A same-node (collocation) dependency.')),
          groups: z
            .array(nameSchema)
            .min(2, { error: 'at least two groups' })
            .meta(d('The groups kept together.')),
        })
        .meta(d('These groups are always online on the same node.')),
      z
        .strictObject({
          type: z
            .literal('different-nodes')
            .meta(d('A different-nodes (anti-collocation) dependency.')),
          high: z.array(nameSchema).default([]).meta(d('Keep their node; others make way.')),
          intermediate: z
            .array(nameSchema)
            .default([])
            .meta(d('Yield to high, keep their node against low.')),
          low: z
            .array(nameSchema)
            .default([])
            .meta(d('Brought offline first when nodes run short.')),
        })
        .meta(d('These groups are never online on the same node; priorities say who yields.')),
    ],
    { error: '"parent-child", "start-after", "stop-after", "same-node" or "different-nodes"' },
  )
  .meta(d('A dependency between resource groups.'));

// ---- Events ---------------------------------------------------------------------------------

const commandListSchema = z
  .union([commandSchema, z.array(commandSchema)])
  .meta(d('One command, or a list run in order.'));

const eventCustomizationSchema = z
  .strictObject({
    notify: commandSchema
      .optional()
      .meta(d('Run at the start and at the end of the event (argument: start|complete).')),
    pre: commandListSchema
      .optional()
      .meta(d('Run before the event\u2019s recovery program; a failure fails the event.')),
    post: commandListSchema.optional().meta(d('Run after the event\u2019s recovery program.')),
    recovery: z
      .strictObject({
        command: commandSchema.meta(
          d('Run when the event fails; if it exits 0, the event is retried.'),
        ),
        retries: z.int().min(0).max(10).default(1).meta(d('How many times to recover and retry.')),
      })
      .optional()
      .meta(d('Recovery: a command that repairs what made the event fail, and a retry count.')),
    timeLimit: durationSchema
      .optional()
      .meta(d('Overrides tunables.eventTimeLimit for this event.')),
  })
  .meta(d('Commands hooked around one event.'));

const stepSchema = z
  .union([
    z.literal('barrier').meta(d('Wait until every node of the view reaches this point.')),
    z
      .strictObject({
        on: z
          .enum(['all', 'event', 'other'], { error: '"all", "event" or "other"' })
          .meta(d('all nodes of the view, the event node, or all but the event node.')),
        run: commandSchema.meta(d('The recovery command.')),
        expect: z
          .union([z.int().min(0).max(255), z.literal('X')], {
            error: 'an exit status 0-255, or X for any',
          })
          .default(0)
          .meta(d('The expected exit status, or X to ignore it.')),
      })
      .meta(d('A recovery command.')),
  ])
  .meta(d('A step of a recovery program: a command, or "barrier".'));

const userEventSchema = z
  .strictObject({
    name: nameSchema.meta(d('Event name; not one of the built-in events.')),
    resourceVariable: z
      .string()
      .min(1)
      .max(128)
      .meta(
        d('The resource variable to watch, e.g. fs.used_percent: see Resource variables below.'),
      ),
    instance: z
      .union([z.string().max(1024), z.record(z.string(), z.union([z.string(), z.number()]))])
      .optional()
      .meta(d('Which instance of the variable: a map such as {mount: /tmp}, or "mount=/tmp".')),
    predicate: z.string().min(1).max(1000).meta(d('When true, the event fires, e.g. "X > 90".')),
    rearm: z
      .string()
      .min(1)
      .max(1000)
      .optional()
      .meta(d('Must be true before the event can fire again, e.g. "X < 80".')),
    interval: durationSchema
      .default('10s')
      .meta(
        d(
          'How often each node the event watches samples the variable and evaluates the predicate (at least 1s).',
        ),
      ),
    program: z.array(stepSchema).min(1).optional().meta(d('The recovery program, inline.')),
    programFile: absPathSchema
      .optional()
      .meta(d('Or: a recovery program file in the reference\u2019s .rp format.')),
    description,
  })
  .meta(d('A user-defined event: a condition on a resource variable, and its recovery program.'));

const eventsSchema = z
  .record(z.string(), eventCustomizationSchema)
  .default({})
  .meta(
    d(
      `Event customisation, by event name: a built-in event or one of the scripts of its program (${CUSTOMIZABLE_EVENTS.join(', ')}), or a user-defined event.`,
    ),
  );

// ---- Quorum ---------------------------------------------------------------------------------

const quorumSchema = z
  .strictObject({
    tieBreaker: z
      .discriminatedUnion(
        'type',
        [
          z
            .strictObject({ type: z.literal('none').meta(d('No tie-breaker.')) })
            .meta(
              d('No tie-breaker: a partition holding exactly half of the votes has no quorum.'),
            ),
          z
            .strictObject({
              type: z.literal('disk').meta(d('A disk lease.')),
              network: nameSchema.meta(
                d(
                  'The diskhb network whose shared disk holds the lease: a 4 KiB block at 4 MiB, after the 1024 slots the heartbeat may use; the disk must be at least 4 MiB + 4 KiB.',
                ),
              ),
            })
            .meta(
              d(
                'A lease on the shared disk of a diskhb network: of two halves, the one whose leader holds the lease keeps quorum. A half that cannot reach the disk never wins a tie: where the disk can be lost together with one site, prefer a quorum server on a third site.',
              ),
            ),
          z
            .strictObject({
              type: z.literal('server').meta(d('A quorum server.')),
              address: ipOrCidrSchema.meta(d('The quorum server address, outside the cluster.')),
              port: z
                .int()
                .min(1)
                .max(65535)
                .default(6541)
                .meta(d('Its UDP port (haven tiebreaker listens there).')),
            })
            .meta(
              d(
                'A quorum server on a third site (as in Serviceguard): of two halves, the one it grants keeps quorum.',
              ),
            ),
        ],
        { error: '"none", "disk" or "server"' },
      )
      .default({ type: 'none' })
      .meta(
        d(
          'Breaks the tie when a partition holds exactly half of the votes; in a two-node cluster, the only way a survivor keeps quorum after the other node fails.',
        ),
      ),
    noQuorumAction: z
      .enum(['release', 'freeze'], { error: '"release" or "freeze"' })
      .default('release')
      .meta(
        d(
          'What a partition without quorum does with the exclusive groups it holds: release them at once (their halt commands, then the release), or freeze them (keep them until the holding lease runs out, at most 1.5 s, then the same).',
        ),
      ),
  })
  .meta(
    d(
      'Quorum: a partition may acquire resources only while it holds more than half of the configured votes (nodes[].votes), or exactly half with the tie-breaker.',
    ),
  );

// ---- The file -------------------------------------------------------------------------------

export const clusterFileSchema = z
  .strictObject({
    cluster: clusterSchema,
    tunables: tunablesSchema.default({
      heartbeat: { interval: '150ms', sensitivity: 4 },
      settlingTime: '0s',
      eventTimeLimit: '6m',
    }),
    quorum: quorumSchema.default({ tieBreaker: { type: 'none' }, noQuorumAction: 'release' }),
    networks: z
      .array(networkSchema)
      .min(1, { error: 'at least one network' })
      .meta(d('The networks.')),
    nodes: z.array(nodeSchema).min(1, { error: 'at least one node' }).meta(d('The nodes.')),
    resources: resourcesSchema.default({
      serviceIps: [],
      volumeGroups: [],
      filesystems: [],
      applications: [],
      ocf: [],
      systemd: [],
    }),
    resourceGroups: z.array(resourceGroupSchema).default([]).meta(d('The resource groups.')),
    dependencies: z.array(dependencySchema).default([]).meta(d('Dependencies between groups.')),
    events: eventsSchema,
    userEvents: z.array(userEventSchema).default([]).meta(d('User-defined events.')),
  })
  .meta({
    title: 'Haven cluster definition',
    description: 'One file describes a Haven cluster: topology, resources, groups, events.',
  });

/** The parsed file, defaults filled in, before normalisation. */
export type ClusterFile = z.output<typeof clusterFileSchema>;
export type NetworkEntry = ClusterFile['networks'][number];
export type NodeEntry = ClusterFile['nodes'][number];
export type ResourceGroupEntry = ClusterFile['resourceGroups'][number];
export type DependencyEntry = ClusterFile['dependencies'][number];
export type StepEntry = NonNullable<ClusterFile['userEvents'][number]['program']>[number];

/** The JSON Schema of the file, for editors (`haven schema`). */
export function clusterJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(clusterFileSchema, { io: 'input', target: 'draft-2020-12' });
}
