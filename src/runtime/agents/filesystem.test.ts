import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FilesystemResource } from '../../core/config/model.js';
import { AgentError, type AgentCommand } from './agent.js';
import { agentContract } from './contract.test-helper.js';
import { FilesystemAgent, parseMountinfo } from './filesystem.js';
import { mountTableName, unescapeMountField } from '../proc-stats.js';
import { assertNothingRan, HOSTILE, runHalt } from './halt.test-helper.js';

const skip =
  process.getuid?.() !== 0
    ? 'needs root: mount, umount and losetup'
    : !existsSync('/dev/loop-control')
      ? 'no /dev/loop-control: this kernel or container has no loop devices'
      : false;

function run(program: string, args: string[]): string {
  return execFileSync(program, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function isMountpoint(path: string): boolean {
  return spawnSync('mountpoint', ['-q', path]).status === 0;
}

function fs(
  fields: Partial<FilesystemResource> & Pick<FilesystemResource, 'device' | 'mountpoint'>,
): FilesystemResource {
  return {
    at: ['resources', 0],
    kind: 'filesystem',
    name: 'fs1',
    fstype: undefined,
    options: undefined,
    fsck: false,
    forceUnmount: false,
    timeoutMs: 30_000,
    ...fields,
  };
}

/** Has the process group a member that is not a zombie? (Orphans here may never be reaped.) */
function groupAlive(pgid: number): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
    } catch {
      // gone
    }
  }
  return false;
}

function reasonOf(e: unknown): string {
  assert.ok(e instanceof AgentError, String(e));
  return e.details.reason;
}

describe('parseMountinfo', () => {
  it('reads the fields, the optional ones, and undoes the octal escapes', () => {
    const text = [
      '36 35 98:0 /mnt1 /mnt/parent\\040dir/my\\011mnt rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue',
      '41 29 0:36 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw',
      'garbage line',
      '',
    ].join('\n');
    const entries = parseMountinfo(text);
    assert.equal(entries.length, 2);
    assert.deepEqual(entries[0], {
      mountId: 36,
      parentId: 35,
      major: 98,
      minor: 0,
      root: '/mnt1',
      mountpoint: '/mnt/parent dir/my\tmnt',
      options: 'rw,noatime',
      fstype: 'ext3',
      source: '/dev/root',
      superOptions: 'rw,errors=continue',
    });
    assert.equal(entries[1]?.mountpoint, '/sys/fs/cgroup');
    assert.equal(unescapeMountField('a\\134b\\012c'), 'a\\b\nc');
  });
});

describe('FilesystemAgent', { skip, timeout: 180_000 }, () => {
  let root = '';
  let image = '';
  let loop = '';
  let zeroLoop = '';
  const mountpoints: string[] = [];
  const holders = new Set<ChildProcess>();

  /** A mountpoint path under the test directory, remembered for clean-up. */
  const mp = (name: string): string => {
    const p = join(root, name);
    mountpoints.push(p);
    return p;
  };

  /** A process whose working directory is `dir`: it keeps the file system busy. */
  async function holdBusy(dir: string): Promise<ChildProcess> {
    // Its own process group: sh runs sleep as a child, and both hold the directory.
    const child = spawn('sh', ['-c', `cd '${dir}' && sleep 60`], {
      stdio: 'ignore',
      detached: true,
    });
    holders.add(child);
    const pid = child.pid;
    assert.ok(pid !== undefined);
    for (let i = 0; i < 200; i++) {
      try {
        if (readlinkSync(`/proc/${pid}/cwd`) === dir) return child;
      } catch {
        // not yet
      }
      await sleep(10);
    }
    assert.fail(`the holder never entered ${dir}`);
  }

  /** SIGKILL to the holder's whole process group; resolves once none of it is alive. */
  async function release(holder: ChildProcess): Promise<void> {
    const pgid = holder.pid;
    if (pgid === undefined) return;
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      return; // already gone
    }
    for (let i = 0; i < 200 && groupAlive(pgid); i++) await sleep(10);
  }

  before(async () => {
    root = await realpath(await mkdtemp(join(tmpdir(), 'haven-fs-')));
    image = join(root, 'disk.img');
    run('truncate', ['-s', '32M', image]);
    run('mkfs.ext4', ['-q', '-F', image]);
    loop = run('losetup', ['-f', '--show', image]).trim();
    const zeros = join(root, 'zeros.img');
    run('truncate', ['-s', '8M', zeros]);
    zeroLoop = run('losetup', ['-f', '--show', zeros]).trim();
  });

  after(async () => {
    for (const h of holders) await release(h);
    for (const p of mountpoints) {
      for (let i = 0; i < 5 && isMountpoint(p); i++) spawnSync('umount', [p]);
      if (isMountpoint(p)) spawnSync('umount', ['-l', p]);
    }
    for (const l of [loop, zeroLoop]) if (l) spawnSync('losetup', ['-d', l]);
    await rm(root, { recursive: true, force: true });
  });

  describe('ext4 on a loop device, with fsck', () => {
    let mnt = '';
    before(() => {
      mnt = mp('data/mnt'); // data/ does not exist: start creates it
    });
    agentContract({
      make: () =>
        new FilesystemAgent({
          resource: fs({ device: loop, mountpoint: mnt, fstype: 'ext4', fsck: true }),
        }),
      isOnline: () => Promise.resolve(isMountpoint(mnt)),
      makeFailing: () =>
        new FilesystemAgent({
          resource: fs({ device: join(root, 'no-such-device'), mountpoint: mnt, fstype: 'ext4' }),
        }),
    });
  });

  describe('tmpfs on a mountpoint with a space in its path', () => {
    let mnt = '';
    before(async () => {
      mnt = mp('with space/mnt');
      await mkdir(mnt, { recursive: true });
    });
    agentContract({
      make: () =>
        new FilesystemAgent({
          resource: fs({ device: 'havenfs', mountpoint: mnt, fstype: 'tmpfs', options: 'size=4m' }),
        }),
      isOnline: () => Promise.resolve(isMountpoint(mnt)),
    });
  });

  it('start fails, and stop leaves it alone, when something else is mounted there', async () => {
    const mnt = mp('taken');
    await mkdir(mnt);
    run('mount', ['-t', 'tmpfs', 'other', mnt]);
    const a = new FilesystemAgent({ resource: fs({ device: loop, mountpoint: mnt }) });
    await assert.rejects(a.start(), (e: unknown) => {
      assert.match(reasonOf(e), /already has other \(tmpfs\) mounted on it/);
      return true;
    });
    const status = await a.monitor();
    assert.equal(status.state, 'failed');
    await a.stop(); // ours is not mounted: nothing to do, and not someone else's to unmount
    assert.ok(isMountpoint(mnt));
    run('umount', [mnt]);
  });

  it('start fails when the device is already mounted on another mountpoint', async () => {
    const elsewhere = mp('elsewhere');
    await mkdir(elsewhere);
    run('mount', [loop, elsewhere]);
    const mnt = mp('twice');
    const a = new FilesystemAgent({ resource: fs({ device: loop, mountpoint: mnt }) });
    try {
      await assert.rejects(a.start(), (e: unknown) => {
        assert.match(reasonOf(e), new RegExp(`is already mounted on ${elsewhere}`));
        return true;
      });
      assert.equal(isMountpoint(mnt), false);
    } finally {
      run('umount', [elsewhere]);
    }
  });

  it('stop without forceUnmount fails on a busy mount, naming the processes', async () => {
    const mnt = mp('busy');
    const a = new FilesystemAgent({ resource: fs({ device: loop, mountpoint: mnt }) });
    await a.start();
    const holder = await holdBusy(mnt);
    await assert.rejects(a.stop(), (e: unknown) => {
      assert.match(reasonOf(e), /is busy: in use by/);
      assert.match(reasonOf(e), new RegExp(`pid ${String(holder.pid)} \\((sh|sleep)\\)`));
      assert.match(reasonOf(e), /set forceUnmount: true/);
      return true;
    });
    assert.ok(isMountpoint(mnt));
    assert.equal(holder.exitCode, null);
    assert.equal(holder.signalCode, null);
    await release(holder);
    await a.stop();
    assert.equal(isMountpoint(mnt), false);
  });

  it('stop with forceUnmount kills the processes that keep it busy, then unmounts', async () => {
    const mnt = mp('force');
    const a = new FilesystemAgent({
      resource: fs({ device: loop, mountpoint: mnt, forceUnmount: true }),
    });
    await a.start();
    const holder = await holdBusy(mnt);
    const exited = new Promise<string | null>((resolve) =>
      holder.once('exit', (_code, signal) => {
        resolve(signal);
      }),
    );
    const seen: AgentCommand[] = [];
    await a.stop({ onCommand: (c) => seen.push(c) });
    assert.equal(isMountpoint(mnt), false);
    assert.equal(await exited, 'SIGKILL');
    const commands = seen.map((c) => c.command);
    assert.deepEqual(commands.slice(0, 3), [
      `umount ${mnt}`,
      `fuser -k -M -m ${mnt}`,
      `umount ${mnt}`,
    ]);
    assert.equal(seen[0]?.exitCode, 32);
  });

  it('halt commands kill what uses the mount and unmount it, even without forceUnmount', async () => {
    const mnt = mp('halt');
    const a = new FilesystemAgent({ resource: fs({ device: loop, mountpoint: mnt }) });
    await a.start();
    const holder = await holdBusy(mnt);
    const exited = new Promise<string | null>((resolve) =>
      holder.once('exit', (_code, signal) => {
        resolve(signal);
      }),
    );
    await runHalt(a.haltCommands());
    assert.equal((await a.monitor()).state, 'stopped');
    assert.equal(isMountpoint(mnt), false);
    assert.equal(await exited, 'SIGKILL');
  });

  it('halt commands leave an unmounted mountpoint, and the users of the file system under it, alone', async () => {
    const mnt = mp('halt-idle');
    await mkdir(mnt, { recursive: true });
    const a = new FilesystemAgent({ resource: fs({ device: loop, mountpoint: mnt }) });
    // In the directory, so on the parent file system: fuser -m without -M would kill it.
    const holder = await holdBusy(mnt);
    await runHalt(a.haltCommands());
    assert.equal(holder.exitCode, null);
    assert.equal(holder.signalCode, null);
    assert.equal((await a.monitor()).state, 'stopped');
    await release(holder);
  });

  it('halt commands quote the mountpoint: a hostile path is unmounted and nothing in it runs', async () => {
    const mnt = mp(HOSTILE);
    const a = new FilesystemAgent({
      resource: fs({ device: 'havenfs', mountpoint: mnt, fstype: 'tmpfs', options: 'size=4m' }),
    });
    await a.start();
    assert.ok(isMountpoint(mnt));
    await runHalt(a.haltCommands(), root);
    assert.equal((await a.monitor()).state, 'stopped');
    assert.equal(isMountpoint(mnt), false);
    await assertNothingRan(root);
  });

  it('a file system fsck cannot repair is not mounted', async () => {
    const mnt = mp('broken');
    const a = new FilesystemAgent({
      resource: fs({ device: zeroLoop, mountpoint: mnt, fstype: 'ext4', fsck: true }),
    });
    await assert.rejects(a.start(), (e: unknown) => {
      assert.match(reasonOf(e), /fsck of .* exited with status 8/);
      assert.match(reasonOf(e), /operational error/);
      assert.ok(e instanceof AgentError && e.details.exitCode === 8);
      return true;
    });
    assert.equal(isMountpoint(mnt), false);
  });

  it('fsck status 1 (errors corrected) goes on to mount', async () => {
    // Not cleanly unmounted, and a wrong free block count: fsck -a fixes it and says 1.
    run('debugfs', ['-w', '-R', 'ssv state 0', loop]);
    run('debugfs', ['-w', '-R', 'ssv free_blocks_count 12', loop]);
    const mnt = mp('fixed');
    const a = new FilesystemAgent({
      resource: fs({ device: loop, mountpoint: mnt, fstype: 'ext4', fsck: true }),
    });
    const seen: AgentCommand[] = [];
    await a.start({ onCommand: (c) => seen.push(c) });
    const [fsck] = seen;
    assert.equal(fsck?.command, `fsck -a -t ext4 ${loop}`);
    assert.equal(fsck.exitCode, 1);
    assert.ok(isMountpoint(mnt));
    await a.stop();
  });

  it('validate names the mountpoint, device and fsck problems', async () => {
    const good = new FilesystemAgent({
      resource: fs({ device: loop, mountpoint: join(root, 'v'), fstype: 'ext4', fsck: true }),
    });
    assert.deepEqual(await good.validate(), []);
    const bad = new FilesystemAgent({
      resource: fs({ device: join(root, 'missing'), mountpoint: '/', fsck: true }),
    });
    const problems = await bad.validate();
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.ok(
      problems.some((p) => p.includes('mountpoint / must be an absolute path other than /')),
    );
    assert.ok(problems.some((p) => p.includes('does not exist on this node')));
    const tmpfs = new FilesystemAgent({
      resource: fs({ device: 'none', mountpoint: join(root, 'v'), fstype: 'tmpfs', fsck: true }),
    });
    const tp = await tmpfs.validate();
    assert.ok(
      tp.some((p) => p.includes('is not a block device')),
      tp.join('\n'),
    );
  });
});

describe('mountTableName', () => {
  it('writes a mount point as /proc/self/mounts does', () => {
    assert.equal(mountTableName('/srv/data/'), '/srv/data');
    assert.equal(mountTableName('/srv/my data'), '/srv/my\\040data');
    assert.equal(mountTableName('/a\tb\\c'), '/a\\011b\\134c');
    assert.equal(mountTableName('/'), '/');
  });
});
