// The disk tie-breaker on a real file standing in for the shared disk (O_DIRECT on ext4, as on
// a real disk), two instances playing two nodes: one holds the lease while it renews, the
// other takes it over only leaseMs + margin after the holder went silent. Short timings.
import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { decodeSlot } from '../../core/diskhb/slot.js';
import {
  DISK_LEASE_BLOCK_BYTES,
  DISK_LEASE_MIN_DEVICE_BYTES,
  DISK_LEASE_OFFSET,
  DISK_LEASE_SLOT,
} from '../../core/tiebreaker/disk-lease.js';
import { SystemClock } from '../../runtime/clock.js';
import { openDiskDevice, type DiskDeviceOpener } from '../../runtime/diskhb-device.js';
import { HmacSha256Authenticator } from '../../runtime/hmac.js';
import { SystemTimers } from '../../runtime/timers.js';
import { Logger } from '../log.js';
import { DiskTiebreaker } from './disk-tiebreaker.js';

const LEASE = 2000;
const MARGIN = 500;
// Generous for a loaded test host: a claim whose write ends later than D is only denied.
const TIMING = {
  marginMs: MARGIN,
  writeDelayMs: 400,
  settleMs: 440,
  ioTimeoutMs: 300,
  pollMs: 100,
};
const CLUSTER = 41;
const mac = new HmacSha256Authenticator(Uint8Array.from({ length: 32 }, (_, i) => 200 - i));
const clock = new SystemClock();

const dir = await mkdtemp(join(tmpdir(), 'haven-disk-tb-'));
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function node(
  path: string,
  nodeId: number,
  lines: string[],
  createIfMissing = true,
  openDevice?: DiskDeviceOpener,
): DiskTiebreaker {
  return DiskTiebreaker.start({
    path,
    network: 'disk1',
    clusterId: CLUSTER,
    nodeId,
    incarnation: 1000 + nodeId,
    leaseMs: LEASE,
    authenticator: mac,
    clock,
    timers: new SystemTimers(),
    logger: new Logger((l) => lines.push(l)),
    createIfMissing,
    timing: TIMING,
    openDevice,
  });
}

/** Asks; resolves with the answer and the ask's time on the monotonic clock. */
function ask(tb: DiskTiebreaker, id: string): Promise<{ granted: boolean; atMs: number }> {
  const atMs = clock.monotonicMs();
  return new Promise((resolve) => {
    tb.ask(id, (granted) => {
      resolve({ granted, atMs });
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function leaseBlock(path: string): Promise<Uint8Array> {
  const bytes = await readFile(path);
  return new Uint8Array(
    bytes.subarray(DISK_LEASE_OFFSET, DISK_LEASE_OFFSET + DISK_LEASE_BLOCK_BYTES),
  );
}

describe('disk tie-breaker on a real file', () => {
  it('grants one node while it renews; the other takes over leaseMs + margin after it stopped', async () => {
    const path = join(dir, 'shared');
    const linesA: string[] = [];
    const linesB: string[] = [];
    const a = node(path, 1, linesA);
    const b = node(path, 2, linesB);
    try {
      // A takes the empty block (the first asks may come before the device is open).
      let aGrant: { granted: boolean; atMs: number } | undefined;
      for (let i = 0; i < 40 && !aGrant?.granted; i++) {
        aGrant = await ask(a, `a${String(i)}`);
        if (!aGrant.granted) await sleep(100);
      }
      assert.ok(aGrant?.granted, `A never got the empty block: ${linesA.join('')}`);
      let lastA = aGrant.atMs;

      // Both ask every quarter lease for three leases: B must never win while A renews.
      let aGranted = 0;
      let asks = 0;
      for (let i = 0; i < 12; i++) {
        await sleep(LEASE / 4);
        const [ra, rb] = await Promise.all([ask(a, `ra${String(i)}`), ask(b, `rb${String(i)}`)]);
        asks++;
        if (ra.granted) {
          aGranted++;
          lastA = ra.atMs;
        }
        assert.equal(rb.granted, false, `B was granted while A renewed (round ${String(i)})`);
      }
      assert.ok(
        aGranted >= asks / 2,
        `A renewed only ${String(aGranted)} of ${String(asks)} times`,
      );
      assert.equal(a.held(), true);

      // A stops renewing (its agent stopped): B gets the lease, but not before leaseMs + margin.
      await a.close();
      let bGrant: { granted: boolean; atMs: number } | undefined;
      for (let i = 0; i < 100 && !bGrant?.granted; i++) {
        bGrant = await ask(b, `b${String(i)}`);
        if (!bGrant.granted) await sleep(LEASE / 10);
      }
      assert.ok(bGrant?.granted, `B never took over: ${linesB.join('')}`);
      assert.ok(
        bGrant.atMs >= lastA + LEASE + MARGIN,
        `B's grant (asked ${(bGrant.atMs - lastA).toFixed(0)}ms after A's last) came before leaseMs + margin`,
      );
      const d = decodeSlot(
        (await leaseBlock(path)).subarray(0, 512),
        { clusterId: CLUSTER, slot: DISK_LEASE_SLOT },
        mac,
      );
      assert.ok(
        d.ok && d.slot.nodeId === 2 && d.slot.incarnation === 1002,
        'B’s record is on the disk',
      );
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('never writes over data that is not Haven’s, and says where it is', async () => {
    const path = join(dir, 'foreign');
    const handle = await open(path, 'w');
    const junk = new Uint8Array(DISK_LEASE_BLOCK_BYTES).fill(0x5a);
    await handle.write(junk, 0, junk.length, DISK_LEASE_OFFSET);
    await handle.close();
    const lines: string[] = [];
    const tb = node(path, 1, lines, false);
    try {
      let granted = 0;
      for (let i = 0; i < 8; i++) {
        if ((await ask(tb, `f${String(i)}`)).granted) granted++;
        await sleep(50);
      }
      assert.equal(granted, 0);
      assert.deepEqual(await leaseBlock(path), junk);
      const error = lines.find((l) => l.includes('"level":"error"'));
      assert.ok(
        error?.includes('not Haven') &&
          error.includes(path) &&
          error.includes(String(DISK_LEASE_OFFSET)),
        error,
      );
    } finally {
      await tb.close();
    }
  });

  it('denies every ask, with an error naming the device, when it cannot be opened', async () => {
    const path = join(dir, 'missing');
    const lines: string[] = [];
    const tb = node(path, 1, lines, false);
    try {
      assert.equal((await ask(tb, 'm1')).granted, false);
      await sleep(50);
      assert.equal((await ask(tb, 'm2')).granted, false);
      const error = lines.find((l) => l.includes("cannot open the disk tie-breaker's device"));
      assert.ok(error?.includes(path), lines.join(''));
    } finally {
      await tb.close();
    }
  });

  it('extends a short regular file to reach the lease block', async () => {
    const path = join(dir, 'short');
    await writeFile(path, new Uint8Array(4096));
    const lines: string[] = [];
    const tb = node(path, 1, lines, false);
    try {
      let granted = false;
      for (let i = 0; i < 40 && !granted; i++) {
        granted = (await ask(tb, `s${String(i)}`)).granted;
        if (!granted) await sleep(100);
      }
      assert.ok(granted, lines.join(''));
      assert.ok((await readFile(path)).length >= DISK_LEASE_MIN_DEVICE_BYTES);
    } finally {
      await tb.close();
    }
  });

  it('opens the device again after ENXIO, and keeps the lease it held', async () => {
    const path = join(dir, 'vanishing');
    let opens = 0;
    let failReads = 0;
    const opener: DiskDeviceOpener = async (request) => {
      opens++;
      const opened = await openDiskDevice(request);
      const device = opened.device;
      return {
        notes: opened.notes,
        device: {
          direct: device.direct,
          write: (block, position) => device.write(block, position),
          read: (position, length) => {
            if (failReads > 0) {
              failReads--;
              return Promise.reject(Object.assign(new Error('no such device'), { code: 'ENXIO' }));
            }
            return device.read(position, length);
          },
          close: () => device.close(),
        },
      };
    };
    const lines: string[] = [];
    const tb = node(path, 1, lines, true, opener);
    try {
      let granted = false;
      for (let i = 0; i < 40 && !granted; i++) {
        granted = (await ask(tb, `v${String(i)}`)).granted;
        if (!granted) await sleep(100);
      }
      assert.ok(granted, lines.join(''));
      failReads = 1;
      assert.equal((await ask(tb, 'gone')).granted, false);
      let renewed = false;
      for (let i = 0; i < 10 && !renewed; i++) {
        await sleep(100);
        renewed = (await ask(tb, `back${String(i)}`)).granted;
      }
      assert.ok(renewed, lines.join(''));
      assert.equal(opens, 2);
      assert.ok(tb.held());
    } finally {
      await tb.close();
    }
  });
});
