// From the parsed file to the model: defaults, milliseconds, names, legacy policies expanded.
// Normalisation cannot fail; what it cannot make sense of it reports as findings, and verify/
// finds the rest.

import type { Finding, Path } from './diagnostic.js';
import { parseDuration } from './duration.js';
import type {
  ClusterConfig,
  DependencyDef,
  EventCustomizationDef,
  FallbackPolicy,
  FalloverPolicy,
  MonitorDef,
  NetworkDef,
  NodeDef,
  RecoveryStep,
  ResourceDef,
  ResourceGroupDef,
  StartupPolicy,
  UserEventDef,
} from './model.js';
import type { ClusterFile, ResourceGroupEntry, StepEntry } from './schema.js';
import { parseCidr, parseIp } from '../net/ip.js';

/** The schema has already checked every duration, so this only converts. */
function ms(text: string): number {
  return parseDuration(text) ?? 0;
}

function optMs(text: string | undefined): number | undefined {
  return text === undefined ? undefined : ms(text);
}

interface Policies {
  startup: StartupPolicy;
  fallover: FalloverPolicy;
  fallback: FallbackPolicy;
}

/** The reference's legacy group types, as startup / fallover / fallback policies. */
export const LEGACY_EXPANSION: Record<'cascading' | 'rotating' | 'concurrent', Policies> = {
  cascading: { startup: 'home-node', fallover: 'next-priority', fallback: 'higher-priority' },
  rotating: { startup: 'distribution', fallover: 'next-priority', fallback: 'never' },
  concurrent: { startup: 'all-available', fallover: 'offline', fallback: 'never' },
};

const DEFAULT_POLICIES: Policies = {
  startup: 'home-node',
  fallover: 'next-priority',
  fallback: 'higher-priority',
};

function groupPolicies(g: ResourceGroupEntry, at: Path, out: Finding[]): Policies {
  const legacy = g.policy;
  if (legacy === undefined || legacy === 'custom') {
    for (const key of ['inactiveTakeover', 'cascadingWithoutFallback'] as const) {
      if (g[key] !== undefined) {
        out.push({
          severity: 'error',
          code: 'cascading-attribute',
          path: [...at, key],
          message: `${key} is an attribute of cascading groups, but this group is ${legacy ?? 'custom'}`,
          hint:
            key === 'inactiveTakeover'
              ? 'remove it and set startup: first-available, or set policy: cascading'
              : 'remove it and set fallback: never, or set policy: cascading',
        });
      }
    }
    return {
      startup: g.startup ?? DEFAULT_POLICIES.startup,
      fallover: g.fallover ?? DEFAULT_POLICIES.fallover,
      fallback: g.fallback ?? DEFAULT_POLICIES.fallback,
    };
  }
  const base = LEGACY_EXPANSION[legacy];
  for (const key of ['startup', 'fallover', 'fallback'] as const) {
    if (g[key] !== undefined) {
      out.push({
        severity: 'error',
        code: 'legacy-policy-conflict',
        path: [...at, key],
        message: `policy: ${legacy} already sets ${key} to ${base[key]}; it cannot also be set here`,
        hint: `remove ${key}, or replace policy: ${legacy} by policy: custom with startup, fallover and fallback`,
      });
    }
  }
  if (legacy !== 'cascading') {
    for (const key of ['inactiveTakeover', 'cascadingWithoutFallback'] as const) {
      if (g[key] !== undefined) {
        out.push({
          severity: 'error',
          code: 'cascading-attribute',
          path: [...at, key],
          message: `${key} applies to cascading groups only, and this group is ${legacy}`,
          hint: `remove ${key}`,
        });
      }
    }
    return base;
  }
  return {
    startup: g.inactiveTakeover === true ? 'first-available' : base.startup,
    fallover: base.fallover,
    fallback: g.cascadingWithoutFallback === true ? 'never' : base.fallback,
  };
}

function steps(program: readonly StepEntry[] | undefined): RecoveryStep[] | undefined {
  return program?.map((s) =>
    s === 'barrier'
      ? { type: 'barrier' }
      : { type: 'command', on: s.on, run: s.run, expect: s.expect === 'X' ? undefined : s.expect },
  );
}

const list = (x: string | readonly string[] | undefined): string[] =>
  x === undefined ? [] : typeof x === 'string' ? [x] : [...x];

export function normalize(file: ClusterFile): { config: ClusterConfig; findings: Finding[] } {
  const findings: Finding[] = [];
  const hb = {
    intervalMs: ms(file.tunables.heartbeat.interval),
    sensitivity: file.tunables.heartbeat.sensitivity,
  };

  file.networks.forEach((n, i) => {
    if (n.type === 'diskhb' && n.ipat !== undefined) {
      findings.push({
        severity: 'error',
        code: 'ipat-on-diskhb',
        path: ['networks', i, 'ipat'],
        message: `ipat is set on ${n.name}, a disk heartbeat network, which carries no IP addresses`,
        hint: 'remove ipat from this network',
      });
    }
  });
  const networks: NetworkDef[] = file.networks.map((n, i) => ({
    at: ['networks', i],
    name: n.name,
    number: i + 1,
    type: n.type,
    ipat: n.type === 'ether' ? (n.ipat ?? 'alias') : undefined,
    heartbeat: {
      intervalMs: optMs(n.heartbeat?.interval) ?? hb.intervalMs,
      sensitivity: n.heartbeat?.sensitivity ?? hb.sensitivity,
    },
  }));
  const networkType = new Map(networks.map((n) => [n.name, n.type]));

  const nodes: NodeDef[] = file.nodes.map((n, i) => ({
    at: ['nodes', i],
    name: n.name,
    id: n.id,
    votes: n.votes,
    interfaces: n.interfaces.map((f, j) => {
      const disk = networkType.get(f.network) === 'diskhb';
      return {
        at: ['nodes', i, 'interfaces', j],
        name: f.name ?? (disk ? `${n.name}-${f.network}` : `${n.name}-${f.device}`),
        node: n.name,
        network: f.network,
        device: f.device,
        address: f.address === undefined ? undefined : parseCidr(f.address),
        slot: disk ? (f.slot ?? n.id) : f.slot,
      };
    }),
    persistentLabels: n.persistentLabels.map((p, j) => ({
      at: ['nodes', i, 'persistentLabels', j],
      name: p.name ?? `${n.name}-persistent${j === 0 ? '' : `${j + 1}`}`,
      node: n.name,
      network: p.network,
      // The schema checked the form, so parseCidr cannot fail here.
      address: parseCidr(p.address) ?? {
        address: { family: 4, value: 0n, text: '0.0.0.0' },
        prefix: 0,
      },
    })),
  }));

  const r = file.resources;
  const resources: ResourceDef[] = [
    ...r.volumeGroups.map((v, i): ResourceDef => ({
      at: ['resources', 'volumeGroups', i],
      kind: 'volumeGroup',
      name: v.name,
      vg: v.vg,
    })),
    ...r.filesystems.map((f, i): ResourceDef => ({
      at: ['resources', 'filesystems', i],
      kind: 'filesystem',
      name: f.name,
      device: f.device,
      mountpoint: f.mountpoint,
      fstype: f.fstype,
      options: f.options,
      fsck: f.fsck,
      forceUnmount: f.forceUnmount,
      timeoutMs: ms(f.timeout),
    })),
    ...r.serviceIps.map((s, i): ResourceDef => {
      const cidr = parseCidr(s.address);
      const bare = parseIp(s.address);
      return {
        at: ['resources', 'serviceIps', i],
        kind: 'serviceIp',
        name: s.name,
        network: s.network,
        address: s.address,
        ip: cidr
          ? { cidr, prefixGiven: true }
          : bare
            ? { cidr: { address: bare, prefix: bare.family === 4 ? 32 : 128 }, prefixGiven: false }
            : undefined,
        arp: s.arp,
      };
    }),
    ...r.applications.map((a, i): ResourceDef => ({
      at: ['resources', 'applications', i],
      kind: 'application',
      name: a.name,
      start: a.start,
      stop: a.stop,
      startTimeoutMs: ms(a.startTimeout),
      stopTimeoutMs: ms(a.stopTimeout),
      background: a.background,
      monitors: a.monitors.map((m, j): MonitorDef => {
        const intervalMs = ms(m.interval);
        const stabilizationMs = ms(m.stabilization);
        return {
          at: ['resources', 'applications', i, 'monitors', j],
          name: m.name,
          type: m.type,
          process: m.process,
          owner: m.owner,
          instances: m.instances,
          command: m.command,
          intervalMs,
          timeoutMs: ms(m.timeout),
          stabilizationMs,
          restartCount: m.restartCount,
          // The reference's default: 10% more than restartCount x (stabilisation + interval).
          restartIntervalMs:
            optMs(m.restartInterval) ??
            Math.round(1.1 * Math.max(1, m.restartCount) * (stabilizationMs + intervalMs)),
          failureAction: m.failureAction,
          notifyCommand: m.notifyCommand,
          cleanupCommand: m.cleanupCommand,
          restartCommand: m.restartCommand,
        };
      }),
    })),
    ...r.ocf.map((o, i): ResourceDef => {
      const [provider = '', type = ''] = o.agent.split(':');
      return {
        at: ['resources', 'ocf', i],
        kind: 'ocf',
        name: o.name,
        provider,
        type,
        params: Object.fromEntries(Object.entries(o.params).map(([k, v]) => [k, String(v)])),
        monitorIntervalMs: ms(o.monitorInterval),
        timeoutsMs: {
          start: ms(o.timeouts.start),
          stop: ms(o.timeouts.stop),
          monitor: ms(o.timeouts.monitor),
        },
      };
    }),
    ...r.systemd.map((s, i): ResourceDef => ({
      at: ['resources', 'systemd', i],
      kind: 'systemd',
      name: s.name,
      unit: s.unit,
      timeoutMs: ms(s.timeout),
    })),
  ];

  const resourceGroups: ResourceGroupDef[] = file.resourceGroups.map((g, i) => {
    const at: Path = ['resourceGroups', i];
    return {
      at,
      name: g.name,
      nodes: g.nodes,
      legacyPolicy: g.policy,
      ...groupPolicies(g, at, findings),
      fallbackTimer: g.fallbackTimer && {
        recurrence: g.fallbackTimer.recurrence,
        at: g.fallbackTimer.at,
        weekday: g.fallbackTimer.weekday,
        day: g.fallbackTimer.day,
        month: g.fallbackTimer.month,
        date: g.fallbackTimer.date,
      },
      dynamicPriority: g.dynamicPriority && {
        policy: g.dynamicPriority.policy,
        script: g.dynamicPriority.script,
        timeoutMs: ms(g.dynamicPriority.timeout),
      },
      resources: g.resources,
    };
  });

  const dependencies: DependencyDef[] = file.dependencies.map((dep, i) => ({
    ...dep,
    at: ['dependencies', i],
  }));

  const events: EventCustomizationDef[] = Object.entries(file.events).map(([event, e]) => ({
    at: ['events', event],
    event,
    notify: e.notify,
    pre: list(e.pre),
    post: list(e.post),
    recovery: e.recovery && { command: e.recovery.command, retries: e.recovery.retries },
    timeLimitMs: optMs(e.timeLimit),
  }));

  const userEvents: UserEventDef[] = file.userEvents.map((u, i) => ({
    at: ['userEvents', i],
    name: u.name,
    resourceVariable: u.resourceVariable,
    instance: u.instance,
    predicate: u.predicate,
    rearm: u.rearm,
    intervalMs: ms(u.interval),
    program: steps(u.program),
    programFile: u.programFile,
  }));

  return {
    config: {
      cluster: { name: file.cluster.name, id: file.cluster.id, port: file.cluster.port },
      quorum: {
        at: ['quorum'],
        tieBreaker: file.quorum.tieBreaker,
        noQuorumAction: file.quorum.noQuorumAction,
      },
      tunables: {
        heartbeat: hb,
        settlingTimeMs: ms(file.tunables.settlingTime),
        eventTimeLimitMs: ms(file.tunables.eventTimeLimit),
      },
      networks,
      nodes,
      resources,
      resourceGroups,
      dependencies,
      events,
      userEvents,
    },
    findings,
  };
}
