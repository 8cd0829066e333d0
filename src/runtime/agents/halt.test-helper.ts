// Runs an agent's halt commands as the dead man switch does (src/agent/cluster/deadman.ts):
// joined by newlines into one /bin/sh script, with nothing in the environment but the
// sentinel's PATH. A marker echoed after them shows that the script went on to its end (no
// syntax error, nothing that exits); every command sends its errors to /dev/null, so
// anything on stderr is a command that does not.
import assert from 'node:assert/strict';
import { execFile as execFileCb } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { promisify } from 'node:util';

const execFile = promisify(execFileCb);

/** The sentinel's PATH (DeadManSwitch.start). */
export const DEADMAN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const END = 'haven-halt-end';

/**
 * A configured value that would run commands if a halt command failed to quote it: a single
 * quote, spaces, $(...), backquotes, a double quote, `;` and `#`. What it would run creates
 * files named pwned-* in the current directory (see assertNothingRan).
 */
export const HOSTILE = `it's $(touch pwned-1) \`touch pwned-2\` "q"; touch pwned-3 #`;

/** Runs the commands (in `cwd`, default /), bounded; asserts the script reached its end. */
export async function runHalt(commands: readonly string[], cwd = '/'): Promise<void> {
  assert.ok(commands.length > 0, 'no halt commands');
  const script = `${commands.join('\n')}\necho ${END}\n`;
  const r = await execFile('/bin/sh', ['-c', script], {
    cwd,
    env: { PATH: DEADMAN_PATH },
    timeout: 120_000,
    killSignal: 'SIGKILL',
  });
  assert.equal(r.stdout, `${END}\n`, `the halt script:\n${script}`);
  assert.equal(r.stderr, '', `the halt script:\n${script}`);
}

/** No pwned-* file in `dir`: nothing in HOSTILE was run. */
export async function assertNothingRan(dir: string): Promise<void> {
  assert.deepEqual(
    (await readdir(dir)).filter((f) => f.startsWith('pwned')),
    [],
  );
}
