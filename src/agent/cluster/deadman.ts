// The dead man switch for the agent's own death. If `haven agent` dies (SIGKILL, a crash, the
// OOM killer), the others notice its silence and take its groups over; whatever it had started
// must not go on running here. A small sentinel process, started with the agent, holds the read
// end of a pipe from it: when the agent dies, the pipe closes, and the sentinel runs the halt
// script, which kills the process groups the node's applications run in and removes its
// service addresses (each agent's haltCommands). A normal exit disarms it first, so a forced
// stop leaves the resources running, as it must.
//
// It covers the death of the agent process, not a hung kernel or a hung agent: those are for
// the hardware watchdog and systemd's WatchdogSec.

import { spawn, type ChildProcess } from 'node:child_process';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// $1 is the halt script. `read` ends with the pipe: "disarm" from a normal exit, or EOF (the
// agent died), which runs the script.
const SENTINEL = 'read -r line; [ "$line" = disarm ] && exit 0; [ -f "$1" ] && . "$1"; exit 0';

export class DeadManSwitch {
  readonly #child: ChildProcess;
  readonly #path: string;
  #writing: Promise<void> = Promise.resolve();
  #disarmed = false;

  private constructor(child: ChildProcess, path: string) {
    this.#child = child;
    this.#path = path;
  }

  /** Starts the sentinel; the halt script lives in `dir` (the agent's state directory). */
  static start(dir: string, onError: (e: Error) => void): DeadManSwitch {
    const path = join(dir, 'halt.sh');
    const child = spawn('/bin/sh', ['-c', SENTINEL, 'haven-deadman', path], {
      // Its own session: a signal to the agent's process group (a terminal's Ctrl-C, a kill
      // of the group) must not take the sentinel with it.
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    child.on('error', onError);
    child.stdin.on('error', () => undefined);
    child.unref();
    return new DeadManSwitch(child, path);
  }

  /** Replaces the halt script (written whole, then renamed: never half a script). */
  update(commands: readonly string[]): Promise<void> {
    const text = `# Written by the Haven agent: run if it dies, to halt what it started.\n${commands.join('\n')}\n`;
    const tmp = `${this.#path}.tmp`;
    this.#writing = this.#writing
      .then(async () => {
        await writeFile(tmp, text, { mode: 0o600 });
        await rename(tmp, this.#path);
      })
      .catch(() => undefined);
    return this.#writing;
  }

  /** A normal exit: the sentinel ends without running anything. */
  async disarm(): Promise<void> {
    if (this.#disarmed) return;
    this.#disarmed = true;
    await this.#writing;
    const stdin = this.#child.stdin;
    if (!stdin) return;
    await new Promise<void>((resolve) => {
      stdin.end('disarm\n', () => {
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }
}
