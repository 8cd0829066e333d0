// Small probes the end-to-end tests share: who serves the demo application, a bounded wait,
// whether a process still runs.

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The node answering on the demo HTTP application (examples/demo/http-app.mjs) at
 * 127.0.0.1:`port`, or null when nobody answers within a second.
 */
export async function servedBy(port: number): Promise<string | null> {
  try {
    const r = await fetch(`http://127.0.0.1:${String(port)}/`, {
      signal: AbortSignal.timeout(1000),
    });
    return /hello from (\S+)/.exec(await r.text())?.[1] ?? null;
  } catch {
    return null;
  }
}

/**
 * Asks `f` every `everyMs` until it gives something other than null, for at most `withinMs`
 * (a liveness bound, not a performance figure); throws naming what it waited for.
 */
export async function until<T>(
  what: string,
  f: () => Promise<T | null>,
  withinMs: number,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const v = await f();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`not within ${String(withinMs)} ms: ${what}`);
    await sleep(everyMs);
  }
}

/** Whether process `pid` runs (a zombie does not). */
export function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return !'ZX'.includes(state);
  } catch {
    return false;
  }
}

/**
 * Ends the demo application a test's cluster started, by the pid in its pid file: `destroy`
 * (the cluster's own teardown, which removes the file) runs in between, so the pid is read
 * first. A forced stop, or a killed agent, leaves the application running on purpose.
 */
export async function destroyLeavingNoApp(
  pidfile: string,
  destroy: () => Promise<void>,
): Promise<void> {
  const pid = Number((await readFile(pidfile, 'utf8').catch(() => '')).trim());
  await destroy();
  if (pid > 0) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}
