// The sd_notify(3) protocol with systemd, for Type=notify: READY=1 once the agent has started,
// STOPPING=1 when it stops, and WATCHDOG=1 pings while the agent is healthy (WatchdogSec=).
// Node cannot send on a unix datagram socket, so each message is one run of systemd-notify,
// with the agent's pid (the unit sets NotifyAccess=all for it). Outside systemd (no
// NOTIFY_SOCKET) nothing is sent.

import { execFile } from 'node:child_process';

export interface Notifier {
  ready(): void;
  stopping(): void;
  /**
   * Starts the watchdog pings at half of systemd's WatchdogSec: each ping is sent only when
   * `healthy()` says so, so a stuck event loop or a dead heartbeat thread gets the agent
   * restarted. Returns the stop function.
   */
  watchdog(healthy: () => Promise<boolean>): () => void;
}

export function systemdNotifier(env: NodeJS.ProcessEnv = process.env): Notifier {
  const socket = env['NOTIFY_SOCKET'];
  const send = (...words: string[]): void => {
    if (socket === undefined || socket === '') return;
    execFile(
      'systemd-notify',
      [`--pid=${String(process.pid)}`, ...words],
      { env: { NOTIFY_SOCKET: socket, PATH: '/usr/bin:/bin:/usr/sbin:/sbin' }, timeout: 5000 },
      () => undefined,
    );
  };
  const usec = Number(env['WATCHDOG_USEC']);
  const pid = env['WATCHDOG_PID'];
  const watchdogMs =
    Number.isFinite(usec) && usec > 0 && (pid === undefined || Number(pid) === process.pid)
      ? usec / 1000
      : 0;
  return {
    ready: () => {
      send('--ready');
    },
    stopping: () => {
      send('STOPPING=1');
    },
    watchdog: (healthy) => {
      if (watchdogMs <= 0 || socket === undefined) return () => undefined;
      const timer = setInterval(() => {
        void healthy().then(
          (ok) => {
            if (ok) send('WATCHDOG=1');
          },
          () => undefined,
        );
      }, watchdogMs / 2);
      timer.unref();
      return () => {
        clearInterval(timer);
      };
    },
  };
}
