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
