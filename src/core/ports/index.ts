// The seams between the sans-I/O core and the world. Named re-exports keep the surface explicit.
export type { Clock } from './clock.js';
export type { TimerHandle, Timers } from './timers.js';
export { checkDelayMs } from './timers.js';
export type { Random } from './random.js';
export { MAC_TAG_BYTES, type MessageAuthenticator } from './mac.js';
export type {
  DatagramBindOptions,
  DatagramHandlers,
  DatagramSocket,
  DatagramTransport,
  StreamAddress,
  StreamConnection,
  StreamConnectOptions,
  StreamListener,
  StreamListenHandlers,
  StreamTransport,
} from './transport.js';
export type { DurableStore } from './store.js';
export {
  MAX_STORE_KEY_LENGTH,
  isValidStoreKey,
  validateStoreKey,
  validateStoreKeyPrefix,
} from './store.js';
export type { Argv, ProcessResult, ProcessRunner, ProcessSpec, ShellCommand } from './process.js';
