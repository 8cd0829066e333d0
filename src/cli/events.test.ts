import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EventsReply } from '../agent/control/api.js';
import { EVENTS, fixtureServer, haven, NOW } from './control-fixture.test-helper.js';
import { describeEvent, renderEvents } from './events.js';
import { WIDTH } from './view.js';

// The fixtures' times are local: keep the zone fixed so the dates below are the same anywhere.
process.env['TZ'] = 'UTC';

describe('haven events', () => {
  let server: Awaited<ReturnType<typeof fixtureServer>>;
  before(async () => {
    server = await fixtureServer({ 'events.list': () => Promise.resolve(EVENTS) });
  });
  after(async () => {
    await server.close();
  });

  it('shows the current event, the queue and the last events with outcome and groups', () => {
    const lines = renderEvents(EVENTS, 10, NOW);
    for (const l of lines) assert.ok(l.length <= WIDTH, `longer than ${WIDTH}: ${l}`);
    const text = lines.join('\n');
    assert.match(text, /^Current event on node1: rg_move node1 db to node1$/m);
    assert.match(text, /^ {2}started: +09:59:55 \(4\.2s ago\)$/m);
    assert.match(text, /^ {2}status: +barrier$/m);
    assert.match(text, /^ {2}releases: +-$/m);
    assert.match(text, /^ {2}acquires: +db$/m);
    assert.match(text, /^Queue: 2 waiting.*\n {2}1\. rg_offline node1\n {2}2\. node_down node3$/m);
    assert.match(text, /^Last 5 events, oldest first:$/m);
    // Yesterday's event under its date; today's under today's.
    assert.match(text, /^2025-03-13\n08:00:00 +node_up node3 +2s +completed +-$/m);
    assert.match(
      text,
      /^2025-03-14 \(today\)\n09:18:00 +node_up node1 +3\.25s +completed +acquired web, db$/m,
    );
    assert.match(text, /^09:48:00 +rg_move node1 db to node2 +1m1\.5s +completed +released db$/m);
    // An error, and its message on the line below under the event.
    assert.match(
      text,
      /^09:55:00 +node_up node2 +12s +ERROR +-\n {10}start of nfs_fs on node2 failed: mount exited 32$/m,
    );
  });

  it('-n limits the list to the newest N; dates are left out when all are today', () => {
    const text = renderEvents(EVENTS, 2, NOW).join('\n');
    assert.match(text, /^Last 2 of 5 events, oldest first:$/m);
    assert.doesNotMatch(text, /node_up node1/);
    assert.doesNotMatch(text, /^2025-/m);
    assert.match(text, /^09:55:00 +node_up node2/m);
  });

  it('shows an event in error with the way out, and says when nothing is running or queued', () => {
    const r: EventsReply = {
      ...EVENTS,
      current: { ...EVENTS.current!, status: 'error', error: 'start of pg failed: exit 1' },
      queue: [],
      recent: [],
    };
    const text = renderEvents(r, 10, NOW).join('\n');
    assert.match(text, /^ {2}status: +ERROR$/m);
    assert.match(text, /^ {2}error: +start of pg failed: exit 1$/m);
    assert.match(text.replace(/\s+/g, ' '), /then run `haven resume`\./);
    assert.match(text, /^Queue: empty$/m);
    assert.match(text, /^No events yet\.$/m);
    const idle = renderEvents({ ...r, current: null }, 10, NOW).join('\n');
    assert.match(idle, /^No event is running on node1\.$/m);
  });

  it('names an event with its details', () => {
    const e = {
      id: 'x',
      name: 'rg_move',
      node: 'node1',
      details: { group: 'db', failed: 'node2', why: 'x' },
    };
    assert.equal(describeEvent(e), 'rg_move node1 db (failed on node2) why=x');
  });

  it('haven events -n N asks the agent; --json prints the reply as is', async () => {
    const r = await haven('events', '-n', '1', '-s', server.socket);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Last 1 of 5 events/m);
    const j = await haven('events', '--json', '-s', server.socket);
    assert.deepEqual(JSON.parse(j.out), EVENTS);
  });

  it('-n takes a whole number: anything else is a usage error', async () => {
    const r = await haven('events', '-n', 'ten', '-s', server.socket);
    assert.equal(r.code, 64);
    assert.match(r.err, /expected a whole number/);
  });
});
