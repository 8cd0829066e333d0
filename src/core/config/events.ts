// The built-in cluster events (the reference's event scripts), which every cluster has.

export const BUILTIN_EVENTS = [
  'node_up',
  'node_up_complete',
  'node_down',
  'node_down_complete',
  'network_up',
  'network_up_complete',
  'network_down',
  'network_down_complete',
  'swap_adapter',
  'swap_adapter_complete',
  'fail_interface',
  'join_interface',
  'rg_move',
  'rg_online',
  'rg_offline',
  'server_down',
  'server_restart',
  'reconfig_topology',
  'reconfig_resource',
  'config_too_long',
  'event_error',
] as const;

export type BuiltinEvent = (typeof BUILTIN_EVENTS)[number];

export function isBuiltinEvent(name: string): name is BuiltinEvent {
  return (BUILTIN_EVENTS as readonly string[]).includes(name);
}

/**
 * Scripts that the built-in recovery programs run besides the events' own names (see
 * src/core/events/builtin.ts): they can be customised under `events` too, to hook a command
 * around one step of an event.
 */
export const EVENT_SCRIPTS = [
  'rg_move_release',
  'rg_move_acquire',
  'rg_move_complete',
  'rg_online_complete',
  'rg_offline_complete',
  'server_down_complete',
  'server_restart_complete',
  'reconfig_topology_start',
  'reconfig_topology_complete',
  'reconfig_resource_release',
  'reconfig_resource_acquire',
  'reconfig_resource_complete',
] as const;

/** Names that `events` may customise: the built-in events and the scripts of their programs. */
export const CUSTOMIZABLE_EVENTS: readonly string[] = [...BUILTIN_EVENTS, ...EVENT_SCRIPTS];
