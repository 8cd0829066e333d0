// References: every name the definition uses must be defined, with a "did you mean" for the
// likely typo; lists that name things name each one once; a resource belongs to one group.

import type { Finding, Path } from '../diagnostic.js';
import { formatPath } from '../diagnostic.js';
import { CUSTOMIZABLE_EVENTS } from '../events.js';
import type { ClusterConfig, ResourceGroupDef } from '../model.js';
import { didYouMean } from '../suggest.js';
import { dependencyGroups, describeResource, lookup } from './lookup.js';

function unknown(
  code: string,
  what: string,
  name: string,
  path: Path,
  known: Iterable<string>,
  context: string,
): Finding {
  const names = [...known];
  return {
    severity: 'error',
    code,
    path,
    message: `${context} names ${what} "${name}", which is not defined${didYouMean(name, names)}`,
    expected: names.length ? `one of: ${names.join(', ')}` : `a ${what} defined in this file`,
    hint: `fix the name, or define the ${what}`,
  };
}

export function checkReferences(config: ClusterConfig): Finding[] {
  const out: Finding[] = [];
  const look = lookup(config);
  const networks = [...look.networks.keys()];

  for (const n of config.nodes) {
    for (const i of n.interfaces) {
      if (!look.networks.has(i.network)) {
        out.push(
          unknown(
            'unknown-network',
            'network',
            i.network,
            [...i.at, 'network'],
            networks,
            `interface ${i.device} of ${n.name}`,
          ),
        );
      }
    }
    for (const p of n.persistentLabels) {
      if (!look.networks.has(p.network)) {
        out.push(
          unknown(
            'unknown-network',
            'network',
            p.network,
            [...p.at, 'network'],
            networks,
            `persistent label ${p.name}`,
          ),
        );
      }
    }
  }
  for (const r of config.resources) {
    if (r.kind === 'serviceIp' && !look.networks.has(r.network)) {
      out.push(
        unknown(
          'unknown-network',
          'network',
          r.network,
          [...r.at, 'network'],
          networks,
          `service IP ${r.name}`,
        ),
      );
    }
  }

  const owner = new Map<string, { group: ResourceGroupDef; index: number }>();
  for (const g of config.resourceGroups) {
    const seenNodes = new Map<string, number>();
    g.nodes.forEach((node, i) => {
      const path: Path = [...g.at, 'nodes', i];
      const first = seenNodes.get(node);
      if (first !== undefined) {
        out.push({
          severity: 'error',
          code: 'duplicate-group-node',
          path,
          message: `group ${g.name} lists node ${node} twice (first at position ${first + 1})`,
          expected: 'each node once, in priority order',
          hint: `remove the second ${node}`,
        });
        return;
      }
      seenNodes.set(node, i);
      if (!look.nodes.has(node)) {
        out.push(unknown('unknown-node', 'node', node, path, look.nodes.keys(), `group ${g.name}`));
      }
    });

    const seenResources = new Set<string>();
    g.resources.forEach((name, i) => {
      const path: Path = [...g.at, 'resources', i];
      if (seenResources.has(name)) {
        out.push({
          severity: 'error',
          code: 'duplicate-group-resource',
          path,
          message: `group ${g.name} lists resource ${name} twice`,
          expected: 'each resource once',
          hint: `remove the second ${name}`,
        });
        return;
      }
      seenResources.add(name);
      const r = look.resources.get(name);
      if (!r) {
        out.push(
          unknown(
            'unknown-resource',
            'resource',
            name,
            path,
            look.resources.keys(),
            `group ${g.name}`,
          ),
        );
        return;
      }
      const first = owner.get(name);
      if (first) {
        out.push({
          severity: 'error',
          code: 'resource-in-two-groups',
          path,
          message: `${describeResource(r)} is in group ${g.name}, but already in group ${first.group.name} at ${formatPath([...first.group.at, 'resources', first.index])}`,
          expected: 'a resource in one group at most',
          hint: 'two groups could be online on two nodes at once, each acquiring it: remove it from one group, or define a second resource',
        });
        return;
      }
      owner.set(name, { group: g, index: i });
    });
  }
  for (const r of config.resources) {
    if (look.resources.get(r.name) === r && !owner.has(r.name)) {
      out.push({
        severity: 'warning',
        code: 'resource-not-in-group',
        path: [...r.at, 'name'],
        message: `${describeResource(r)} is in no resource group, so Haven never acquires it`,
        hint: `add ${r.name} to the resources of a group, or remove it`,
      });
    }
  }

  for (const dep of config.dependencies) {
    for (const { name, path } of dependencyGroups(dep)) {
      if (!look.groups.has(name)) {
        out.push(
          unknown(
            'unknown-group',
            'resource group',
            name,
            path,
            look.groups.keys(),
            `this ${dep.type} dependency`,
          ),
        );
      }
    }
  }

  const userEvents = config.userEvents.map((u) => u.name);
  for (const e of config.events) {
    if (!CUSTOMIZABLE_EVENTS.includes(e.event) && !userEvents.includes(e.event)) {
      const all = [...CUSTOMIZABLE_EVENTS, ...userEvents];
      out.push({
        severity: 'error',
        code: 'unknown-event',
        path: e.at,
        message: `events customises "${e.event}", which is neither a built-in event nor a user event${didYouMean(e.event, all)}`,
        expected: `a built-in event or script (${CUSTOMIZABLE_EVENTS.join(', ')}) or the name of a user event`,
        hint: 'fix the name, or define the event under userEvents',
      });
    }
  }
  return out;
}
