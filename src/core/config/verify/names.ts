// Uniqueness: every name and every address in the definition means one thing. The second
// use is reported, naming the first, so the administrator can decide which one to change.

import type { Finding, Path } from '../diagnostic.js';
import { formatPath } from '../diagnostic.js';
import { isBuiltinEvent } from '../events.js';
import type { ClusterConfig, InterfaceDef } from '../model.js';
import type { IpAddress } from '../../net/ip.js';
import { addressKey, describeResource } from './lookup.js';

interface Entry<T> {
  readonly key: string;
  readonly item: T;
}

/** Calls `report` for every entry whose key an earlier entry already has. */
function duplicates<T>(
  entries: Iterable<Entry<T>>,
  report: (dup: T, first: T) => Finding | undefined,
): Finding[] {
  const first = new Map<string, T>();
  const out: Finding[] = [];
  for (const { key, item } of entries) {
    const prev = first.get(key);
    if (prev === undefined) {
      first.set(key, item);
      continue;
    }
    const f = report(item, prev);
    if (f) out.push(f);
  }
  return out;
}

function defaultInterfaceName(i: InterfaceDef): boolean {
  return i.name === `${i.node}-${i.device}` || i.name === `${i.node}-${i.network}`;
}

export function checkNames(config: ClusterConfig): Finding[] {
  const out: Finding[] = [];

  out.push(
    ...duplicates(
      config.nodes.map((n) => ({ key: n.name, item: n })),
      (n, first) => ({
        severity: 'error',
        code: 'duplicate-node-name',
        path: [...n.at, 'name'],
        message: `node name ${n.name} is already taken by the node at ${formatPath(first.at)}`,
        expected: 'a name no other node has',
        hint: 'rename one of the two nodes (the name is usually the host name)',
      }),
    ),
    ...duplicates(
      config.nodes.map((n) => ({ key: String(n.id), item: n })),
      (n, first) => ({
        severity: 'error',
        code: 'duplicate-node-id',
        path: [...n.at, 'id'],
        message: `node id ${n.id} of ${n.name} is already the id of ${first.name} at ${formatPath(first.at)}`,
        expected: 'an id no other node has',
        hint: 'give each node its own id; keep the ids of nodes that already run the cluster',
      }),
    ),
    ...duplicates(
      config.networks.map((n) => ({ key: n.name, item: n })),
      (n, first) => ({
        severity: 'error',
        code: 'duplicate-network-name',
        path: [...n.at, 'name'],
        message: `network name ${n.name} is already taken by the network at ${formatPath(first.at)}`,
        expected: 'a name no other network has',
      }),
    ),
    ...duplicates(
      config.nodes.flatMap((n) => n.interfaces).map((i) => ({ key: i.name, item: i })),
      (i, first) => {
        // Same node and same device is reported as duplicate-device, and two interfaces of a
        // node on one disk heartbeat network as diskhb-multiple-interfaces: the name clash is
        // only a consequence of those when the names are the defaults.
        if (
          i.node === first.node &&
          defaultInterfaceName(i) &&
          (i.device === first.device || i.network === first.network)
        ) {
          return undefined;
        }
        return {
          severity: 'error',
          code: 'duplicate-interface-name',
          path: [...i.at, 'name'],
          message:
            `interface name ${i.name} (${i.node}, ${i.network}) is already the name of the interface of ${first.node} at ${formatPath(first.at)}` +
            (defaultInterfaceName(i) ? `; ${i.name} is the default name, node-device` : ''),
          expected: 'an interface name unique in the cluster',
          hint: 'set name: on one of the two interfaces',
        };
      },
    ),
  );

  // Persistent labels and interfaces are both IP labels shown in status: one namespace.
  type Label = { kind: 'interface' | 'persistent label'; name: string; at: Path; node: string };
  out.push(
    ...duplicates<Label>(
      [
        ...config.nodes.flatMap((n) => n.interfaces),
        ...config.nodes.flatMap((n) => n.persistentLabels),
      ].map((x) => ({
        key: x.name,
        item: {
          kind: 'device' in x ? 'interface' : 'persistent label',
          name: x.name,
          at: x.at,
          node: x.node,
        },
      })),
      (l, first) =>
        l.kind === 'interface'
          ? undefined // reported above
          : {
              severity: 'error',
              code: 'duplicate-persistent-label',
              path: [...l.at, 'name'],
              message: `persistent label ${l.name} of ${l.node} is already the name of the ${first.kind} of ${first.node} at ${formatPath(first.at)}`,
              expected: 'a label name unique in the cluster, among interfaces and labels',
              hint: 'set another name: on the persistent label',
            },
    ),
  );

  out.push(
    ...duplicates(
      config.resources.map((r) => ({ key: r.name, item: r })),
      (r, first) => ({
        severity: 'error',
        code: 'duplicate-resource-name',
        path: [...r.at, 'name'],
        message: `resource name ${r.name} is already the ${describeResource(first)} at ${formatPath(first.at)}`,
        expected: 'a name unique across all kinds of resource',
        hint: 'groups list resources by name alone, so each name must say which resource it is',
      }),
    ),
    ...config.resources.flatMap((r) =>
      r.kind === 'application'
        ? duplicates(
            r.monitors.map((m) => ({ key: m.name, item: m })),
            (m, first) => ({
              severity: 'error',
              code: 'duplicate-monitor-name',
              path: [...m.at, 'name'],
              message: `monitor name ${m.name} of application ${r.name} is already taken by the monitor at ${formatPath(first.at)}`,
              expected: 'a monitor name unique within its application',
            }),
          )
        : [],
    ),
    ...duplicates(
      config.resourceGroups.map((g) => ({ key: g.name, item: g })),
      (g, first) => ({
        severity: 'error',
        code: 'duplicate-group-name',
        path: [...g.at, 'name'],
        message: `resource group name ${g.name} is already taken by the group at ${formatPath(first.at)}`,
        expected: 'a name no other resource group has',
      }),
    ),
    ...duplicates(
      config.userEvents.map((u) => ({ key: u.name, item: u })),
      (u, first) => ({
        severity: 'error',
        code: 'duplicate-user-event',
        path: [...u.at, 'name'],
        message: `user event name ${u.name} is already taken by the user event at ${formatPath(first.at)}`,
        expected: 'a name no other event has',
      }),
    ),
  );

  for (const u of config.userEvents) {
    if (isBuiltinEvent(u.name)) {
      out.push({
        severity: 'error',
        code: 'user-event-builtin-name',
        path: [...u.at, 'name'],
        message: `user event ${u.name} has the name of a built-in event`,
        expected: 'a name that is not a built-in event',
        hint: `rename it (e.g. ${u.name}_user); to add commands to the built-in ${u.name}, use events.${u.name}`,
      });
    }
  }

  out.push(...checkAddresses(config));
  return out;
}

interface AddressUse {
  readonly address: IpAddress;
  readonly what: string;
  readonly at: Path;
}

/**
 * Boot, persistent and service addresses, compared by value: 2001:db8::1 and
 * 2001:DB8:0:0::1 are the same address, and an address used twice is an address conflict
 * on the wire whichever node holds it.
 */
function checkAddresses(config: ClusterConfig): Finding[] {
  const uses: AddressUse[] = [];
  for (const n of config.nodes) {
    for (const i of n.interfaces) {
      if (i.address) {
        uses.push({
          address: i.address.address,
          what: `the boot address of interface ${i.name} (${n.name})`,
          at: [...i.at, 'address'],
        });
      }
    }
    for (const p of n.persistentLabels) {
      uses.push({
        address: p.address.address,
        what: `persistent label ${p.name} (${n.name})`,
        at: [...p.at, 'address'],
      });
    }
  }
  for (const r of config.resources) {
    if (r.kind === 'serviceIp' && r.ip) {
      uses.push({
        address: r.ip.cidr.address,
        what: `service IP ${r.name}`,
        at: [...r.at, 'address'],
      });
    }
  }
  return duplicates(
    uses.map((u) => ({ key: addressKey(u.address), item: u })),
    (u, first) => ({
      severity: 'error',
      code: 'duplicate-address',
      path: u.at,
      message: `address ${u.address.text}, ${u.what}, is already ${first.what} at ${formatPath(first.at)}`,
      expected: 'an address used once in the cluster',
      hint: 'every boot address, persistent label and service address needs its own address',
    }),
  );
}
