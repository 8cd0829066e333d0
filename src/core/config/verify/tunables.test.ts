import { describe, it } from 'node:test';
import { BASELINE, edit, lineOf, verify } from './testing.js';

describe('tunables', () => {
  it('reports an event time limit under 10s, cluster-wide or per event', () => {
    const text = edit(BASELINE, ['eventTimeLimit: 6m', 'eventTimeLimit: 5s']);
    verify(text).expect('event-time-limit-short', {
      path: 'tunables.eventTimeLimit',
      line: lineOf(text, 'eventTimeLimit: 5s'),
    });
    const event = edit(BASELINE, [
      '    notify: /usr/local/sbin/page node_down\n',
      '    notify: /usr/local/sbin/page node_down\n    timeLimit: 2s\n',
    ]);
    verify(event).expect('event-time-limit-short', { path: 'events.node_down.timeLimit' });
  });

  it('accepts exactly 10s', () => {
    verify(edit(BASELINE, ['eventTimeLimit: 6m', 'eventTimeLimit: 10s'])).expectNone(
      'event-time-limit-short',
    );
  });

  it('reports a settling time over an hour', () => {
    verify(edit(BASELINE, ['settlingTime: 30s', 'settlingTime: 1h1s'])).expect(
      'settling-time-long',
      {
        path: 'tunables.settlingTime',
      },
    );
    verify(edit(BASELINE, ['settlingTime: 30s', 'settlingTime: 1h'])).expectNone(
      'settling-time-long',
    );
  });
});
