// The detector's own view of the cluster topology: plain data, deliberately not the config
// schema (an adapter maps the cluster configuration onto this), plus the one-time
// normalisation that turns it into sorted, indexed tables the detector works on.
import { HavenError } from '../errors.js';

export type NodeId = string;
export type NetworkId = string;
export type InterfaceId = string;

/** 'ip': an IP network (UDP heartbeats); 'disk': a non-IP disk-heartbeat path. */
export type NetworkKind = 'ip' | 'disk';

export interface NetworkSpec {
  readonly id: NetworkId;
  readonly kind: NetworkKind;
  /** Time between two heartbeats on this network, in ms. */
  readonly intervalMs: number;
  /** Heartbeats that may be missed: a peer interface is down after sensitivity × interval of silence. */
  readonly sensitivity: number;
}

export interface InterfaceSpec {
  /** Unique in the whole cluster (heartbeats name their sending interface by this id). */
  readonly id: InterfaceId;
  readonly network: NetworkId;
}

export interface NodeSpec {
  readonly id: NodeId;
  readonly interfaces: readonly InterfaceSpec[];
}

export interface TopologyModel {
  /** This node. Its entry in `nodes`, if any, is not monitored; it only reserves its interface ids. */
  readonly localNode: NodeId;
  readonly networks: readonly NetworkSpec[];
  /** Every node of the cluster; listing the local node is allowed and optional. */
  readonly nodes: readonly NodeSpec[];
  /**
   * Local stall rule (see README): an input counts as arriving after a stall of our own
   * when it comes more than this long after the previous input...
   * @default the shortest detection time (interval × sensitivity) of the networks in use
   */
  readonly stallThresholdMs?: number | undefined;
  /**
   * ...and more than this long after the wake-up time (`nextDeadlineMs`) we asked for.
   * @default the shortest heartbeat interval of the networks in use
   */
  readonly stallToleranceMs?: number | undefined;
}

/** The model is not usable; `field` is a path into the model, such as `nodes[1].interfaces[0].network`. */
export class TopologyModelError extends HavenError<{
  readonly field: string;
  readonly expected: string;
  readonly value: unknown;
}> {
  constructor(field: string, expected: string, value: unknown) {
    super(
      'TOPOLOGY_MODEL',
      `topology model: ${field}: expected ${expected}, got ${describe(value)}`,
      {
        details: { field, expected, value },
      },
    );
  }

  get field(): string {
    return this.details.field;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === undefined) return 'undefined';
  return typeof value;
}

const networkKinds: readonly unknown[] = ['ip', 'disk'] satisfies NetworkKind[];

/** Time after which a silent interface on `net` is down. */
export function detectionTimeMs(net: Pick<NetworkSpec, 'intervalMs' | 'sensitivity'>): number {
  return net.intervalMs * net.sensitivity;
}

// ---- compiled form -------------------------------------------------------------------

export interface CompiledNetwork extends NetworkSpec {
  readonly detectionMs: number;
}

/** A monitored (peer) interface. Sorted by (node, network, id): a node's are contiguous. */
export interface CompiledInterface {
  readonly id: InterfaceId;
  readonly node: NodeId;
  readonly nodeIndex: number;
  readonly network: NetworkId;
  /** Index into `pairs`: this interface's (node, network). */
  readonly pairIndex: number;
  readonly intervalMs: number;
  readonly detectionMs: number;
}

/** One (peer node, network) on which that node has at least one interface. */
export interface CompiledPair {
  readonly node: NodeId;
  readonly network: NetworkId;
  readonly kind: NetworkKind;
  readonly firstInterface: number;
  readonly endInterface: number;
}

export interface CompiledPeer {
  readonly id: NodeId;
  readonly firstInterface: number;
  readonly endInterface: number;
  readonly firstPair: number;
  readonly endPair: number;
}

export interface CompiledModel {
  readonly localNode: NodeId;
  readonly networks: readonly CompiledNetwork[];
  readonly peers: readonly CompiledPeer[];
  readonly pairs: readonly CompiledPair[];
  readonly interfaces: readonly CompiledInterface[];
  /** Peer interface id → index into `interfaces`. */
  readonly interfaceIndex: ReadonlyMap<InterfaceId, number>;
  /** The local node's interface ids (heartbeats "from" them are our own, looped back). */
  readonly localInterfaces: ReadonlySet<InterfaceId>;
  readonly stallThresholdMs: number;
  readonly stallToleranceMs: number;
}

/** Code-unit order: unlike localeCompare, the same on every host. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkId(field: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TopologyModelError(field, 'a non-empty string', value);
  }
}

function checkDuration(field: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TopologyModelError(field, `a finite number of ms >= ${min}`, value);
  }
}

/** Validates and normalises a model. Throws TopologyModelError on the first problem. */
export function compileModel(model: TopologyModel): CompiledModel {
  checkId('localNode', model.localNode);

  const networks = new Map<NetworkId, CompiledNetwork>();
  model.networks.forEach((n, i) => {
    checkId(`networks[${i}].id`, n.id);
    if (networks.has(n.id)) throw new TopologyModelError(`networks[${i}].id`, 'a unique id', n.id);
    // The types say this cannot happen; the model may come from untyped data all the same.
    if (!networkKinds.includes(n.kind)) {
      throw new TopologyModelError(`networks[${i}].kind`, "'ip' or 'disk'", n.kind);
    }
    checkDuration(`networks[${i}].intervalMs`, n.intervalMs, Number.MIN_VALUE);
    if (!Number.isSafeInteger(n.sensitivity) || n.sensitivity < 1) {
      throw new TopologyModelError(`networks[${i}].sensitivity`, 'an integer >= 1', n.sensitivity);
    }
    networks.set(n.id, { ...n, detectionMs: detectionTimeMs(n) });
  });

  const nodeIds = new Set<NodeId>();
  const allInterfaces = new Set<InterfaceId>();
  const localInterfaces = new Set<InterfaceId>();
  const raw: { id: InterfaceId; node: NodeId; network: CompiledNetwork }[] = [];
  model.nodes.forEach((node, i) => {
    checkId(`nodes[${i}].id`, node.id);
    if (nodeIds.has(node.id))
      throw new TopologyModelError(`nodes[${i}].id`, 'a unique id', node.id);
    nodeIds.add(node.id);
    const local = node.id === model.localNode;
    if (!local && node.interfaces.length === 0) {
      throw new TopologyModelError(
        `nodes[${i}].interfaces`,
        'at least one interface (a peer without one could never be heard)',
        'none',
      );
    }
    node.interfaces.forEach((itf, j) => {
      const field = `nodes[${i}].interfaces[${j}]`;
      checkId(`${field}.id`, itf.id);
      if (allInterfaces.has(itf.id)) {
        throw new TopologyModelError(
          `${field}.id`,
          'an interface id unique in the cluster',
          itf.id,
        );
      }
      allInterfaces.add(itf.id);
      const net = networks.get(itf.network);
      if (net === undefined) {
        throw new TopologyModelError(`${field}.network`, 'the id of a listed network', itf.network);
      }
      if (local) localInterfaces.add(itf.id);
      else raw.push({ id: itf.id, node: node.id, network: net });
    });
  });

  raw.sort(
    (a, b) =>
      compareIds(a.node, b.node) ||
      compareIds(a.network.id, b.network.id) ||
      compareIds(a.id, b.id),
  );

  const interfaces: CompiledInterface[] = [];
  const pairs: { -readonly [K in keyof CompiledPair]: CompiledPair[K] }[] = [];
  const peers: { -readonly [K in keyof CompiledPeer]: CompiledPeer[K] }[] = [];
  const interfaceIndex = new Map<InterfaceId, number>();
  raw.forEach((r, k) => {
    let peer = peers.at(-1);
    if (peer?.id !== r.node) {
      const firstPair = pairs.length;
      peer = { id: r.node, firstInterface: k, endInterface: k, firstPair, endPair: firstPair };
      peers.push(peer);
    }
    let pair = pairs.at(-1);
    if (pair?.node !== r.node || pair.network !== r.network.id) {
      pair = {
        node: r.node,
        network: r.network.id,
        kind: r.network.kind,
        firstInterface: k,
        endInterface: k,
      };
      pairs.push(pair);
    }
    pair.endInterface = k + 1;
    peer.endInterface = k + 1;
    peer.endPair = pairs.length;
    interfaceIndex.set(r.id, k);
    interfaces.push({
      id: r.id,
      node: r.node,
      nodeIndex: peers.length - 1,
      network: r.network.id,
      pairIndex: pairs.length - 1,
      intervalMs: r.network.intervalMs,
      detectionMs: r.network.detectionMs,
    });
  });

  // Defaults come from the networks actually monitored; with no peers they never matter.
  if (model.stallThresholdMs !== undefined) {
    checkDuration('stallThresholdMs', model.stallThresholdMs, 0);
  }
  if (model.stallToleranceMs !== undefined) {
    checkDuration('stallToleranceMs', model.stallToleranceMs, 0);
  }
  const stallThresholdMs =
    model.stallThresholdMs ?? interfaces.reduce((m, i) => Math.min(m, i.detectionMs), Infinity);
  const stallToleranceMs =
    model.stallToleranceMs ?? interfaces.reduce((m, i) => Math.min(m, i.intervalMs), Infinity);

  return {
    localNode: model.localNode,
    networks: [...networks.values()].sort((a, b) => compareIds(a.id, b.id)),
    peers,
    pairs,
    interfaces,
    interfaceIndex,
    localInterfaces,
    stallThresholdMs,
    stallToleranceMs,
  };
}
