// Maps the cluster definition onto the detector's model. Node, network and interface ids are
// the names from the cluster file, so status and events speak the administrator's language.

import type { ClusterConfig } from '../config/model.js';
import type { TopologyModel } from './model.js';

export function topologyModelFromConfig(config: ClusterConfig, localNode: string): TopologyModel {
  return {
    localNode,
    networks: config.networks.map((n) => ({
      id: n.name,
      kind: n.type === 'diskhb' ? 'disk' : 'ip',
      intervalMs: n.heartbeat.intervalMs,
      sensitivity: n.heartbeat.sensitivity,
    })),
    nodes: config.nodes.map((node) => ({
      id: node.name,
      interfaces: node.interfaces.map((i) => ({ id: i.name, network: i.network })),
    })),
  };
}
