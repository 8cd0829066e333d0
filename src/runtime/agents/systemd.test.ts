// The systemd adapter.
//
// A STAND-IN, said plainly: this machine (a container) has no running systemd, so real units
// cannot be started here (`systemctl is-system-running` says "offline"; every systemctl verb
// fails with "System has not been booted with systemd"). The adapter is therefore driven
// against a fake `systemctl` written by this test: a small shell script, placed first in
// PATH, that keeps each unit's state in a temporary directory and mimics systemctl 252's
// answers (is-active prints the ActiveState and exits 3 unless active; start of an unknown
// unit says "Unit x not found." with status 5; stop keeps a failed unit failed until
// reset-failed; show prints Key=Value lines). What it cannot show is real systemd timing and
// job semantics. The real systemctl is used for what can be checked here: that a node
// without a running systemd gets a clear AgentError and validate problem.
import assert from 'node:assert/strict';
import { execFile as execFileCb } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { SystemdResource } from '../../core/config/model.js';
import type { AgentCommand } from './agent.js';
import { AgentError } from './agent.js';
import { agentContract } from './contract.test-helper.js';
import { assertNothingRan, HOSTILE, runHalt } from './halt.test-helper.js';
import { SYSTEMCTL_PATH, SystemdAgent } from './systemd.js';
import type { SystemdAgentOptions } from './systemd.js';

const execFile = promisify(execFileCb);

// Units are files in $S/units whose content says how the unit behaves:
//   ok       starts and stays active
//   fail     its start fails (ExecStart exits 1)
//   die      Type=simple that exits right after being started: start succeeds, then failed
//   hang     start never finishes (the fake records its pid and its child's)
//   masked   masked
//   enabled  like ok, but enabled at boot
// A unit's state is "$ActiveState $SubState $Result" in $S/state/<unit> (absent: inactive).
// Every call is appended to $S/calls.
const FAKE_SYSTEMCTL = (S: string): string => `#!/bin/sh
S='${S}'
verb=''; unit=''
for a in "$@"; do
  case "$a" in
    --) ;;
    -*) ;;
    *) if [ -z "$verb" ]; then verb="$a"; else unit="$a"; fi ;;
  esac
done
echo "$*" >> "$S/calls"
if [ -e "$S/offline" ]; then
  echo "System has not been booted with systemd as init system (PID 1). Can't operate." >&2
  echo "Failed to connect to bus: Host is down" >&2
  exit 1
fi
kind=$(cat "$S/units/$unit" 2>/dev/null)
set -- $(cat "$S/state/$unit" 2>/dev/null || echo inactive dead success)
active=$1; sub=$2; result=$3
put() { echo "$1 $2 $3" > "$S/state/$unit"; }
case "$verb" in
  start)
    [ -n "$kind" ] || { echo "Failed to start $unit: Unit $unit not found." >&2; exit 5; }
    [ "$kind" = masked ] && { echo "Failed to start $unit: Unit $unit is masked." >&2; exit 1; }
    [ "$active" = active ] && exit 0
    case "$kind" in
      fail)
        put failed failed exit-code
        echo "Job for $unit failed because the control process exited with error code." >&2
        echo "See \\"systemctl status $unit\\" and \\"journalctl -xeu $unit\\" for details." >&2
        exit 1 ;;
      die) put failed failed exit-code; exit 0 ;;
      hang)
        echo $$ > "$S/hang.pid"
        sleep 60 &
        echo $! > "$S/hang-child.pid"
        wait
        exit 0 ;;
      *) put active running success; exit 0 ;;
    esac ;;
  stop)
    [ -n "$kind" ] || { echo "Failed to stop $unit: Unit $unit not loaded." >&2; exit 5; }
    [ "$active" = failed ] || put inactive dead success
    exit 0 ;;
  reset-failed)
    [ "$active" = failed ] && put inactive dead success
    exit 0 ;;
  is-active)
    echo "$active"
    [ "$active" = active ] && exit 0
    exit 3 ;;
  show)
    case "$kind" in
      '') load=not-found ;;
      masked) load=masked ;;
      *) load=loaded ;;
    esac
    file=disabled; [ "$kind" = enabled ] && file=enabled
    [ "$load" = not-found ] && file=''
    echo "Result=$result"
    echo "ExecMainStatus=0"
    echo "LoadState=$load"
    echo "ActiveState=$active"
    echo "SubState=$sub"
    echo "UnitFileState=$file"
    exit 0 ;;
  list-unit-files)
    for f in "$S"/units/*; do echo "\${f##*/} disabled enabled"; done
    exit 0 ;;
  *) echo "Unknown command verb $verb." >&2; exit 1 ;;
esac
`;

function unitDef(name: string, unit: string, timeoutMs = 5000): SystemdResource {
  return { at: ['resources', 'systemd', 0], kind: 'systemd', name, unit, timeoutMs };
}

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

describe(
  'SystemdAgent (against a fake systemctl: no systemd runs here)',
  { timeout: 60_000 },
  () => {
    let S = '';
    let bin = '';
    before(async () => {
      S = await realpath(await mkdtemp(join(tmpdir(), 'haven-systemd-')));
      bin = join(S, 'bin');
      await mkdir(join(S, 'units'), { recursive: true });
      await mkdir(join(S, 'state'));
      await mkdir(bin);
      await writeFile(join(bin, 'systemctl'), FAKE_SYSTEMCTL(S));
      await chmod(join(bin, 'systemctl'), 0o755);
      for (const [unit, kind] of [
        ['web.service', 'ok'],
        ['broken.service', 'fail'],
        ['flaky.service', 'die'],
        ['slow.service', 'hang'],
        ['hidden.service', 'masked'],
        ['boot.service', 'enabled'],
      ]) {
        await writeFile(join(S, 'units', unit!), `${kind!}\n`);
      }
    });
    after(async () => {
      if (S !== '') await rm(S, { recursive: true, force: true });
    });
    // The default program name, "systemctl", found first in PATH: the fake.
    const opts = (): SystemdAgentOptions => ({
      path: `${bin}:${SYSTEMCTL_PATH}`,
      killGraceMs: 500,
    });
    const stateOf = async (unit: string): Promise<string> =>
      (await readFile(join(S, 'state', unit), 'utf8').catch(() => 'inactive')).split(' ')[0]!;
    const setState = (unit: string, state: string): Promise<void> =>
      writeFile(join(S, 'state', unit), `${state}\n`);

    agentContract({
      make: () => new SystemdAgent(unitDef('web', 'web.service'), opts()),
      isOnline: async () => (await stateOf('web.service')) === 'active',
      makeFailing: () => new SystemdAgent(unitDef('broken', 'broken.service'), opts()),
    });

    it('runs systemctl start/is-active and reports each command', async () => {
      const seen: AgentCommand[] = [];
      const a = new SystemdAgent(unitDef('web', 'web.service'), {
        ...opts(),
        systemctl: join(bin, 'systemctl'),
      });
      await a.start({ onCommand: (c) => seen.push(c) });
      await a.stop({ onCommand: (c) => seen.push(c) });
      const s = join(bin, 'systemctl');
      assert.deepEqual(
        seen.map((c) => [c.op, c.command, c.exitCode]),
        [
          ['start', `${s} start -- web.service`, 0],
          ['start', `${s} is-active -- web.service`, 0],
          ['stop', `${s} stop -- web.service`, 0],
          ['stop', `${s} is-active -- web.service`, 3],
        ],
      );
      assert.ok(seen.every((c) => c.resource === 'web'));
      assert.match(
        await readFile(join(S, 'calls'), 'utf8'),
        /--no-ask-password start -- web\.service/,
      );
    });

    it('halt commands stop the unit with systemctl stop (not kill), found on the PATH the agent uses', async () => {
      const a = new SystemdAgent(unitDef('web', 'web.service'), opts());
      await a.start();
      assert.equal((await a.monitor()).state, 'running');
      await rm(join(S, 'calls'), { force: true });
      // The script's own PATH lacks the fake: the command must carry the agent's.
      await runHalt(a.haltCommands());
      assert.equal((await a.monitor()).state, 'stopped');
      assert.equal(await stateOf('web.service'), 'inactive');
      assert.match(
        await readFile(join(S, 'calls'), 'utf8'),
        /^--no-pager --no-ask-password stop -- web\.service$/m,
      );
      // Stopping a stopped unit is harmless.
      await runHalt(a.haltCommands());
      assert.equal(await stateOf('web.service'), 'inactive');
    });

    it('halt commands quote the unit name: a hostile one is stopped and nothing in it runs', async () => {
      const unit = `${HOSTILE}.service`;
      const cwd = join(S, 'halt-cwd');
      await mkdir(cwd, { recursive: true });
      await writeFile(join(S, 'units', unit), 'ok\n');
      try {
        const a = new SystemdAgent(unitDef('evil', unit), opts());
        await a.start();
        assert.equal(await stateOf(unit), 'active');
        await runHalt(a.haltCommands(), cwd);
        assert.equal((await a.monitor()).state, 'stopped');
        assert.equal(await stateOf(unit), 'inactive');
        await assertNothingRan(cwd);
      } finally {
        // validate's suggestions read every unit file: do not leave this one for other tests.
        await rm(join(S, 'units', unit), { force: true });
      }
    });

    it("a failing start: the AgentError carries systemctl's words and where to look", async () => {
      const a = new SystemdAgent(unitDef('broken', 'broken.service'), opts());
      await assert.rejects(a.start(), (e: unknown) => {
        assert.ok(e instanceof AgentError);
        assert.equal(e.details.exitCode, 1);
        assert.match(
          e.details.reason,
          /^systemctl start -- broken\.service exited with status 1: Job for broken\.service failed because the control process exited with error code\. \| See .*; see systemctl status broken\.service and journalctl -u broken\.service$/,
        );
        return true;
      });
      // Failed now; monitor says so with systemd's Result, and stop clears it to stopped.
      const m = await a.monitor();
      assert.ok(m.state === 'failed', m.state);
      assert.match(
        m.reason,
        /^systemd reports broken\.service failed \(Result=exit-code, SubState=failed, ExecMainStatus=0\)/,
      );
      await a.stop();
      assert.equal((await a.monitor()).state, 'stopped');
      assert.equal(await stateOf('broken.service'), 'inactive');
    });

    it('a unit that dies right after a successful start: start fails', async () => {
      const a = new SystemdAgent(unitDef('flaky', 'flaky.service'), opts());
      await assert.rejects(a.start(), (e: unknown) => {
        assert.ok(e instanceof AgentError);
        assert.match(
          e.details.reason,
          /^systemctl start succeeded but flaky\.service is failed right after \(Result=exit-code/,
        );
        return true;
      });
      await a.stop();
    });

    it('a unit that does not exist: start fails, stop succeeds, validate suggests a name', async () => {
      const a = new SystemdAgent(unitDef('nope', 'wbe.service'), opts());
      await assert.rejects(
        a.start(),
        /exited with status 5: Failed to start wbe\.service: Unit wbe\.service not found\./,
      );
      await a.stop();
      assert.equal((await a.monitor()).state, 'stopped');
      assert.deepEqual(await a.validate(), [
        'systemd unit nope (wbe.service): resources.systemd[0].unit: systemd has no unit wbe.service on this node; did you mean "web.service"?',
      ]);
    });

    it('validate: a good unit passes; masked and enabled units are problems', async () => {
      assert.deepEqual(
        await new SystemdAgent(unitDef('web', 'web.service'), opts()).validate(),
        [],
      );
      const masked = await new SystemdAgent(unitDef('h', 'hidden.service'), opts()).validate();
      assert.match(
        masked[0] ?? '',
        /hidden\.service is masked, so it cannot start; systemctl unmask hidden\.service$/,
      );
      const enabled = await new SystemdAgent(unitDef('b', 'boot.service'), opts()).validate();
      assert.match(
        enabled[0] ?? '',
        /boot\.service is enabled, so systemd starts it at boot on every node .*; systemctl disable boot\.service$/,
      );
    });

    it('monitor: activating is running, auto-restart and deactivating are failed', async () => {
      const a = new SystemdAgent(unitDef('web', 'web.service'), opts());
      try {
        await setState('web.service', 'activating start success');
        assert.equal((await a.monitor()).state, 'running');
        await setState('web.service', 'activating auto-restart exit-code');
        const crashed = await a.monitor();
        assert.ok(crashed.state === 'failed');
        assert.match(
          crashed.reason,
          /crashed and systemd is about to restart it \(SubState=auto-restart, Result=exit-code\)/,
        );
        await setState('web.service', 'deactivating stop-sigterm success');
        const going = await a.monitor();
        assert.ok(going.state === 'failed');
        assert.match(going.reason, /is being stopped \(deactivating\), not by Haven/);
        await setState('web.service', 'maintenance x success');
        const odd = await a.monitor();
        assert.ok(odd.state === 'failed');
        assert.match(odd.reason, /in the state "maintenance"/);
      } finally {
        await setState('web.service', 'inactive dead success');
      }
    });

    it('a start that overruns its time limit: systemctl is killed with its group, timedOut', async () => {
      const a = new SystemdAgent(unitDef('slow', 'slow.service', 300), opts());
      await assert.rejects(a.start(), (e: unknown) => {
        assert.ok(e instanceof AgentError);
        assert.equal(e.details.timedOut, true);
        assert.match(
          e.details.reason,
          /^systemctl start -- slow\.service did not finish within 300 ms and was killed; systemd may still be running the start job .*raise resources\.systemd\[0\]\.timeout$/,
        );
        return true;
      });
      const pids = [
        Number(await readFile(join(S, 'hang.pid'), 'utf8')),
        Number(await readFile(join(S, 'hang-child.pid'), 'utf8')),
      ];
      for (let i = 0; i < 100 && !pids.every(isGone); i++) await sleep(20);
      for (const pid of pids) assert.ok(isGone(pid), `${pid} still alive`);
    });

    it('systemd unreachable: monitor rejects (it cannot tell), validate says why', async () => {
      await writeFile(join(S, 'offline'), '');
      try {
        const a = new SystemdAgent(unitDef('web', 'web.service'), opts());
        await assert.rejects(a.monitor(), (e: unknown) => {
          assert.ok(e instanceof AgentError);
          assert.match(
            e.details.reason,
            /exited with status 1: System has not been booted with systemd/,
          );
          return true;
        });
        const problems = await a.validate();
        assert.equal(problems.length, 1);
        assert.match(problems[0] ?? '', /cannot ask systemd about the unit: .*Host is down$/);
      } finally {
        await rm(join(S, 'offline'));
      }
    });
  },
);

// The real systemctl, on a machine where systemd is not running (as here): the adapter must
// say so clearly rather than report the unit stopped.
const probe = await execFile('systemctl', ['is-system-running'], { timeout: 10_000 }).then(
  (r) => r.stdout.trim(),
  (e: unknown) =>
    typeof e === 'object' && e !== null && 'stdout' in e ? String(e.stdout).trim() : 'missing',
);
const realSkip =
  probe === 'offline'
    ? false
    : probe === 'missing' || probe === ''
      ? 'systemctl is not installed'
      : `systemd is running here (${probe}); this case is about a node without it`;
describe('SystemdAgent with the real systemctl and no running systemd', { skip: realSkip }, () => {
  it("monitor rejects with systemctl's reason; validate reports it", async () => {
    const a = new SystemdAgent(unitDef('cron', 'cron.service'));
    await assert.rejects(a.monitor(), (e: unknown) => {
      assert.ok(e instanceof AgentError);
      assert.equal(e.details.op, 'monitor');
      assert.match(
        e.details.reason,
        /^systemctl is-active -- cron\.service exited with status 1: System has not been booted with systemd/,
      );
      return true;
    });
    const problems = await a.validate();
    assert.equal(problems.length, 1);
    assert.match(
      problems[0] ?? '',
      /^systemd unit cron \(cron\.service\): resources\.systemd\[0\]\.unit: cannot ask systemd about the unit: .*System has not been booted with systemd/,
    );
  });
});
