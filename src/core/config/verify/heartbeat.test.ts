import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BASELINE, edit, lineOf, verify } from './testing.js';

const TUNABLE = '    interval: 200ms\n    sensitivity: 4\n';
const DISKHB = '    heartbeat:\n      interval: 500ms\n';

describe('heartbeat: interval range', () => {
  it('reports a cluster-wide interval under 50ms once, at the tunable', () => {
    const text = edit(BASELINE, [TUNABLE, '    interval: 20ms\n    sensitivity: 4\n']);
    const r = verify(text);
    r.expect('heartbeat-interval-range', {
      path: 'tunables.heartbeat.interval',
      line: lineOf(text, 'interval: 20ms'),
      message: /20ms, too short/,
    });
    assert.equal(r.all('heartbeat-interval-range').length, 1);
  });

  it('reports a network override over 10s at the network', () => {
    const text = edit(BASELINE, [DISKHB, '    heartbeat:\n      interval: 11s\n']);
    verify(text).expect('heartbeat-interval-range', {
      path: 'networks[2].heartbeat.interval',
      message: /network net_diskhb_01 is 11s, too long/,
    });
  });

  it('accepts the limits themselves', () => {
    for (const interval of ['50ms', '10s']) {
      const text = edit(BASELINE, [TUNABLE, `    interval: ${interval}\n    sensitivity: 2\n`]);
      verify(text).expectNone('heartbeat-interval-range');
    }
  });
});

describe('heartbeat: detection times', () => {
  it('tells each network its detection time, in words', () => {
    const r = verify(BASELINE);
    r.expect('heartbeat-detection', {
      path: 'networks[0]',
      severity: 'info',
      message:
        /^detects a failed interface on net_ether_01 after 800ms \(4 missed heartbeats at 200ms\)$/,
    });
    r.expect('heartbeat-detection', {
      path: 'networks[2]',
      message: /disk heartbeat path on net_diskhb_01 after 2s \(4 missed heartbeats at 500ms\)/,
    });
  });

  it('tells the node detection time: the slowest path of a node', () => {
    const d = verify(BASELINE).expect('node-detection', { severity: 'info' });
    assert.match(d.message, /^detects a failed node after 2s: .* its slowest is net_diskhb_01/);
  });

  it('gives a range when nodes differ', () => {
    const text = edit(BASELINE, [
      '      - { network: net_diskhb_01, device: /dev/disk/by-id/hb }\nresources:',
      'resources:',
    ]);
    const d = verify(text).expect('node-detection');
    assert.match(d.message, /from 800ms to 2s, depending on the node \(node1 is the slowest\)/);
  });

  it('warns when a network takes more than 30s to notice a failure', () => {
    const text = edit(BASELINE, [
      DISKHB,
      '    heartbeat:\n      interval: 10s\n      sensitivity: 4\n',
    ]);
    verify(text).expect('heartbeat-detection-slow', {
      path: 'networks[2].heartbeat',
      severity: 'warning',
      message: /goes unnoticed for 40s/,
    });
    verify(BASELINE).expectNone('heartbeat-detection-slow');
  });

  it('warns about a disk heartbeat under 100ms', () => {
    const text = edit(BASELINE, [DISKHB, '    heartbeat:\n      interval: 60ms\n']);
    verify(text).expect('diskhb-interval-short', {
      path: 'networks[2].heartbeat.interval',
      severity: 'warning',
    });
    const ether = edit(BASELINE, [TUNABLE, '    interval: 60ms\n    sensitivity: 4\n']);
    verify(ether).expectNone('diskhb-interval-short');
  });
});
