import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setImmediate as flushIo, setTimeout as sleep } from 'node:timers/promises';
import {
  SLOT_RECORD_BYTES,
  SLOT_STRIDE_BYTES,
  decodeSlot,
  encodeSlot,
  slotOffset,
} from '../core/diskhb/index.js';
import type { Heartbeat } from '../core/topology/index.js';
import { VirtualTime } from '../sim/virtual-time.js';
import { SystemClock } from './clock.js';
import {
  DiskHeartbeat,
  type DiskDevice,
  type DiskDeviceOpener,
  type DiskHeartbeatOptions,
  type DiskProblem,
} from './diskhb.js';
import { SystemTimers } from './timers.js';

const CLUSTER = 7001;
const NETWORK = 'net_diskhb_01';
const INTERVAL = 50;

interface Node {
  readonly hb: DiskHeartbeat;
  readonly heartbeats: Heartbeat[];
  readonly problems: DiskProblem[];
}

/** A node with id `id` in slot `id`, watching the given peers (also slot = id). */
function startNode(
  path: string,
  id: number,
  peers: readonly number[],
  extra: Partial<DiskHeartbeatOptions> = {},
): Node {
  const heartbeats: Heartbeat[] = [];
  const problems: DiskProblem[] = [];
  const hb = DiskHeartbeat.start({
    path,
    clusterId: CLUSTER,
    nodeId: id,
    slot: id,
    peers: peers.map((p) => ({ nodeId: p, slot: p, interfaceId: `node${p}-diskhb` })),
    network: NETWORK,
    intervalMs: INTERVAL,
    incarnation: 1000 + id,
    clock: new SystemClock(),
    timers: new SystemTimers(),
    onHeartbeat: (h) => heartbeats.push(h),
    onProblem: (p) => problems.push(p),
    createIfMissing: true,
    ...extra,
  });
  return { hb, heartbeats, problems };
}

/** Polls `condition` until it holds; fails after `timeoutMs` rather than hanging the suite. */
async function until(condition: () => boolean, what: string, timeoutMs = 4000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const peerStats = (n: Node, nodeId: number) => {
  const p = n.hb.stats().peers.find((x) => x.nodeId === nodeId);
  assert.ok(p, `peer ${nodeId}`);
  return p;
};

describe('DiskHeartbeat on a shared file', { timeout: 20_000 }, () => {
  let dir = '';
  let n = 0;
  const fresh = (): string => join(dir, `hb-${++n}.img`);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haven-diskhb-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const directIo of ['auto', 'off'] as const) {
    it(`two nodes see each other's counters advance; a stopped node is silence (directIo ${directIo})`, async () => {
      const path = fresh();
      const a = startNode(path, 1, [2], { directIo });
      const b = startNode(path, 2, [1], { directIo });
      try {
        await until(
          () => a.heartbeats.length >= 3 && b.heartbeats.length >= 3,
          'three heartbeats each way',
        );
        // Strictly increasing counters of the right peer, in one incarnation.
        for (const [node, peer] of [
          [a, 2],
          [b, 1],
        ] as const) {
          const seqs = node.heartbeats.map((h) => h.seq);
          assert.deepEqual(
            seqs,
            [...seqs].sort((x, y) => x - y),
          );
          assert.equal(new Set(seqs).size, seqs.length);
          for (const h of node.heartbeats) {
            assert.equal(h.fromInterface, `node${peer}-diskhb`);
            assert.equal(h.network, NETWORK);
            assert.equal(h.incarnation, 1000 + peer);
          }
        }
        assert.equal(a.hb.stats().ownSlot, 'claimed');
        // 'auto' is direct where the file system allows it (ext4, xfs), and says so otherwise.
        const buffered = a.problems.some((p) => p.type === 'buffered-io');
        assert.equal(a.hb.stats().direct, directIo === 'auto' && !buffered);
        assert.ok((a.hb.stats().lastWriteLatencyMs ?? -1) >= 0);

        await b.hb.stop();
        assert.equal(b.hb.stats().state, 'stopped');
        const heardBefore = peerStats(a, 2).counters.heartbeats;
        const silentBefore = peerStats(a, 2).counters.silent;
        await until(
          () => peerStats(a, 2).counters.silent >= silentBefore + 3,
          'three silent reads',
        );
        // B's writes are over, but a read of A's that was in flight may still bring the last
        // two counters (one sampled before B's final write, one after); then only silence.
        const heardAfter = peerStats(a, 2).counters.heartbeats;
        assert.ok(
          heardAfter - heardBefore <= 2,
          `${heardAfter - heardBefore} heartbeats after stop`,
        );
        const settled = peerStats(a, 2).counters.heartbeats;
        const silent = peerStats(a, 2).counters.silent;
        await until(() => peerStats(a, 2).counters.silent >= silent + 2, 'more silence');
        assert.equal(peerStats(a, 2).counters.heartbeats, settled);
        // Any problem is a failure, except two that describe this machine, not the code:
        // buffered I/O where the file system refuses O_DIRECT, and a slow disk on a busy CI
        // machine (io-stalled / io-unstalled, tested deterministically with a scripted disk
        // below).
        const machine = new Set(['buffered-io', 'io-stalled', 'io-unstalled']);
        assert.deepEqual(
          a.problems.filter((p) => !machine.has(p.type)),
          [],
        );
      } finally {
        await a.hb.stop();
        await b.hb.stop();
      }
    });
  }

  it('creates the file at the needed size, writes a decodable record, and leaves it on stop', async () => {
    const path = fresh();
    const a = startNode(path, 3, [1, 2]);
    try {
      await until(() => a.hb.stats().writes >= 2, 'two writes');
    } finally {
      await a.hb.stop();
    }
    assert.equal((await stat(path)).size, 4 * SLOT_STRIDE_BYTES);
    const bytes = await readFile(path);
    const at = slotOffset(3);
    const r = decodeSlot(bytes.subarray(at, at + SLOT_RECORD_BYTES), {
      clusterId: CLUSTER,
      slot: 3,
      nodeId: 3,
    });
    assert.ok(r.ok);
    assert.equal(r.slot.incarnation, 1003);
    assert.equal(r.slot.counter, a.hb.stats().counter);
    assert.ok(bytes.subarray(at + SLOT_RECORD_BYTES, at + SLOT_STRIDE_BYTES).every((x) => x === 0));
  });

  it('counts garbage, foreign and empty peer slots by reason, and reports each once', async () => {
    const path = fresh();
    const a = startNode(path, 1, [2, 3, 4]);
    try {
      await until(() => a.hb.stats().reads >= 1, 'a first read');
      const file = await open(path, 'r+');
      try {
        // Slot 2: a torn record (Haven magic, damaged body). Slot 3: another cluster.
        const torn = encodeSlot({
          clusterId: CLUSTER,
          nodeId: 2,
          slot: 2,
          incarnation: 1,
          counter: 5,
          wallMs: 0,
        });
        torn.fill(0xab, 200, 300);
        await file.write(torn, 0, torn.length, slotOffset(2));
        const other = encodeSlot({
          clusterId: 9,
          nodeId: 3,
          slot: 3,
          incarnation: 1,
          counter: 5,
          wallMs: 0,
        });
        await file.write(other, 0, other.length, slotOffset(3));
      } finally {
        await file.close();
      }
      await until(
        () => a.hb.stats().decodeFailures['bad-checksum'] >= 3,
        'three bad-checksum reads',
      );
      const s = a.hb.stats();
      assert.ok(s.decodeFailures['wrong-cluster'] >= 2);
      assert.ok(s.decodeFailures.empty >= 3, 'slot 4 was never written');
      assert.equal(s.heartbeats, 0);
      const invalid = a.problems.filter((p) => p.type === 'peer-slot-invalid');
      assert.deepEqual(
        invalid.map((p) => [p.peer.nodeId, p.reason]),
        [
          [2, 'bad-checksum'],
          [3, 'wrong-cluster'],
        ],
      );
    } finally {
      await a.hb.stop();
    }
  });

  it('reports a missing file without createIfMissing as ENOENT, keeps trying, and never throws', async () => {
    const path = join(dir, 'absent', 'disk.img');
    const a = startNode(path, 1, [2], { createIfMissing: false });
    try {
      await until(() => a.hb.stats().errors.open >= 3, 'three open attempts');
      const errors = a.problems.filter((p) => p.type === 'io-error');
      assert.equal(errors.length, 1, 'a run of the same error is reported once');
      const [e] = errors;
      assert.ok(e?.type === 'io-error');
      assert.equal(e.op, 'open');
      assert.equal(e.error.details.errno, 'ENOENT');
      assert.equal(e.error.code, 'DISKHB_IO');
      assert.equal(a.hb.stats().state, 'closed');
    } finally {
      await a.hb.stop();
    }
    await assert.rejects(stat(path), { code: 'ENOENT' }, 'nothing was created');
  });

  it('does not write over non-Haven data in its own slot, and reclaims a stale record', async () => {
    const path = fresh();
    await writeFile(
      path,
      new Uint8Array(3 * SLOT_STRIDE_BYTES).fill(0xef, slotOffset(1), slotOffset(1) + 512),
    );
    const a = startNode(path, 1, [2]);
    try {
      await until(() => a.hb.stats().reads >= 4, 'four reads');
      assert.equal(a.hb.stats().writes, 0);
      assert.deepEqual(
        a.problems.map((p) => p.type),
        ['foreign-data'],
      );
    } finally {
      await a.hb.stop();
    }

    // A record of another cluster that nobody updates: taken over after the quiet period.
    const stale = encodeSlot({
      clusterId: 99,
      nodeId: 1,
      slot: 1,
      incarnation: 1,
      counter: 1,
      wallMs: 0,
    });
    const file = await open(path, 'r+');
    await file.write(stale, 0, stale.length, slotOffset(1));
    await file.close();
    const b = startNode(path, 1, [2]);
    try {
      await until(() => b.hb.stats().writes >= 1, 'a write');
      const reclaimed = b.problems.find((p) => p.type === 'slot-reclaimed');
      assert.ok(reclaimed?.type === 'slot-reclaimed');
      assert.deepEqual(reclaimed.previous, {
        kind: 'invalid',
        reason: 'wrong-cluster',
        record: { clusterId: 99, nodeId: 1, slot: 1, incarnation: 1, counter: 1, wallMs: 0 },
      });
    } finally {
      await b.hb.stop();
    }
  });

  it('detects another writer in its own slot (two nodes configured into one slot)', async () => {
    const path = fresh();
    const a = startNode(path, 1, [2]);
    const intruder = startNode(path, 1, [2], { incarnation: 5 }); // same slot, another life
    try {
      await until(
        () =>
          [...a.problems, ...intruder.problems].some(
            (p) => p.type === 'slot-conflict' || p.type === 'slot-busy',
          ),
        'a conflict report',
      );
    } finally {
      await a.hb.stop();
      await intruder.hb.stop();
    }
  });
});

// ---- a scripted device in virtual time ----------------------------------------------

type Gate = { promise: Promise<void>; open: () => void };
function gate(): Gate {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** An in-memory disk whose reads and writes can be held (a hung device) or made to fail. */
class ScriptedDisk {
  readonly bytes = new Uint8Array(4 * SLOT_STRIDE_BYTES);
  hold: { read?: Gate; write?: Gate } = {};
  fail: { read?: string; write?: string } = {};
  closed = 0;

  opener(): DiskDeviceOpener {
    return () => Promise.resolve({ device: this.#device(), notes: [] });
  }

  #device(): DiskDevice {
    const call = async (op: 'read' | 'write'): Promise<void> => {
      const held = this.hold[op];
      if (held) await held.promise;
      const errno = this.fail[op];
      if (errno !== undefined) throw Object.assign(new Error(`${op} failed`), { code: errno });
    };
    return {
      direct: true,
      write: async (block, position) => {
        await call('write');
        this.bytes.set(block, position);
      },
      read: async (position, length) => {
        await call('read');
        return this.bytes.slice(position, position + length);
      },
      close: () => {
        this.closed++;
        return Promise.resolve();
      },
    };
  }

  /** Writes a peer's record as that peer would. */
  beat(nodeId: number, counter: number, incarnation = 1): void {
    const record = encodeSlot({
      clusterId: CLUSTER,
      nodeId,
      slot: nodeId,
      incarnation,
      counter,
      wallMs: 0,
    });
    this.bytes.set(record, slotOffset(nodeId));
  }
}

function virtualNode(disk: ScriptedDisk, extra: Partial<DiskHeartbeatOptions> = {}) {
  const time = new VirtualTime();
  const heartbeats: Heartbeat[] = [];
  const problems: DiskProblem[] = [];
  const hb = DiskHeartbeat.start({
    path: '/dev/scripted',
    clusterId: CLUSTER,
    nodeId: 1,
    slot: 1,
    peers: [{ nodeId: 2, slot: 2, interfaceId: 'node2-diskhb' }],
    network: NETWORK,
    intervalMs: 100,
    incarnation: 1,
    clock: time,
    timers: time,
    onHeartbeat: (h) => heartbeats.push(h),
    onProblem: (p) => problems.push(p),
    openDevice: disk.opener(),
    ...extra,
  });
  /** Advances `intervals` intervals, letting the device's promises settle after each. */
  const run = async (intervals: number, eachInterval?: (i: number) => void): Promise<void> => {
    await flushIo();
    for (let i = 0; i < intervals; i++) {
      eachInterval?.(i);
      time.advance(100);
      await flushIo();
    }
  };
  return { time, hb, heartbeats, problems, run };
}

describe('DiskHeartbeat with a scripted device (virtual time)', () => {
  it('turns a peer counter that advances into heartbeats, stamped at the read', async () => {
    const disk = new ScriptedDisk();
    const n = virtualNode(disk);
    let counter = 0;
    await n.run(5, () => {
      disk.beat(2, ++counter);
    });
    // The device opens at 100 (the first tick, at 0, starts the open) and is read at once:
    // that first read is only a baseline; every later one saw progress.
    assert.deepEqual(
      n.heartbeats.map((h) => [h.seq, h.nowMs]),
      [
        [2, 200],
        [3, 300],
        [4, 400],
        [5, 500],
      ],
    );
    assert.equal(n.hb.stats().writes, 5);
    await n.hb.stop();
  });

  it('a hung read is not doubled: overruns are counted, io-stalled reported, and writes go on', async () => {
    const disk = new ScriptedDisk();
    const n = virtualNode(disk);
    await n.run(2);
    const hung = gate();
    disk.hold.read = hung;
    const writesBefore = n.hb.stats().writes;
    await n.run(6);
    const s = n.hb.stats();
    assert.equal(s.overruns.read, 5, 'one read in flight; the five intervals after it are skipped');
    assert.equal(s.overruns.write, 0);
    assert.equal(s.writes - writesBefore, 6, 'our own beat is not held up by the hung read');
    const stalled = n.problems.filter((p) => p.type === 'io-stalled');
    assert.deepEqual(stalled, [{ type: 'io-stalled', op: 'read', pendingMs: 300 }]);

    // The device comes back: the late round is not believed, the next ones are.
    disk.hold = {};
    hung.open();
    await flushIo();
    assert.equal(n.hb.stats().lateReads, 1);
    assert.deepEqual(
      n.problems.filter((p) => p.type === 'io-unstalled').map((p) => p.op),
      ['read'],
    );
    let counter = 10;
    await n.run(3, () => {
      disk.beat(2, ++counter);
    });
    assert.ok(n.heartbeats.length >= 2);
    await n.hb.stop();
  });

  it('a hung write does not stop reads, and stop() gives up waiting after stopTimeoutMs', async () => {
    const disk = new ScriptedDisk();
    const n = virtualNode(disk, { stopTimeoutMs: 500 });
    await n.run(2);
    const hung = gate();
    disk.hold.write = hung;
    let counter = 0;
    await n.run(5, () => {
      disk.beat(2, ++counter);
    });
    assert.ok(n.hb.stats().overruns.write >= 4);
    assert.ok(n.heartbeats.length >= 3, 'peers are still heard');
    assert.ok(n.problems.some((p) => p.type === 'io-stalled' && p.op === 'write'));

    let stopped = false;
    const stopping = n.hb.stop().then(() => {
      stopped = true;
    });
    await flushIo();
    assert.equal(stopped, false);
    n.time.advance(500);
    await stopping;
    assert.deepEqual(n.problems.at(-1), { type: 'stop-timeout', pending: ['write'] });
    assert.equal(disk.closed, 0, 'the handle is not closed under a hung operation');
    hung.open();
    await flushIo();
    assert.equal(disk.closed, 1, 'closed once the operation returned');
    assert.equal(n.hb.stats().state, 'stopped');
  });

  it('reports a run of I/O errors once, with its errno, then the recovery', async () => {
    const disk = new ScriptedDisk();
    const n = virtualNode(disk);
    await n.run(1);
    disk.fail.read = 'EIO';
    await n.run(4);
    disk.fail.read = 'EACCES';
    await n.run(2);
    disk.fail = {};
    await n.run(1);
    const seen = n.problems.map((p) =>
      p.type === 'io-error'
        ? `error ${p.op} ${p.error.details.errno ?? '?'}`
        : p.type === 'io-recovered'
          ? `recovered ${p.op} after ${p.failures}`
          : p.type,
    );
    assert.deepEqual(seen, ['error read EIO', 'error read EACCES', 'recovered read after 6']);
    assert.equal(n.hb.stats().errors.read, 6);
  });

  it('reopens the device after an error that leaves the handle useless', async () => {
    const disk = new ScriptedDisk();
    let opens = 0;
    const opener = disk.opener();
    const n = virtualNode(disk, {
      openDevice: (request) => {
        opens++;
        return opener(request);
      },
    });
    await n.run(1);
    disk.fail.write = 'ENXIO';
    await n.run(1);
    disk.fail = {};
    await n.run(3);
    assert.equal(opens, 2);
    assert.equal(disk.closed, 1);
    assert.equal(n.hb.stats().state, 'open');
    await n.hb.stop();
  });

  it('survives callbacks that throw', async () => {
    const disk = new ScriptedDisk();
    const n = virtualNode(disk, {
      onHeartbeat: () => {
        throw new Error('listener bug');
      },
    });
    let counter = 0;
    await n.run(4, () => {
      disk.beat(2, ++counter);
    });
    assert.equal(n.hb.stats().callbackErrors, 3);
    assert.equal(n.hb.stats().heartbeats, 3);
    await n.hb.stop();
  });

  it('rejects inconsistent options as a programming error', () => {
    const disk = new ScriptedDisk();
    const base = { openDevice: disk.opener() };
    assert.throws(() => virtualNode(disk, { ...base, intervalMs: 0 }), {
      code: 'INVALID_ARGUMENT',
    });
    assert.throws(
      () => virtualNode(disk, { ...base, peers: [{ nodeId: 2, slot: 1, interfaceId: 'x' }] }),
      { code: 'INVALID_ARGUMENT' },
    );
    assert.throws(() => virtualNode(disk, { ...base, slot: 70_000 }), { code: 'INVALID_ARGUMENT' });
  });
});
