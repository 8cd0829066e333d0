// Fixtures for the CLI's view and request tests: replies shaped as api.ts says the agent sends
// them (a three-node cluster with a group moved by the operator, one in error, one offline),
// and a real control server answering them on a socket in a temporary directory.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  ClusterStatusReply,
  EventsReply,
  GroupView,
  RgInfoReply,
} from '../agent/control/api.js';
import { ControlServer, type ControlHandler } from '../agent/control/server.js';
import { run } from './main.js';
import type { Output } from './output.js';

/** 2025-03-14 10:00:00 UTC: the fixtures' "now" (tests that print times set TZ=UTC). */
export const NOW = Date.UTC(2025, 2, 14, 10, 0, 0);

const policies = {
  startup: 'online-on-home-node',
  fallover: 'next-priority-node',
  fallback: 'never',
  legacy: null,
};

export const GROUPS: readonly GroupView[] = [
  {
    group: 'web',
    nodes: ['node1', 'node2', 'node3'],
    policies: { ...policies, fallback: 'higher-priority-node', legacy: 'cascading' },
    placedOn: ['node1'],
    reason: 'node1: first available node of its list',
    override: null,
    states: { node1: 'online', node2: 'offline', node3: 'unknown' },
    resources: [
      { name: 'web_ip', kind: 'ip' },
      { name: 'web_fs', kind: 'filesystem' },
      { name: 'httpd', kind: 'ocf:heartbeat:apache' },
    ],
  },
  {
    group: 'db',
    nodes: ['node1', 'node2'],
    policies,
    placedOn: ['node2'],
    reason: 'node2: moved there by the operator (priority override)',
    override: 'node2',
    states: { node1: 'offline', node2: 'online' },
    resources: [{ name: 'pg', kind: 'systemd:postgresql' }],
  },
  {
    group: 'nfs',
    nodes: ['node2', 'node1'],
    policies,
    placedOn: ['node2'],
    reason: 'node2: first available node of its list',
    override: null,
    states: { node2: 'error', node1: 'offline' },
    resources: [{ name: 'nfs_fs', kind: 'filesystem' }],
  },
  {
    group: 'batch',
    nodes: ['node3', 'node1'],
    policies,
    placedOn: [],
    reason: 'offline: brought offline by the operator',
    override: 'offline',
    states: { node3: 'unknown', node1: 'offline' },
    resources: [],
  },
];

const ether = (state: 'up' | 'down', eth1: 'up' | 'down' = state) => ({
  network: 'net_ether_01',
  state,
  interfaces: [
    { name: 'eth0', address: '10.0.0.1', state },
    { name: 'eth1', address: '10.0.1.1', state: eth1 },
  ],
});

export const STATUS: ClusterStatusReply = {
  cluster: 'prod',
  node: 'node1',
  cm: {
    state: 'stable',
    view: { epoch: '4.2', members: ['node1', 'node2'] },
    quorum: 'majority',
    hasQuorum: true,
    stopping: false,
  },
  nodes: [
    {
      name: 'node1',
      id: 1,
      state: 'up',
      stopMode: null,
      networks: [ether('up'), { network: 'net_disk_01', state: 'up', interfaces: [] }],
    },
    {
      name: 'node2',
      id: 2,
      state: 'up',
      stopMode: null,
      networks: [ether('up', 'down'), { network: 'net_disk_01', state: 'up', interfaces: [] }],
    },
    {
      name: 'node3',
      id: 3,
      state: 'stopped',
      stopMode: 'graceful',
      networks: [ether('down'), { network: 'net_disk_01', state: 'down', interfaces: [] }],
    },
  ],
  groups: GROUPS,
  errors: [
    {
      node: 'node2',
      event: 'node_up',
      groups: ['nfs'],
      message:
        'start of nfs_fs failed: mount: /srv/nfs: special device /dev/vg0/nfs does not exist',
    },
  ],
};

export const RG_INFO: RgInfoReply = { cluster: 'prod', node: 'node1', groups: GROUPS };

const MIN = 60_000;
export const EVENTS: EventsReply = {
  node: 'node1',
  current: {
    id: '4.2.7',
    name: 'rg_move',
    node: 'node1',
    details: { group: 'db', target: 'node1' },
    startedAtMs: NOW - 4_200,
    status: 'barrier',
    releases: [],
    acquires: ['db'],
    error: null,
  },
  queue: [
    { name: 'rg_offline', node: 'node1' },
    { name: 'node_down', node: 'node3' },
  ],
  recent: [
    {
      id: '1.1.1',
      name: 'node_up',
      node: 'node3',
      details: {},
      startedAtMs: NOW - 26 * 60 * MIN,
      durationMs: 2_000,
      outcome: 'completed',
      message: null,
      released: [],
      acquired: [],
    },
    {
      id: '3.1.1',
      name: 'node_up',
      node: 'node1',
      details: {},
      startedAtMs: NOW - 42 * MIN,
      durationMs: 3_250,
      outcome: 'completed',
      message: null,
      released: [],
      acquired: ['web', 'db'],
    },
    {
      id: '4.1.1',
      name: 'node_down',
      node: 'node3',
      details: {},
      startedAtMs: NOW - 20 * MIN,
      durationMs: 800,
      outcome: 'abandoned',
      message: 'a view change ended it (node2 joined)',
      released: [],
      acquired: [],
    },
    {
      id: '4.2.1',
      name: 'rg_move',
      node: 'node1',
      details: { group: 'db', target: 'node2' },
      startedAtMs: NOW - 12 * MIN,
      durationMs: 61_500,
      outcome: 'completed',
      message: null,
      released: ['db'],
      acquired: [],
    },
    {
      id: '4.2.5',
      name: 'node_up',
      node: 'node2',
      details: {},
      startedAtMs: NOW - 5 * MIN,
      durationMs: 12_000,
      outcome: 'error',
      message: 'start of nfs_fs on node2 failed: mount exited 32',
      released: [],
      acquired: [],
    },
  ],
};

/** A control server on a socket in a fresh temporary directory; `close` removes both. */
export async function fixtureServer(
  handlers: Record<string, ControlHandler>,
): Promise<{ socket: string; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'haven-cli-ctl-'));
  const socket = join(dir, 'haven.sock');
  const server = await ControlServer.start(
    socket,
    new Map(Object.entries(handlers)),
    () => undefined,
  );
  return {
    socket,
    close: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs the haven command line in-process, capturing what it prints. */
export async function haven(
  ...args: string[]
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Output = {
    out: (t) => (out += t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => (err += t.endsWith('\n') ? t : `${t}\n`),
  };
  const code = await run(['node', 'haven', ...args], io);
  return { code, out, err };
}
