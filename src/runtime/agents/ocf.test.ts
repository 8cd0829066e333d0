// The OCF adapter against real agents: Debian's Dummy, IPaddr2 (inside a network namespace
// the test creates) and Filesystem (on a loop device the test creates), plus small agents
// written here into a temporary OCF_ROOT to reach exit statuses and a hang at will.
import assert from 'node:assert/strict';
import { execFile as execFileCb } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { OcfResource } from '../../core/config/model.js';
import type { AgentCommand } from './agent.js';
import { AgentError } from './agent.js';
import { agentContract } from './contract.test-helper.js';
import { assertNothingRan, HOSTILE, runHalt } from './halt.test-helper.js';
import { DEFAULT_OCF_ROOT, OcfAgent } from './ocf.js';
import type { OcfAgentOptions } from './ocf.js';
import {
  checkOcfParams,
  OcfMetadataError,
  parseDurationMs,
  parseOcfMetadata,
} from './ocf-metadata.js';

const execFile = promisify(execFileCb);
const HEARTBEAT = join(DEFAULT_OCF_ROOT, 'resource.d', 'heartbeat');

function onPath(program: string): boolean {
  return ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].some(
    (d) => {
      try {
        accessSync(join(d, program), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
  );
}

const noAgents = existsSync(join(HEARTBEAT, 'Dummy'))
  ? false
  : `needs Debian's resource-agents package (${HEARTBEAT}/Dummy is missing): apt-get install resource-agents`;
const notRoot =
  process.getuid?.() === 0
    ? false
    : 'needs root: the agent adds addresses in a network namespace and mounts a loop device';
// The Filesystem agent refuses to run at all (OCF_ERR_INSTALLED) without modprobe and fuser.
const noFsTools =
  notRoot ||
  noAgents ||
  (['modprobe', 'fuser', 'losetup', 'mkfs.ext4'].every(onPath)
    ? false
    : 'needs modprobe (kmod), fuser (psmisc), losetup (util-linux) and mkfs.ext4 (e2fsprogs): the Filesystem agent checks for them');

function ocf(
  name: string,
  agent: string,
  params: Record<string, string> = {},
  timeoutsMs = { start: 20_000, stop: 20_000, monitor: 20_000 },
): OcfResource {
  const [provider = '', type = ''] = agent.split(':');
  return {
    at: ['resources', 'ocf', 0],
    kind: 'ocf',
    name,
    provider,
    type,
    params,
    monitorIntervalMs: 10_000,
    timeoutsMs,
  };
}

/** Dead, or a zombie nobody reaped yet. */
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

describe('OCF meta-data', () => {
  const xml = `<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<!-- a comment, with <tags> in it -->
<resource-agent name="Thing" version="1.0">
<version>1.0</version>
<longdesc lang="en">Says &lt;hello&gt; &amp; more &#65;&#x42;</longdesc>
<parameters>
<parameter name="ip" unique="1" required="1">
<shortdesc lang="en">IPv4 address</shortdesc>
<content type="string" default="" />
</parameter>
<parameter name='count'><content type="integer" default="5"/></parameter>
<parameter name="flag"><content type="boolean" default="false"/></parameter>
<parameter name="mode"><content type="select" default="a">
<option value="fast"/><option value="slow"/></content></parameter>
<parameter name="old"><deprecated/><content type="string"/></parameter>
</parameters>
<actions>
<action name="start" timeout="20s"/>
<action name="monitor" timeout="1min" interval="10"/>
<action name="meta-data" timeout="500ms"/>
</actions>
</resource-agent>
`;
  const subject = (params: Record<string, string>) => ({
    label: 'OCF resource r (x:Thing)',
    paramsPath: 'resources.ocf[0].params',
    params,
  });

  it('reads parameters, their types and defaults, and the actions', () => {
    const meta = parseOcfMetadata(xml);
    assert.equal(meta.name, 'Thing');
    assert.equal(meta.version, '1.0');
    assert.deepEqual(
      meta.parameters.map((p) => [p.name, p.type, p.required, p.unique, p.default, p.deprecated]),
      [
        ['ip', 'string', true, true, '', false],
        ['count', 'integer', false, false, '5', false],
        ['flag', 'boolean', false, false, 'false', false],
        ['mode', 'select', false, false, 'a', false],
        ['old', 'string', false, false, undefined, true],
      ],
    );
    assert.equal(meta.parameters[0]?.shortdesc, 'IPv4 address');
    assert.deepEqual(meta.parameters[3]?.options, ['fast', 'slow']);
    assert.deepEqual(
      meta.actions.map((a) => [a.name, a.timeoutMs, a.intervalMs]),
      [
        ['start', 20_000, undefined],
        ['monitor', 60_000, 10_000],
        ['meta-data', 500, undefined],
      ],
    );
  });

  it('rejects malformed XML with where it went wrong', () => {
    for (const [bad, says] of [
      ['<resource-agent name="x"><parameters></resource-agent>', 'does not close <parameters>'],
      ['<resource-agent name="x">', 'never closed'],
      ['<resource-agent name="x"/><resource-agent name="y"/>', 'second root'],
      ['<other/>', 'not <resource-agent>'],
      ['<resource-agent/>', 'no name'],
      ['<resource-agent name="x">&bogus;</resource-agent>', 'unknown entity'],
      ['<resource-agent name="x" name="y"/>', 'repeats the attribute'],
      ['', 'no element'],
    ] as const) {
      assert.throws(
        () => parseOcfMetadata(bad),
        (e: unknown) => e instanceof OcfMetadataError && e.message.includes(says),
        bad,
      );
    }
  });

  it('parses the durations meta-data uses', () => {
    assert.equal(parseDurationMs('20s'), 20_000);
    assert.equal(parseDurationMs('20'), 20_000);
    assert.equal(parseDurationMs('2m'), 120_000);
    assert.equal(parseDurationMs('250ms'), 250);
    assert.equal(parseDurationMs('1h'), 3_600_000);
    assert.equal(parseDurationMs('soon'), undefined);
  });

  it('accepts good parameters', () => {
    const meta = parseOcfMetadata(xml);
    assert.deepEqual(
      checkOcfParams(meta, subject({ ip: '10.0.0.1', count: '3', flag: 'yes', mode: 'slow' })),
      [],
    );
  });

  it('names unknown, missing and mistyped parameters, with a suggestion', () => {
    const meta = parseOcfMetadata(xml);
    const problems = checkOcfParams(
      meta,
      subject({ cuont: '3', flag: 'Yes', mode: 'slo', count: 'five', 'a-b': '1', zzzzzz: '1' }),
    );
    const expect = [
      'resources.ocf[0].params.cuont: Thing has no parameter "cuont"; did you mean "count"?',
      'resources.ocf[0].params.flag: "Yes" is not a boolean the agent reads correctly',
      'resources.ocf[0].params.mode: "slo" is not one of "fast", "slow"; did you mean "slow"?',
      'resources.ocf[0].params.count: "five" is not an integer',
      'resources.ocf[0].params.a-b: not a valid parameter name',
      'resources.ocf[0].params.zzzzzz: Thing has no parameter "zzzzzz"; it accepts ip, count, flag, mode, old',
      'resources.ocf[0].params.ip: required by Thing but not set (IPv4 address)',
    ];
    assert.equal(problems.length, expect.length, problems.join('\n'));
    for (const e of expect) {
      assert.ok(
        problems.some((p) => p.startsWith('OCF resource r (x:Thing): ') && p.includes(e)),
        `missing: ${e}\nin:\n${problems.join('\n')}`,
      );
    }
  });
});

describe('OcfAgent', { skip: noAgents, timeout: 180_000 }, () => {
  let tmp = '';
  before(async () => {
    tmp = await realpath(await mkdtemp(join(tmpdir(), 'haven-ocf-')));
  });
  after(async () => {
    if (tmp !== '') await rm(tmp, { recursive: true, force: true });
  });

  describe('Dummy', () => {
    // Dummy keeps its "running" flag as a state file under HA_RSCTMP: a temp dir here.
    const stateDir = (): string => join(tmp, 'dummy-rsctmp');
    const opts = (): OcfAgentOptions => ({ stateDir: stateDir() });
    agentContract({
      make: () => new OcfAgent(ocf('d1', 'heartbeat:Dummy'), opts()),
      isOnline: () => Promise.resolve(existsSync(join(stateDir(), 'Dummy-d1.state'))),
      // touch fails in a directory that does not exist: start returns its status (1).
      makeFailing: () =>
        new OcfAgent(ocf('d1', 'heartbeat:Dummy', { state: join(tmp, 'no', 'such', 'x') }), opts()),
    });

    it('reports each command with the resource, the op and the agent command line', async () => {
      const seen: AgentCommand[] = [];
      const a = new OcfAgent(ocf('d2', 'heartbeat:Dummy', { fake: 'x y' }), opts());
      await a.start({ onCommand: (c) => seen.push(c) });
      await a.stop({ onCommand: (c) => seen.push(c) });
      assert.equal(seen.length, 2);
      const start = seen[0]!;
      const stop = seen[1]!;
      assert.equal(start.op, 'start');
      assert.equal(start.exitCode, 0);
      assert.equal(
        start.command,
        `OCF_RESOURCE_INSTANCE=d2 OCF_RESKEY_fake='x y' ${HEARTBEAT}/Dummy start`,
      );
      assert.equal(stop.op, 'stop');
      assert.ok(stop.command.endsWith('/Dummy stop'));
    });

    it("halt commands run the agent's stop: the resource is stopped, and running them again is harmless", async () => {
      const a = new OcfAgent(ocf('dh', 'heartbeat:Dummy'), opts());
      await a.start();
      assert.equal((await a.monitor()).state, 'running');
      await runHalt(a.haltCommands());
      assert.equal((await a.monitor()).state, 'stopped');
      assert.equal(existsSync(join(stateDir(), 'Dummy-dh.state')), false);
      await runHalt(a.haltCommands());
      assert.equal((await a.monitor()).state, 'stopped');
    });

    it('validate: good parameters give no problems (meta-data and validate-all pass)', async () => {
      const seen: AgentCommand[] = [];
      const a = new OcfAgent(ocf('d3', 'heartbeat:Dummy', { fake: 'z' }), opts());
      assert.deepEqual(await a.validate({ onCommand: (c) => seen.push(c) }), []);
      assert.deepEqual(
        seen.map((c) => [c.op, c.command.split(' ').pop()]),
        [
          ['validate', 'meta-data'],
          ['validate', 'validate-all'],
        ],
      );
    });

    it('validate: a misspelt parameter is named with a suggestion', async () => {
      const a = new OcfAgent(ocf('d4', 'heartbeat:Dummy', { stat: '/tmp/x' }), opts());
      const problems = await a.validate();
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(
        problems[0] ?? '',
        /^OCF resource d4 \(heartbeat:Dummy\): resources\.ocf\[0\]\.params\.stat: Dummy has no parameter "stat"; did you mean "state"\?$/,
      );
    });

    it("validate: the agent's own validate-all finds what the meta-data cannot", async () => {
      const params = { state: join(tmp, 'no', 'such', 'dir', 'x.state') };
      const a = new OcfAgent(ocf('d5', 'heartbeat:Dummy', params), opts());
      const problems = await a.validate();
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(
        problems[0] ?? '',
        /validate-all\) fails: OCF_ERR_ARGS \(2\): State file .* is not writable/,
      );
      const quiet = new OcfAgent(ocf('d5', 'heartbeat:Dummy', params), {
        ...opts(),
        validateAll: false,
      });
      assert.deepEqual(await quiet.validate(), []);
    });

    it('an agent that is not installed: start fails and validate says which package', async () => {
      const a = new OcfAgent(ocf('d6', 'heartbeat:Dumy'), opts());
      await assert.rejects(a.start(), (e: unknown) => {
        assert.ok(e instanceof AgentError);
        assert.match(e.details.reason, /heartbeat:Dumy is not installed on this node/);
        assert.match(e.details.reason, /did you mean "heartbeat:Dummy"\?/);
        assert.match(e.details.reason, /apt-get install resource-agents/);
        return true;
      });
      await assert.rejects(a.monitor(), AgentError);
      const problems = await a.validate();
      assert.equal(problems.length, 1);
      assert.match(problems[0] ?? '', /resources\.ocf\[0\]\.agent: the OCF agent heartbeat:Dumy/);
      const b = new OcfAgent(ocf('d7', 'hearbeat:Dummy'), opts());
      assert.match(
        (await b.validate())[0] ?? '',
        /no OCF provider "hearbeat".*did you mean "heartbeat:Dummy"\?/,
      );
    });
  });

  describe('exit statuses and time limits (agents written by the test)', () => {
    let root = '';
    let rsctmp = '';
    before(async () => {
      root = join(tmp, 'ocf-root');
      rsctmp = join(tmp, 'rsctmp-custom');
      const dir = join(root, 'resource.d', 'test');
      await mkdir(dir, { recursive: true });
      const agent = async (type: string, body: string): Promise<void> => {
        await writeFile(join(dir, type), `#!/bin/sh\n${body}\n`);
        await chmod(join(dir, type), 0o755);
      };
      // Exits with OCF_RESKEY_rc, says OCF_RESKEY_reason the OCF way, and keeps its environment.
      await agent(
        'Exit',
        [
          'env > "$HA_RSCTMP/env-$1"',
          'echo "$(date) INFO: a log line before the end" >&2',
          '[ -n "$OCF_RESKEY_reason" ] && echo "ocf-exit-reason:$OCF_RESKEY_reason" >&2',
          'exit "${OCF_RESKEY_rc:-0}"',
        ].join('\n'),
      );
      // Hangs, with a child in its process group, both recorded so the test can look for them.
      await agent(
        'Sleepy',
        [
          'echo "$$" > "$HA_RSCTMP/agent.pid"',
          'sleep 60 &',
          'echo "$!" > "$HA_RSCTMP/child.pid"',
          'echo "waiting for Godot" >&2',
          'wait',
        ].join('\n'),
      );
      await agent('BadXml', 'echo "<resource-agent name=\\"BadXml\\"><parameters>"; exit 0');
      await writeFile(join(dir, 'NotExecutable'), '#!/bin/sh\nexit 0\n');
    });
    const opts = (): OcfAgentOptions => ({ ocfRoot: root, stateDir: rsctmp, killGraceMs: 500 });
    const exitAgent = (params: Record<string, string>) =>
      new OcfAgent(ocf('e1', 'test:Exit', params), opts());

    it('passes the OCF environment: identity, parameters, time limit, HA_RSCTMP', async () => {
      const a = new OcfAgent(
        ocf(
          'e0',
          'test:Exit',
          { rc: '0', some_param: 'a value' },
          {
            start: 12_345,
            stop: 1000,
            monitor: 1000,
          },
        ),
        opts(),
      );
      await a.start();
      const env = new Map(
        (await readFile(join(rsctmp, 'env-start'), 'utf8'))
          .split('\n')
          .filter((l) => l.includes('='))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      assert.equal(env.get('OCF_ROOT'), root);
      assert.equal(env.get('OCF_RESOURCE_INSTANCE'), 'e0');
      assert.equal(env.get('OCF_RESOURCE_TYPE'), 'Exit');
      assert.equal(env.get('OCF_RESOURCE_PROVIDER'), 'test');
      assert.equal(env.get('OCF_RESKEY_some_param'), 'a value');
      assert.equal(env.get('OCF_RESKEY_CRM_meta_timeout'), '12345');
      assert.equal(env.get('OCF_RESKEY_CRM_meta_interval'), '0');
      assert.equal(env.get('HA_RSCTMP'), rsctmp);
      assert.match(env.get('PATH') ?? '', /\/usr\/sbin/);
      // Nothing of the test runner's own environment leaks in.
      assert.equal(env.get('HOME'), undefined);
      await a.monitor();
      const monitorEnv = await readFile(join(rsctmp, 'env-monitor'), 'utf8');
      assert.match(monitorEnv, /^OCF_RESKEY_CRM_meta_interval=10000$/m);
    });

    it('halt commands give stop the same environment, quoted: hostile values arrive intact and nothing in them runs', async () => {
      const cwd = join(tmp, 'halt-cwd');
      await mkdir(cwd, { recursive: true });
      const a = new OcfAgent(
        ocf(`e-${HOSTILE}`, 'test:Exit', { rc: '0', evil: HOSTILE, empty: '' }),
        opts(),
      );
      const envOf = async (action: string): Promise<Map<string, string>> =>
        new Map(
          (await readFile(join(rsctmp, `env-${action}`), 'utf8'))
            .split('\n')
            .filter((l) => l.includes('='))
            .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
        );
      await a.start();
      await rm(join(rsctmp, 'env-stop'), { force: true });
      await runHalt(a.haltCommands(), cwd);
      const env = await envOf('stop');
      assert.equal(env.get('OCF_RESKEY_evil'), HOSTILE);
      assert.equal(env.get('OCF_RESKEY_empty'), '');
      assert.equal(env.get('OCF_RESOURCE_INSTANCE'), `e-${HOSTILE}`);
      assert.equal(env.get('OCF_ROOT'), root);
      assert.equal(env.get('HA_RSCTMP'), rsctmp);
      assert.equal(env.get('OCF_RESKEY_CRM_meta_timeout'), '20000');
      assert.equal(env.get('OCF_RESKEY_CRM_meta_interval'), '0');
      // The same variables as stop() passes (env -i: the script's own are not inherited).
      assert.deepEqual([...env.keys()].sort(), [...(await envOf('start')).keys()].sort());
      await assertNothingRan(cwd);
    });

    it('halt commands are bounded: a stop that hangs is killed with its process group', async () => {
      const limits = { start: 300, stop: 300, monitor: 300 };
      const a = new OcfAgent(ocf('s3', 'test:Sleepy', {}, limits), opts());
      await rm(join(rsctmp, 'agent.pid'), { force: true });
      await runHalt(a.haltCommands());
      const agentPid = Number(await readFile(join(rsctmp, 'agent.pid'), 'utf8'));
      const childPid = Number(await readFile(join(rsctmp, 'child.pid'), 'utf8'));
      for (let i = 0; i < 500 && !(isGone(agentPid) && isGone(childPid)); i++) await sleep(20);
      assert.ok(isGone(agentPid), `agent ${agentPid} still alive`);
      assert.ok(isGone(childPid), `its child ${childPid} still alive`);
    });

    it('monitor maps 0 and 8 to running, 7 to stopped, the rest to failed with the reason', async () => {
      assert.equal((await exitAgent({ rc: '0' }).monitor()).state, 'running');
      assert.equal((await exitAgent({ rc: '8' }).monitor()).state, 'running');
      assert.equal((await exitAgent({ rc: '7' }).monitor()).state, 'stopped');
      const names: Record<string, string> = {
        '1': 'OCF_ERR_GENERIC',
        '2': 'OCF_ERR_ARGS',
        '3': 'OCF_ERR_UNIMPLEMENTED',
        '4': 'OCF_ERR_PERM',
        '5': 'OCF_ERR_INSTALLED',
        '6': 'OCF_ERR_CONFIGURED',
        '9': 'OCF_FAILED_MASTER',
      };
      for (const [rc, name] of Object.entries(names)) {
        const m = await exitAgent({ rc, reason: `because ${rc}` }).monitor();
        assert.ok(m.state === 'failed', m.state);
        assert.match(
          m.reason,
          new RegExp(
            `^${name} \\(${rc}\\): because ${rc} \\(test:Exit monitor; .*a log line before the end$`,
          ),
        );
      }
      const odd = await exitAgent({ rc: '42' }).monitor();
      assert.ok(odd.state === 'failed');
      assert.match(odd.reason, /exited with status 42, which is not an OCF return code/);
    });

    it('a failing start is an AgentError with the OCF name, the reason and the last output', async () => {
      const a = exitAgent({ rc: '6', reason: 'the frobnicator is not set' });
      await assert.rejects(a.start(), (e: unknown) => {
        assert.ok(e instanceof AgentError);
        assert.equal(e.details.exitCode, 6);
        assert.equal(e.details.timedOut, false);
        assert.match(
          e.message,
          /^e1: start failed: OCF_ERR_CONFIGURED \(6\): the frobnicator is not set \(test:Exit start; the resource is misconfigured; check the params\); the agent's last output: .*INFO: a log line before the end$/,
        );
        return true;
      });
    });

    it('stop succeeds on 0 and 7 (not running), fails otherwise', async () => {
      await exitAgent({ rc: '0' }).stop();
      await exitAgent({ rc: '7' }).stop();
      await assert.rejects(exitAgent({ rc: '1' }).stop(), (e: unknown) => {
        assert.ok(e instanceof AgentError);
        assert.equal(e.details.op, 'stop');
        assert.match(e.details.reason, /^OCF_ERR_GENERIC \(1\)/);
        return true;
      });
    });

    it('a hanging agent is killed with its process group at the time limit: timedOut', async () => {
      const limits = { start: 300, stop: 300, monitor: 300 };
      const a = new OcfAgent(ocf('s1', 'test:Sleepy', {}, limits), opts());
      const seen: AgentCommand[] = [];
      await assert.rejects(a.start({ onCommand: (c) => seen.push(c) }), (e: unknown) => {
        assert.ok(e instanceof AgentError);
        assert.equal(e.details.timedOut, true);
        assert.equal(e.details.exitCode, null);
        assert.match(
          e.details.reason,
          /^test:Sleepy start did not finish within 300 ms and was killed with its process group; if it needs longer, raise resources\.ocf\[0\]\.timeouts\.start; the agent's last output: waiting for Godot$/,
        );
        return true;
      });
      assert.equal(seen[0]?.timedOut, true);
      const agentPid = Number(await readFile(join(rsctmp, 'agent.pid'), 'utf8'));
      const childPid = Number(await readFile(join(rsctmp, 'child.pid'), 'utf8'));
      for (let i = 0; i < 500 && !(isGone(agentPid) && isGone(childPid)); i++) await sleep(20);
      assert.ok(isGone(agentPid), `agent ${agentPid} still alive`);
      assert.ok(isGone(childPid), `its child ${childPid} still alive`);
      // A monitor that cannot finish cannot tell: it rejects rather than guess.
      await assert.rejects(a.monitor(), (e: unknown) => {
        assert.ok(e instanceof AgentError && e.details.timedOut);
        return true;
      });
    });

    it('an aborted operation kills the agent and says so', async () => {
      const a = new OcfAgent(ocf('s2', 'test:Sleepy'), opts());
      const ac = new AbortController();
      const p = a.start({ signal: ac.signal });
      await sleep(100);
      ac.abort();
      await assert.rejects(p, (e: unknown) => {
        assert.ok(e instanceof AgentError);
        assert.match(e.details.reason, /^test:Sleepy start was aborted and killed/);
        return true;
      });
    });

    it('validate: unreadable meta-data and an agent that is not executable', async () => {
      const bad = await new OcfAgent(ocf('x1', 'test:BadXml'), opts()).validate();
      assert.equal(bad.length, 1);
      assert.match(
        bad[0] ?? '',
        /cannot read the agent's meta-data: unreadable OCF meta-data: <parameters> is never closed/,
      );
      const nx = new OcfAgent(ocf('x2', 'test:NotExecutable'), opts());
      assert.match((await nx.validate())[0] ?? '', /is not executable; chmod \+x it/);
      await assert.rejects(nx.start(), /is not executable/);
    });
  });

  describe('IPaddr2 in a network namespace', { skip: notRoot }, () => {
    const ns = `ha-${randomBytes(4).toString('hex')}`;
    // 10.<a>.<b>.0/24, so two runs at once do not meet (and it is inside the namespace anyway).
    const net = `10.${100 + (randomBytes(1)[0]! % 100)}.${randomBytes(1)[0]! % 250}`;
    const vip = `${net}.50`;
    let rsctmp = '';
    before(async () => {
      rsctmp = join(tmp, 'rsctmp-ip');
      await execFile('ip', ['netns', 'add', ns]);
      await execFile('ip', ['-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
      await execFile('ip', ['-n', ns, 'link', 'set', 'v0', 'up']);
      await execFile('ip', ['-n', ns, 'link', 'set', 'v1', 'up']);
      await execFile('ip', ['-n', ns, 'addr', 'add', `${net}.1/24`, 'dev', 'v0']);
    });
    after(async () => {
      await execFile('ip', ['netns', 'del', ns]).catch(() => undefined);
    });
    const opts = (): OcfAgentOptions => ({
      stateDir: rsctmp,
      commandPrefix: ['ip', 'netns', 'exec', ns],
    });
    const hasVip = async (): Promise<boolean> => {
      const { stdout } = await execFile('ip', ['-n', ns, '-o', '-4', 'addr', 'show', 'dev', 'v0']);
      return stdout.includes(` ${vip}/24 `);
    };

    agentContract({
      make: () =>
        new OcfAgent(
          ocf('vip', 'heartbeat:IPaddr2', { ip: vip, cidr_netmask: '24', nic: 'v0' }),
          opts(),
        ),
      isOnline: hasVip,
      makeFailing: () =>
        new OcfAgent(
          ocf('vip', 'heartbeat:IPaddr2', { ip: vip, cidr_netmask: '24', nic: 'nosuchnic' }),
          opts(),
        ),
    });

    it("a missing required parameter: OCF_ERR_CONFIGURED with the agent's reason", async () => {
      const a = new OcfAgent(ocf('vip2', 'heartbeat:IPaddr2', { cidr_netmask: '24' }), opts());
      await assert.rejects(a.start(), (e: unknown) => {
        assert.ok(e instanceof AgentError);
        assert.equal(e.details.exitCode, 6);
        assert.match(
          e.details.reason,
          /^OCF_ERR_CONFIGURED \(6\): IP address \(the ip parameter\) is mandatory \(heartbeat:IPaddr2 start;/,
        );
        return true;
      });
      const problems = await a.validate();
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0] ?? '', /params\.ip: required by IPaddr2 but not set/);
      assert.equal(await hasVip(), false);
    });

    it('validate: integer and boolean parameters are checked against the meta-data', async () => {
      const a = new OcfAgent(
        ocf('vip3', 'heartbeat:IPaddr2', { ip: vip, arp_count: 'five', lvs_support: 'maybe' }),
        opts(),
      );
      const problems = await a.validate();
      assert.equal(problems.length, 2, problems.join('\n'));
      assert.match(problems.join('\n'), /params\.arp_count: "five" is not an integer/);
      assert.match(
        problems.join('\n'),
        /params\.lvs_support: "maybe" is not a boolean; write true or false/,
      );
      const good = new OcfAgent(
        ocf('vip3', 'heartbeat:IPaddr2', {
          ip: vip,
          cidr_netmask: '24',
          nic: 'v0',
          arp_count: '2',
        }),
        opts(),
      );
      assert.deepEqual(await good.validate(), []);
    });
  });

  describe('Filesystem on a loop device', { skip: noFsTools }, () => {
    let dir = '';
    let loop = '';
    let mnt = '';
    const mounted = (): Promise<boolean> =>
      readFile('/proc/self/mountinfo', 'utf8').then((t) =>
        t.split('\n').some((l) => l.split(' ')[4] === mnt),
      );
    before(async () => {
      dir = join(tmp, 'fs');
      mnt = join(dir, 'mnt');
      await mkdir(mnt, { recursive: true });
      const img = join(dir, 'disk.img');
      await writeFile(img, '');
      await execFile('truncate', ['-s', '32M', img]);
      await execFile('mkfs.ext4', ['-q', '-F', img]);
      loop = (await execFile('losetup', ['--find', '--show', img])).stdout.trim();
    });
    after(async () => {
      // Whatever a failed test left: unmount (bounded), then free the loop device.
      for (let i = 0; i < 5 && mnt !== '' && (await mounted()); i++) {
        await execFile('umount', [mnt]).catch(() => sleep(200));
      }
      if (loop !== '') await execFile('losetup', ['-d', loop]).catch(() => undefined);
    });
    const opts = (): OcfAgentOptions => ({ stateDir: join(tmp, 'rsctmp-fs') });

    agentContract({
      make: () =>
        new OcfAgent(
          ocf('fs1', 'heartbeat:Filesystem', { device: loop, directory: mnt, fstype: 'ext4' }),
          opts(),
        ),
      isOnline: mounted,
      makeFailing: () =>
        new OcfAgent(
          ocf('fs1', 'heartbeat:Filesystem', {
            device: join(dir, 'no-such-device'),
            directory: mnt,
            fstype: 'ext4',
          }),
          opts(),
        ),
    });

    it("halt commands run Filesystem's stop: the file system is unmounted", async () => {
      const a = new OcfAgent(
        ocf('fs3', 'heartbeat:Filesystem', { device: loop, directory: mnt, fstype: 'ext4' }),
        opts(),
      );
      await a.start();
      assert.equal(await mounted(), true);
      await runHalt(a.haltCommands());
      assert.equal((await a.monitor()).state, 'stopped');
      assert.equal(await mounted(), false);
    });

    it('a missing device parameter: OCF_ERR_CONFIGURED, nothing mounted', async () => {
      const a = new OcfAgent(
        ocf('fs2', 'heartbeat:Filesystem', { directory: mnt, fstype: 'ext4' }),
        opts(),
      );
      await assert.rejects(a.start(), (e: unknown) => {
        assert.ok(e instanceof AgentError);
        assert.equal(e.details.exitCode, 6);
        assert.match(e.details.reason, /^OCF_ERR_CONFIGURED \(6\): .*device/);
        return true;
      });
      assert.equal(await mounted(), false);
      const problems = await a.validate();
      assert.match(problems.join('\n'), /params\.device: required by Filesystem but not set/);
    });
  });
});
