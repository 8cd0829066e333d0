// The cluster definition as the rest of Haven uses it: names resolved to records, defaults
// applied, durations in milliseconds, legacy policy names expanded. Every entity remembers
// `at`, its path in the file, so that any later check can point the administrator at the line.

import type { Path } from './diagnostic.js';
import type { Cidr } from '../net/ip.js';
import type {
  DYNAMIC_PRIORITY_POLICIES,
  FALLBACK_POLICIES,
  FALLOVER_POLICIES,
  LEGACY_POLICIES,
  STARTUP_POLICIES,
} from './schema.js';

export type StartupPolicy = (typeof STARTUP_POLICIES)[number];
export type FalloverPolicy = (typeof FALLOVER_POLICIES)[number];
export type FallbackPolicy = (typeof FALLBACK_POLICIES)[number];
export type LegacyPolicy = (typeof LEGACY_POLICIES)[number];
export type DynamicPriorityPolicy = (typeof DYNAMIC_PRIORITY_POLICIES)[number];

export interface HeartbeatTiming {
  readonly intervalMs: number;
  readonly sensitivity: number;
}

export interface NetworkDef {
  readonly at: Path;
  readonly name: string;
  /** 1-based position in the file: lower numbers are processed first. */
  readonly number: number;
  readonly type: 'ether' | 'diskhb';
  /** Set for ether networks (default alias); undefined for diskhb. */
  readonly ipat: 'alias' | 'replacement' | undefined;
  /** Cluster-wide tunables with this network's overrides applied. */
  readonly heartbeat: HeartbeatTiming;
}

export interface InterfaceDef {
  readonly at: Path;
  readonly name: string;
  readonly node: string;
  readonly network: string;
  readonly device: string;
  /** Boot address (ether). */
  readonly address: Cidr | undefined;
  /** Disk slot (diskhb): explicit, or the node id. */
  readonly slot: number | undefined;
}

export interface PersistentLabelDef {
  readonly at: Path;
  readonly name: string;
  readonly node: string;
  readonly network: string;
  readonly address: Cidr;
}

export interface NodeDef {
  readonly at: Path;
  readonly name: string;
  readonly id: number;
  readonly votes: number;
  readonly interfaces: readonly InterfaceDef[];
  readonly persistentLabels: readonly PersistentLabelDef[];
}

interface ResourceBase {
  readonly at: Path;
  readonly name: string;
}

export interface ServiceIpResource extends ResourceBase {
  readonly kind: 'serviceIp';
  readonly network: string;
  readonly address: string;
  /** Parsed address; the prefix is undefined when the file gave none (it comes from the boot subnet). */
  readonly ip: { readonly cidr: Cidr; readonly prefixGiven: boolean } | undefined;
  readonly arp: boolean;
}

export interface VolumeGroupResource extends ResourceBase {
  readonly kind: 'volumeGroup';
  readonly vg: string;
}

export interface FilesystemResource extends ResourceBase {
  readonly kind: 'filesystem';
  readonly device: string;
  readonly mountpoint: string;
  readonly fstype: string | undefined;
  readonly options: string | undefined;
  readonly fsck: boolean;
  readonly forceUnmount: boolean;
  readonly timeoutMs: number;
}

export interface MonitorDef {
  readonly at: Path;
  readonly name: string;
  readonly type: 'process' | 'custom';
  readonly process: string | undefined;
  readonly owner: string | undefined;
  readonly instances: number;
  readonly command: string | undefined;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly stabilizationMs: number;
  readonly restartCount: number;
  readonly restartIntervalMs: number;
  readonly failureAction: 'fallover' | 'notify';
  readonly notifyCommand: string | undefined;
  readonly cleanupCommand: string | undefined;
  readonly restartCommand: string | undefined;
}

export interface ApplicationResource extends ResourceBase {
  readonly kind: 'application';
  readonly start: string;
  readonly stop: string;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly background: boolean;
  readonly monitors: readonly MonitorDef[];
}

export interface OcfResource extends ResourceBase {
  readonly kind: 'ocf';
  readonly provider: string;
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
  readonly monitorIntervalMs: number;
  readonly timeoutsMs: { readonly start: number; readonly stop: number; readonly monitor: number };
}

export interface SystemdResource extends ResourceBase {
  readonly kind: 'systemd';
  readonly unit: string;
  readonly timeoutMs: number;
}

export type ResourceDef =
  | ServiceIpResource
  | VolumeGroupResource
  | FilesystemResource
  | ApplicationResource
  | OcfResource
  | SystemdResource;

export type ResourceKind = ResourceDef['kind'];

/** The order in which a group acquires its resources; release is the reverse. */
export const ACQUIRE_ORDER: readonly ResourceKind[] = [
  'volumeGroup',
  'filesystem',
  'serviceIp',
  'application',
  'ocf',
  'systemd',
];

export interface FallbackTimerDef {
  readonly recurrence: 'daily' | 'weekly' | 'monthly' | 'yearly' | 'once';
  readonly at: string;
  readonly weekday: string | undefined;
  readonly day: number | undefined;
  readonly month: number | undefined;
  readonly date: string | undefined;
}

export interface ResourceGroupDef {
  readonly at: Path;
  readonly name: string;
  readonly nodes: readonly string[];
  /** The legacy name the file used, if any: kept for display. */
  readonly legacyPolicy: LegacyPolicy | undefined;
  readonly startup: StartupPolicy;
  readonly fallover: FalloverPolicy;
  readonly fallback: FallbackPolicy;
  readonly fallbackTimer: FallbackTimerDef | undefined;
  readonly dynamicPriority:
    | {
        readonly policy: DynamicPriorityPolicy;
        readonly script: string | undefined;
        readonly timeoutMs: number;
      }
    | undefined;
  /** Resource names, in the order the file lists them. */
  readonly resources: readonly string[];
}

export type DependencyDef =
  | {
      readonly at: Path;
      readonly type: 'parent-child';
      readonly parent: string;
      readonly child: string;
    }
  | {
      readonly at: Path;
      readonly type: 'start-after';
      readonly group: string;
      readonly after: string;
    }
  | {
      readonly at: Path;
      readonly type: 'stop-after';
      readonly group: string;
      readonly after: string;
    }
  | { readonly at: Path; readonly type: 'same-node'; readonly groups: readonly string[] }
  | {
      readonly at: Path;
      readonly type: 'different-nodes';
      readonly high: readonly string[];
      readonly intermediate: readonly string[];
      readonly low: readonly string[];
    };

export type RecoveryStep =
  | { readonly type: 'barrier' }
  | {
      readonly type: 'command';
      readonly on: 'all' | 'event' | 'other';
      readonly run: string;
      /** Expected exit status; undefined means any (the reference's X). */
      readonly expect: number | undefined;
    };

export interface EventCustomizationDef {
  readonly at: Path;
  readonly event: string;
  readonly notify: string | undefined;
  readonly pre: readonly string[];
  readonly post: readonly string[];
  readonly recovery: { readonly command: string; readonly retries: number } | undefined;
  readonly timeLimitMs: number | undefined;
}

export interface UserEventDef {
  readonly at: Path;
  readonly name: string;
  readonly resourceVariable: string;
  readonly instance: string | Readonly<Record<string, string | number>> | undefined;
  readonly predicate: string;
  readonly rearm: string | undefined;
  /** How often the variable is sampled on each node watching it. */
  readonly intervalMs: number;
  readonly program: readonly RecoveryStep[] | undefined;
  readonly programFile: string | undefined;
}

export type TieBreakerDef =
  | { readonly type: 'none' }
  | { readonly type: 'disk'; readonly network: string }
  | { readonly type: 'server'; readonly address: string; readonly port: number };

export interface QuorumDef {
  readonly at: Path;
  readonly tieBreaker: TieBreakerDef;
  readonly noQuorumAction: 'release' | 'freeze';
}

export interface ClusterConfig {
  readonly cluster: { readonly name: string; readonly id: number; readonly port: number };
  readonly quorum: QuorumDef;
  readonly tunables: {
    readonly heartbeat: HeartbeatTiming;
    readonly settlingTimeMs: number;
    readonly eventTimeLimitMs: number;
  };
  readonly networks: readonly NetworkDef[];
  readonly nodes: readonly NodeDef[];
  readonly resources: readonly ResourceDef[];
  readonly resourceGroups: readonly ResourceGroupDef[];
  readonly dependencies: readonly DependencyDef[];
  readonly events: readonly EventCustomizationDef[];
  readonly userEvents: readonly UserEventDef[];
}
