// The main thread's handle on the heartbeat worker.

import { Worker } from 'node:worker_threads';
import type { TopologyEvent } from '../../core/topology/events.js';
import type { FromWorker, LoopDelay, ToWorker, WorkerInit } from './messages.js';
import type { RunnerProblem, RunnerStatus } from './runner.js';

export interface HeartbeatServiceHandlers {
  readonly onEvent: (event: TopologyEvent, wallMs: number) => void;
  readonly onProblem: (problem: RunnerProblem, wallMs: number) => void;
  /** The worker died: topology services are gone, which the agent must treat as fatal. */
  readonly onExit: (error: string) => void;
}

export class HeartbeatService {
  readonly #worker: Worker;
  #nextId = 1;
  readonly #pending = new Map<number, (m: FromWorker) => void>();
  #stopped: (() => void) | undefined;
  #exited = false;

  private constructor(worker: Worker) {
    this.#worker = worker;
  }

  static start(init: WorkerInit, handlers: HeartbeatServiceHandlers): Promise<HeartbeatService> {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
    const service = new HeartbeatService(worker);
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('message', (m: FromWorker) => {
        switch (m.type) {
          case 'ready':
            ready = true;
            resolve(service);
            break;
          case 'failed':
            if (!ready) reject(new Error(`the heartbeat worker failed to start: ${m.error}`));
            else handlers.onExit(m.error);
            break;
          case 'event':
            handlers.onEvent(m.event, m.wallMs);
            break;
          case 'problem':
            handlers.onProblem(m.problem, m.wallMs);
            break;
          case 'stopped':
            service.#stopped?.();
            break;
          case 'status':
          case 'closed-interface':
            service.#pending.get(m.id)?.(m);
            service.#pending.delete(m.id);
            break;
        }
      });
      worker.on('error', (e) => {
        if (!ready) reject(e);
        else handlers.onExit(e.stack ?? e.message);
      });
      worker.on('exit', (code) => {
        service.#exited = true;
        for (const done of service.#pending.values()) done({ type: 'stopped' });
        service.#pending.clear();
        service.#stopped?.();
        if (!ready)
          reject(new Error(`the heartbeat worker exited with code ${code} before it was ready`));
        else if (!service.#stopped)
          handlers.onExit(`the heartbeat worker exited with code ${code}`);
      });
    });
  }

  #ask(m: ToWorker & { id: number }): Promise<FromWorker> {
    if (this.#exited) return Promise.resolve({ type: 'stopped' });
    return new Promise((resolve) => {
      this.#pending.set(m.id, resolve);
      this.#worker.postMessage(m);
    });
  }

  async status(): Promise<{ status: RunnerStatus; loopDelay: LoopDelay } | undefined> {
    const m = await this.#ask({ type: 'status', id: this.#nextId++ });
    return m.type === 'status' ? { status: m.status, loopDelay: m.loopDelay } : undefined;
  }

  async closeInterface(name: string): Promise<boolean> {
    const m = await this.#ask({ type: 'close-interface', id: this.#nextId++, name });
    return m.type === 'closed-interface' && m.ok;
  }

  stop(): Promise<void> {
    if (this.#exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.#stopped = resolve;
      this.#worker.postMessage({ type: 'stop' } satisfies ToWorker);
    });
  }
}
