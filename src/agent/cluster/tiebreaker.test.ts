// The agent's side of the quorum server, against a real UDP socket on 127.0.0.1 playing the
// server: it answers only the reply to its outstanding request, and a denial when none comes.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, describe, it } from 'node:test';
import type { ClusterConfig } from '../../core/config/model.js';
import {
  decodeTiebreakRequest,
  encodeTiebreakReply,
  type TiebreakReply,
  type TiebreakRequest,
} from '../../core/tiebreaker/wire.js';
import { HmacSha256Authenticator } from '../../runtime/hmac.js';
import { SystemTimers } from '../../runtime/timers.js';
import { UdpTransport } from '../../runtime/udp.js';
import { Logger } from '../log.js';
import { createTiebreaker, type Tiebreaker } from './tiebreaker.js';

const CLUSTER = 77;
const mac = new HmacSha256Authenticator(Uint8Array.from({ length: 32 }, (_, i) => i + 1));

const server = dgram.createSocket('udp4');
await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
const port = server.address().port;
after(() => {
  server.close();
});

/** The next request the fake server receives, and where to answer. */
function nextRequest(): Promise<{ req: TiebreakRequest; answer: (bytes: Uint8Array) => void }> {
  return new Promise((resolve) => {
    server.once('message', (msg, rinfo) => {
      const d = decodeTiebreakRequest(new Uint8Array(msg), CLUSTER, mac);
      assert.ok(d.ok, 'the client sent a valid request');
      resolve({
        req: d.message,
        answer: (bytes) => {
          server.send(bytes, rinfo.port, rinfo.address);
        },
      });
    });
  });
}

function client(
  tieBreaker: ClusterConfig['quorum']['tieBreaker'],
  lines: string[] = [],
): Tiebreaker {
  // Only what the client reads of the definition.
  const config = {
    cluster: { id: CLUSTER },
    quorum: { tieBreaker },
    nodes: [],
    networks: [],
  } as unknown as ClusterConfig;
  return createTiebreaker({
    config,
    self: 2,
    incarnation: 99n,
    mac,
    leaseMs: 10_000,
    logger: new Logger((l) => lines.push(l)),
    timers: new SystemTimers(),
    transport: new UdpTransport(),
  });
}

const answerOf = (tb: Tiebreaker, requestId: string): Promise<boolean> =>
  new Promise((resolve) => {
    tb.ask(requestId, resolve);
  });

describe('the agent asking the quorum server', () => {
  it('sends who asks and for how long, and takes only the reply to its outstanding request', async () => {
    const tb = client({ type: 'server', address: '127.0.0.1', port });
    try {
      const incoming = nextRequest();
      const answer = answerOf(tb, 'tie:2:100');
      const { req, answer: send } = await incoming;
      assert.deepEqual(req, {
        clusterId: CLUSTER,
        node: 2,
        incarnation: 99n,
        requestId: 'tie:2:100',
        leaseMs: 10_000,
      });
      const grant: TiebreakReply = { ...req, granted: true, holder: 2, remainingMs: 10_000 };
      // Grants that answer something else: another request, another incarnation of this
      // node, another node. Then the real answer, a denial: it must be the one taken.
      send(encodeTiebreakReply({ ...grant, requestId: 'tie:2:99' }, mac));
      send(encodeTiebreakReply({ ...grant, incarnation: 98n }, mac));
      send(encodeTiebreakReply({ ...grant, node: 3, holder: 3 }, mac));
      send(encodeTiebreakReply({ ...grant, granted: false, holder: 1 }, mac));
      assert.equal(await answer, false);

      // A grant, then the same grant replayed as the answer to the next request: not taken,
      // and the question is denied when the time is up.
      const second = nextRequest();
      const granted = answerOf(tb, 'tie:2:200');
      const s = await second;
      const grantBytes = encodeTiebreakReply(
        { ...s.req, granted: true, holder: 2, remainingMs: 10_000 },
        mac,
      );
      s.answer(grantBytes);
      assert.equal(await granted, true);
      const third = nextRequest();
      const replayed = answerOf(tb, 'tie:2:300');
      (await third).answer(grantBytes);
      assert.equal(await replayed, false);
    } finally {
      await tb.close();
    }
  });

  it('answers a new question only after denying the one still open', async () => {
    const tb = client({ type: 'server', address: '127.0.0.1', port });
    try {
      const first = answerOf(tb, 'tie:2:1');
      const second = answerOf(tb, 'tie:2:2');
      assert.equal(await first, false);
      assert.equal(await second, false); // nobody answers: the timeout
    } finally {
      await tb.close();
    }
  });

  it('denies the disk tie-breaker when this node has no interface on its network, saying so once', async () => {
    const lines: string[] = [];
    const tb = client({ type: 'disk', network: 'disk1' }, lines);
    assert.equal(await answerOf(tb, 'a'), false);
    assert.equal(await answerOf(tb, 'b'), false);
    const warnings = lines.filter((l) =>
      l.includes('this node has no interface on a diskhb network'),
    );
    assert.equal(warnings.length, 1);
    await tb.close();
  });
});
