// The heartbeat worker thread: runs the heartbeat runner in its own event loop and heap, so
// that nothing the main thread does (event processing, logging, large JSON, garbage
// collection of the main heap) can delay a heartbeat or make us misjudge a peer.

import { parentPort, workerData } from 'node:worker_threads';
import { parseClusterDefinition } from '../../core/config/load.js';
import { SystemClock } from '../../runtime/clock.js';
import { HmacSha256Authenticator } from '../../runtime/hmac.js';
import { SystemTimers } from '../../runtime/timers.js';
import { UdpTransport } from '../../runtime/udp.js';
import { startLoopDelayMonitor } from '../loop-delay.js';
import type { FromWorker, ToWorker, WorkerInit } from './messages.js';
import { HeartbeatRunner } from './runner.js';

function requirePort(): NonNullable<typeof parentPort> {
  if (!parentPort) throw new Error('the heartbeat worker must run in a worker thread');
  return parentPort;
}
const port = requirePort();
const post = (m: FromWorker): void => {
  port.postMessage(m);
};

async function main(init: WorkerInit): Promise<void> {
  const loaded = parseClusterDefinition(init.configText, init.configFile);
  if (!loaded.config)
    throw new Error('the cluster definition did not load in the heartbeat worker');
  const loop = startLoopDelayMonitor();
  const runner = await HeartbeatRunner.start({
    config: loaded.config,
    localNode: init.localNode,
    incarnation: init.incarnation,
    mac: new HmacSha256Authenticator(init.key),
    clock: new SystemClock(),
    timers: new SystemTimers(),
    udp: new UdpTransport(),
    createDiskFiles: init.createDiskFiles,
    onEvent: (event) => {
      post({ type: 'event', event, wallMs: Date.now() });
    },
    onProblem: (problem) => {
      post({ type: 'problem', problem, wallMs: Date.now() });
    },
  });
  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'status':
        post({ type: 'status', id: m.id, status: runner.status(), loopDelay: loop.read() });
        break;
      case 'close-interface':
        void runner.closeInterface(m.name).then((ok) => {
          post({ type: 'closed-interface', id: m.id, ok });
        });
        break;
      case 'stop':
        void runner.stop().then(() => {
          loop.stop();
          post({ type: 'stopped' });
          port.close();
        });
        break;
    }
  });
  post({ type: 'ready' });
}

main(workerData as WorkerInit).catch((e: unknown) => {
  post({ type: 'failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
});
