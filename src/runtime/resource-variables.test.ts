// The resource variables of user-defined events, measured in a fake /proc and /sys (exact
// figures and the edge cases) and on this machine's real ones (a process started here, the
// root file system, the loopback interface).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  parseCpuTimes,
  parseDiskstats,
  parseMeminfo,
  parseMounts,
  parsePasswd,
  parseRealUid,
} from './proc-stats.js';
import {
  instanceKey,
  ResourceVariableReader,
  type FileSystemStats,
  type ReadResult,
} from './resource-variables.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'haven-vars-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh fake tree: proc/, sys/ and etc/passwd under a new directory. */
async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(root, 't-'));
  await mkdir(join(dir, 'proc'), { recursive: true });
  await mkdir(join(dir, 'sys'), { recursive: true });
  await put(dir, files);
  return dir;
}

async function put(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

function reader(
  dir: string,
  more: ConstructorParameters<typeof ResourceVariableReader>[0] = {},
): ResourceVariableReader {
  return new ResourceVariableReader({
    proc: join(dir, 'proc'),
    sys: join(dir, 'sys'),
    passwd: join(dir, 'etc/passwd'),
    ...more,
  });
}

/** key -> value of the readings, asserting there were no problems. */
function values(r: ReadResult): Record<string, unknown> {
  assert.deepEqual(r.problems, []);
  return Object.fromEntries(r.readings.map((x) => [x.key, x.value]));
}

const MEMINFO = (total: number, available: number, swapTotal: number, swapFree: number) =>
  `MemTotal:       ${total} kB\nMemFree:          12 kB\nMemAvailable:   ${available} kB\n` +
  `SwapTotal:      ${swapTotal} kB\nSwapFree:       ${swapFree} kB\nHugePages_Total:       0\n`;

describe('proc-stats parsers', () => {
  it('unescape octal mount fields and keep mount order', () => {
    assert.deepEqual(
      parseMounts('/dev/sdb1 /mnt/my\\040disk\\011x ext4 rw 0 0\nproc /proc proc ro,nosuid 0 0\n'),
      [
        { source: '/dev/sdb1', mountPoint: '/mnt/my disk\tx', fsType: 'ext4', readOnly: false },
        { source: 'proc', mountPoint: '/proc', fsType: 'proc', readOnly: true },
      ],
    );
  });

  it('read meminfo sizes, /proc/stat CPU times, diskstats io_ticks, Uid and passwd', () => {
    const mem = parseMeminfo(MEMINFO(1000, 250, 0, 0));
    assert.equal(mem.get('MemAvailable'), 250);
    assert.equal(mem.get('HugePages_Total'), 0);
    assert.deepEqual(parseCpuTimes('cpu  1 2 3 40 5 6 7 8 100 100\ncpu0 1 1 1 1 1 1 1 1\n'), {
      idle: 40,
      iowait: 5,
      total: 72,
    });
    assert.equal(parseCpuTimes('intr 1 2 3\n'), undefined);
    assert.deepEqual(
      [...parseDiskstats('   8  0 sda 1 2 3 4 5 6 7 8 9 777 11\n 8 1 sda1 1 2\n')],
      [['sda', 777]],
    );
    assert.equal(parseRealUid('Name:\tx\nUid:\t1001\t0\t0\t0\n'), 1001);
    assert.deepEqual(
      [
        ...parsePasswd(
          'root:x:0:0::/root:/bin/sh\n# note\nbob:x:1000:1000::/:/bin/sh\nbob:x:7:7::/:/bin/sh\n',
        ),
      ],
      [
        ['root', 0],
        ['bob', 1000],
      ],
    );
  });

  it('make the canonical instance key with fields sorted by name', () => {
    assert.equal(instanceKey({ user: 'root', name: 'upr6' }), 'name=upr6;user=root');
    assert.equal(instanceKey({}), '');
  });
});

describe('ResourceVariableReader in a fake /proc and /sys', () => {
  it('memory.free_percent is MemAvailable / MemTotal; swap.free_percent is 100 without swap', async () => {
    const dir = await tree({ 'proc/meminfo': MEMINFO(2000, 500, 0, 0) });
    const r = reader(dir);
    assert.deepEqual(values(await r.read('memory.free_percent', {})), { '': 25 });
    assert.deepEqual(values(await r.read('swap.free_percent', {})), { '': 100 });
    await put(dir, { 'proc/meminfo': MEMINFO(2000, 500, 1000, 400) });
    assert.deepEqual(values(await r.read('swap.free_percent', {})), { '': 40 });
  });

  it('a meminfo without MemAvailable, or none at all, is a problem naming the file', async () => {
    const dir = await tree({ 'proc/meminfo': 'MemTotal: 100 kB\n' });
    const r = reader(dir);
    const a = await r.read('memory.free_percent', {});
    assert.deepEqual(a.readings, []);
    assert.match(a.problems.join(), /^memory\.free_percent: .*proc\/meminfo has no .*MemAvailable/);
    const b = await reader(join(dir, 'nowhere')).read('swap.free_percent', {});
    assert.match(
      b.problems.join(),
      /^swap\.free_percent: .*nowhere\/proc\/meminfo could not be read/,
    );
  });

  it('cpu.idle_percent: nothing on the first read, then delta idle / delta total (iowait is busy)', async () => {
    const dir = await tree({ 'proc/stat': 'cpu  100 0 100 800 0 0 0 0 0 0\n' });
    const r = reader(dir);
    assert.deepEqual(await r.read('cpu.idle_percent', {}), { readings: [], problems: [] });
    // +100 user, +50 iowait, +50 idle: idle is 50 of 200.
    await put(dir, { 'proc/stat': 'cpu  200 0 100 850 50 0 0 0 7 7\n' });
    assert.deepEqual(values(await r.read('cpu.idle_percent', {})), { '': 25 });
    // No tick since: no reading, and the sample stays, so the next interval is a real one.
    assert.deepEqual(await r.read('cpu.idle_percent', {}), { readings: [], problems: [] });
    await put(dir, { 'proc/stat': 'cpu  200 0 100 1050 50 0 0 0 7 7\n' });
    assert.deepEqual(values(await r.read('cpu.idle_percent', {})), { '': 100 });
  });

  it('load.average1 is the first field of loadavg', async () => {
    const dir = await tree({ 'proc/loadavg': '3.25 2.00 1.00 2/300 4242\n' });
    assert.deepEqual(values(await reader(dir).read('load.average1', {})), { '': 3.25 });
  });

  it('disk.busy_percent: io_ticks over the elapsed time, capped at 100; * is every whole real disk', async () => {
    const line = (dev: string, ticks: number) =>
      `   8  0 ${dev} 1 2 3 4 5 6 7 8 9 ${ticks} 11 0 0 0 0\n`;
    const stats = (sda: number, dm: number) =>
      line('sda', sda) + line('sda1', sda) + line('loop0', 5) + line('zram0', 5) + line('dm-0', dm);
    const dir = await tree({
      'proc/diskstats': stats(1000, 0),
      'sys/block/sda/size': '1\n',
      'sys/block/loop0/size': '1\n',
      'sys/block/zram0/size': '1\n',
      'sys/block/dm-0/size': '1\n',
    });
    let now = 10_000;
    const r = reader(dir, { nowMs: () => now });
    assert.deepEqual(await r.read('disk.busy_percent', { device: '*' }), {
      readings: [],
      problems: [],
    });
    assert.deepEqual(await r.read('disk.busy_percent', { device: 'dm-0' }), {
      readings: [],
      problems: [],
    });
    now += 2000;
    await put(dir, { 'proc/diskstats': stats(1500, 5000) });
    // Not sda1 (a partition: its time is part of sda's), nor loop0, zram0 or dm-0.
    assert.deepEqual(values(await r.read('disk.busy_percent', { device: '*' })), {
      'device=sda': 25,
    });
    // Named, a device-mapper device is measured; 5000 ms busy in 2000 ms is 100, not 250.
    assert.deepEqual(values(await r.read('disk.busy_percent', { device: 'dm-0' })), {
      'device=dm-0': 100,
    });
    const missing = await r.read('disk.busy_percent', { device: 'sdz' });
    assert.deepEqual(missing.readings, []);
    assert.match(
      missing.problems.join(),
      /^disk\.busy_percent for device=sdz: there is no block device sdz in .*proc\/diskstats/,
    );
  });

  it('fs.used_percent and fs.inodes_used_percent: statfs figures as df, every real mount for *', async () => {
    const dir = await tree({
      'proc/self/mounts':
        '/dev/sda1 / ext4 rw 0 0\nproc /proc proc rw 0 0\n' +
        '/dev/sdb1 /mnt/my\\040disk btrfs rw 0 0\ntmpfs /run tmpfs rw 0 0\ntmpfs /run tmpfs rw 0 0\n' +
        '/dev/loop3 /snap/core/1 squashfs ro,nodev,relatime 0 0\n',
    });
    const figures: Record<string, FileSystemStats> = {
      // used 600, available 300 (100 reserved for root): 600 / 900.
      '/': { bsize: 4096, blocks: 1000, bfree: 400, bavail: 300, files: 200, ffree: 150 },
      '/proc': { bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0 },
      '/mnt/my disk': { bsize: 4096, blocks: 100, bfree: 90, bavail: 90, files: 0, ffree: 0 },
      '/run': { bsize: 4096, blocks: 10, bfree: 10, bavail: 10, files: 10, ffree: 1 },
      // A read-only image is always full: left out of mount=*, measured when named.
      '/snap/core/1': { bsize: 4096, blocks: 100, bfree: 0, bavail: 0, files: 10, ffree: 0 },
    };
    const asked: string[] = [];
    const r = reader(dir, {
      statfs: (path) => {
        asked.push(path);
        const f = figures[path];
        return f ? Promise.resolve(f) : Promise.reject(new Error(`ENOENT: ${path}`));
      },
    });
    assert.deepEqual(values(await r.read('fs.used_percent', { mount: '*' })), {
      'mount=/': (600 / 900) * 100,
      'mount=/mnt/my disk': 10,
      'mount=/run': 0,
    });
    assert.equal(
      asked.filter((p) => p === '/run').length,
      1,
      'a mount point listed twice is read once',
    );
    assert.deepEqual(values(await r.read('fs.inodes_used_percent', { mount: '*' })), {
      'mount=/': 25,
      'mount=/mnt/my disk': 0, // btrfs: no inode limit
      'mount=/run': 90,
    });
    assert.deepEqual(values(await r.read('fs.used_percent', { mount: '/mnt/my disk' })), {
      'mount=/mnt/my disk': 10,
    });
    assert.deepEqual(values(await r.read('fs.used_percent', { mount: '/run/' })), {
      'mount=/run/': 0,
    });
    assert.deepEqual(values(await r.read('fs.used_percent', { mount: '/snap/core/1' })), {
      'mount=/snap/core/1': 100,
    });
  });

  it('a named mount point that is not mounted is a problem, not a reading of its parent', async () => {
    const dir = await tree({ 'proc/self/mounts': '/dev/sda1 / ext4 rw 0 0\n' });
    const asked: string[] = [];
    const r = reader(dir, {
      statfs: (path) => {
        asked.push(path);
        return Promise.resolve({ bsize: 1, blocks: 1, bfree: 1, bavail: 1, files: 1, ffree: 1 });
      },
    });
    const res = await r.read('fs.used_percent', { mount: '/data' });
    assert.deepEqual(res.readings, []);
    assert.equal(res.problems.length, 1);
    assert.match(
      res.problems[0] ?? '',
      /^fs\.used_percent for mount=\/data: \/data is not a mount point .*proc\/self\/mounts/,
    );
    assert.deepEqual(asked, []);
  });

  it('a file system whose statfs fails or never answers is a problem; a hung one is asked once', async () => {
    const dir = await tree({
      'proc/self/mounts': '/dev/sda1 / ext4 rw 0 0\nnfs:/x /net nfs rw 0 0\n',
    });
    let calls = 0;
    const r = reader(dir, {
      statfsTimeoutMs: 50,
      statfs: (path) => {
        if (path === '/') return Promise.reject(new Error('EIO: i/o error, statfs /'));
        calls++;
        return new Promise<never>(() => undefined); // a hard-mounted NFS server that is gone
      },
    });
    for (let i = 0; i < 2; i++) {
      const res = await r.read('fs.used_percent', { mount: '*' });
      assert.deepEqual(res.readings, []);
      assert.deepEqual(res.problems.toSorted(), [
        'fs.used_percent for mount=/: statfs(2) on / failed (EIO: i/o error, statfs /)',
        'fs.used_percent for mount=/net: statfs(2) on /net did not answer within 50 ms (a hung network file system?); check the mount with df /net',
      ]);
    }
    assert.equal(calls, 1);
  });

  it('process.count: by comm or argv[0] base name, real uid, pids ascending, previous count', async () => {
    const proc = (
      pid: number,
      comm: string,
      argv: string[],
      uid: number,
      state = 'S (sleeping)',
    ) => ({
      [`proc/${pid}/comm`]: `${comm}\n`,
      [`proc/${pid}/cmdline`]: argv.map((a) => `${a}\0`).join(''),
      [`proc/${pid}/status`]: `Name:\t${comm}\nState:\t${state}\nUid:\t${uid}\t0\t0\t0\n`,
    });
    const dir = await tree({
      'etc/passwd': 'root:x:0:0:root:/root:/bin/bash\nops:x:1000:1000::/home/ops:/bin/sh\n',
      ...proc(100, 'upr6', ['/opt/upr/bin/upr6', '-d'], 0),
      ...proc(20, 'python3', ['/opt/upr/upr6', 'x'], 1000), // matched by argv[0]
      ...proc(7, 'upr6', ['upr6'], 1000),
      ...proc(30, 'upr6', [], 0, 'Z (zombie)'), // has finished: not counted
      ...proc(40, 'upr6d', ['upr6d'], 0),
      // Uid 0 as effective uid only: the real uid is 1000.
      ...{
        'proc/50/comm': 'upr6\n',
        'proc/50/cmdline': 'upr6\0',
        'proc/50/status': 'State:\tR\nUid:\t1000\t0\t0\t0\n',
      },
      'proc/60/comm': 'upr6\n', // vanished after comm was read
      'proc/self/mounts': '', // not a pid
    });
    await mkdir(join(dir, 'proc/70')); // vanished before anything was read
    const r = reader(dir);
    assert.deepEqual(values(await r.read('process.count', { name: 'upr6' })), {
      'name=upr6': [4, 4, [7, 20, 50, 100]],
    });
    assert.deepEqual(values(await r.read('process.count', { name: 'upr6', user: 'root' })), {
      'name=upr6;user=root': [1, 1, [100]],
    });
    assert.deepEqual(values(await r.read('process.count', { user: '1000', name: 'upr6' })), {
      'name=upr6;user=1000': [3, 3, [7, 20, 50]],
    });
    await rm(join(dir, 'proc/100'), { recursive: true });
    const gone = await r.read('process.count', { name: 'upr6', user: 'root' });
    assert.deepEqual(values(gone), { 'name=upr6;user=root': [0, 1, []] });
    assert.deepEqual(gone.readings[0]?.instance, { name: 'upr6', user: 'root' });
    assert.deepEqual(values(await r.read('process.count', { name: 'upr6', user: 'root' })), {
      'name=upr6;user=root': [0, 0, []],
    });
  });

  it('process.count for a user not in /etc/passwd is a problem, with no reading', async () => {
    const dir = await tree({ 'etc/passwd': 'root:x:0:0:root:/root:/bin/bash\n' });
    const res = await reader(dir).read('process.count', { name: 'upr6', user: 'nobody9' });
    assert.deepEqual(res.readings, []);
    assert.match(
      res.problems.join(),
      /^process\.count for name=upr6;user=nobody9: there is no user 'nobody9' in .*etc\/passwd; give .*numeric uid/,
    );
  });

  it('net.interface_up: up, or unknown with carrier; * is every interface; a missing one is a problem', async () => {
    const dir = await tree({
      'sys/class/net/eth0/operstate': 'up\n',
      'sys/class/net/eth1/operstate': 'down\n',
      'sys/class/net/eth1/carrier': '0\n',
      'sys/class/net/tun0/operstate': 'unknown\n',
      'sys/class/net/tun0/carrier': '1\n',
      'sys/class/net/dummy0/operstate': 'unknown\n', // carrier unreadable: administratively down
      'sys/class/net/bonding_masters': 'bond0\n',
    });
    const r = reader(dir);
    assert.deepEqual(values(await r.read('net.interface_up', { device: '*' })), {
      'device=dummy0': 0,
      'device=eth0': 1,
      'device=eth1': 0,
      'device=tun0': 1,
    });
    assert.deepEqual(values(await r.read('net.interface_up', { device: 'tun0' })), {
      'device=tun0': 1,
    });
    for (const device of ['eth9', '../../etc']) {
      const res = await r.read('net.interface_up', { device });
      assert.deepEqual(res.readings, []);
      assert.match(
        res.problems.join(),
        new RegExp(`^net\\.interface_up for device=${device.replace(/\./g, '\\.')}: .*ip link`),
      );
    }
  });

  it('an unknown variable or an incomplete instance is a problem; node is not part of the key', async () => {
    const dir = await tree({ 'proc/loadavg': '1.5 1 1 1/1 1\n' });
    const r = reader(dir);
    assert.match(
      (await r.read('fs.totused', {})).problems.join(),
      /unknown resource variable 'fs\.totused'/,
    );
    assert.match(
      (await r.read('fs.used_percent', {})).problems.join(),
      /needs the instance field 'mount'/,
    );
    assert.deepEqual(values(await r.read('load.average1', { node: 'n1' })), { '': 1.5 });
  });
});

describe('ResourceVariableReader on this machine', { timeout: 30_000 }, () => {
  const started = new Set<number>();
  after(() => {
    for (const pid of started) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('process.count sees a process started with a distinctive argv[0], and not after it is killed', async () => {
    const name = `havenprobe${process.pid}`;
    const child = spawn('bash', ['-c', `exec -a /opt/haven-test/${name} sleep 60`], {
      stdio: 'ignore',
    });
    const pid = child.pid;
    assert.ok(pid !== undefined);
    started.add(pid);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const r = new ResourceVariableReader();
    const instance = { name, user: 'root' };
    // Until bash has exec'd, argv[0] is still bash's: a bounded wait.
    let res = await r.read('process.count', instance);
    for (let i = 0; i < 200 && (res.readings[0]?.value as unknown[] | undefined)?.[0] === 0; i++) {
      await sleep(10);
      res = await r.read('process.count', instance);
    }
    const [count, , pids] = values(res)[`name=${name};user=root`] as [number, number, number[]];
    assert.equal(count, 1);
    assert.deepEqual(pids, [pid]);
    process.kill(pid, 'SIGTERM');
    await exited; // reaped, so not even a zombie remains
    started.delete(pid);
    assert.deepEqual(values(await r.read('process.count', instance)), {
      [`name=${name};user=root`]: [0, 1, []],
    });
  });

  it('process.count by comm: this test runner is one of the processes of its program', async () => {
    const comm = readFileSync('/proc/self/comm', 'utf8').trim();
    const res = values(await new ResourceVariableReader().read('process.count', { name: comm }));
    const [count, previous, pids] = res[`name=${comm}`] as [number, number, number[]];
    assert.ok(pids.includes(process.pid), JSON.stringify(res));
    assert.equal(count, pids.length);
    assert.equal(previous, count);
    assert.deepEqual(
      pids,
      pids.toSorted((a, b) => a - b),
    );
  });

  it('fs.used_percent of / agrees with statfs, and mount=* has / but not /proc', async () => {
    const r = new ResourceVariableReader();
    const s = await statfs('/');
    const expected = ((s.blocks - s.bfree) / (s.blocks - s.bfree + s.bavail)) * 100;
    const got = values(await r.read('fs.used_percent', { mount: '/' }))['mount=/'];
    assert.equal(typeof got, 'number');
    // Other programs write to / meanwhile: agreement to a hundredth of a percent.
    assert.ok(Math.abs((got as number) - expected) < 0.01, `${String(got)} vs ${expected}`);
    const all = await r.read('fs.used_percent', { mount: '*' });
    const keys = all.readings.map((x) => x.key);
    assert.ok(keys.includes('mount=/'), keys.join());
    assert.ok(!keys.includes('mount=/proc') && !keys.includes('mount=/sys'), keys.join());
    const inodes = values(await r.read('fs.inodes_used_percent', { mount: '/' }))['mount=/'];
    assert.ok(typeof inodes === 'number' && inodes >= 0 && inodes <= 100);
  });

  it('net.interface_up: lo is up', async () => {
    const r = new ResourceVariableReader();
    assert.deepEqual(values(await r.read('net.interface_up', { device: 'lo' })), {
      'device=lo': 1,
    });
    const all = values(await r.read('net.interface_up', { device: '*' }));
    assert.equal(all['device=lo'], 1);
  });

  it('memory, swap, load, CPU and disks read as percentages (CPU and disks from the second read)', async () => {
    const r = new ResourceVariableReader();
    for (const v of ['memory.free_percent', 'swap.free_percent']) {
      const x = values(await r.read(v, {}))[''];
      assert.ok(typeof x === 'number' && x >= 0 && x <= 100, `${v}: ${String(x)}`);
    }
    const load = values(await r.read('load.average1', {}))[''];
    assert.ok(typeof load === 'number' && load >= 0);
    assert.deepEqual(await r.read('cpu.idle_percent', {}), { readings: [], problems: [] });
    assert.deepEqual(await r.read('disk.busy_percent', { device: '*' }), {
      readings: [],
      problems: [],
    });
    await sleep(100); // ten clock ticks at the usual 100 Hz
    const cpu = values(await r.read('cpu.idle_percent', {}))[''];
    assert.ok(typeof cpu === 'number' && cpu >= 0 && cpu <= 100, String(cpu));
    const disks = values(await r.read('disk.busy_percent', { device: '*' }));
    for (const [key, busy] of Object.entries(disks)) {
      assert.doesNotMatch(key, /device=(loop|ram|zram|dm-)/);
      assert.ok(typeof busy === 'number' && busy >= 0 && busy <= 100, `${key}: ${String(busy)}`);
    }
  });
});
