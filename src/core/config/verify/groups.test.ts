import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BASELINE, edit, lineOf, verify } from './testing.js';

/** rg_web with its own policies instead of policy: cascading. */
function web(policies: string): string {
  return edit(BASELINE, ['    policy: cascading\n', policies.replace(/^/gm, '    ') + '\n']);
}

/** rg_web, cascading, with a fallback timer. */
function timer(fields: string): string {
  return edit(BASELINE, [
    '    policy: cascading\n',
    `    policy: cascading\n    fallbackTimer: { ${fields} }\n`,
  ]);
}

describe('groups: policy combinations', () => {
  it('reports all-available startup with a fallover or fallback other than the reference allows', () => {
    const text = web('startup: all-available\nfallover: next-priority\nfallback: higher-priority');
    const r = verify(text);
    r.expect('startup-all-available-fallover', {
      path: 'resourceGroups[1].fallover',
      line: lineOf(text, 'fallover: next-priority', 2),
    });
    r.expect('startup-all-available-fallback', { path: 'resourceGroups[1].fallback' });
  });

  it('accepts all-available with offline and never, as policy: concurrent sets them', () => {
    const text = web('startup: all-available\nfallover: offline\nfallback: never');
    const r = verify(text);
    r.expectNone('startup-all-available-fallover');
    r.expectNone('startup-all-available-fallback');
  });

  it('reports distribution startup with fallback to a higher-priority node', () => {
    const text = web('startup: distribution\nfallback: higher-priority');
    verify(text).expect('startup-distribution-fallback', { path: 'resourceGroups[1].fallback' });
    verify(web('policy: rotating')).expectNone('startup-distribution-fallback');
  });

  it('reports a fallback timer on a group that never falls back', () => {
    const text = edit(BASELINE, [
      '    fallback: never\n',
      '    fallback: never\n    fallbackTimer: { recurrence: daily, at: "02:00" }\n',
    ]);
    verify(text).expect('fallback-timer-unused', { path: 'resourceGroups[0].fallbackTimer' });
  });
});

describe('groups: dynamic node priority', () => {
  const three = (text: string): string =>
    edit(
      text,
      [
        '  - name: node2\n',
        '  - name: node3\n    id: 3\n    interfaces:\n      - { network: net_ether_01, device: eth0, address: 10.0.1.3/24 }\n      - { network: net_ether_01, device: eth1, address: 10.0.2.3/24 }\n      - { network: net_ether_02, device: bond0, address: 192.168.10.3/24 }\n      - { network: net_diskhb_01, device: /dev/disk/by-id/hb }\n  - name: node2\n',
      ],
      ['nodes: [node1, node2]', 'nodes: [node1, node2, node3]'],
    );

  it('reports dynamic-priority fallover without a ranking, and a ranking not used', () => {
    verify(web('fallover: dynamic-priority')).expect('dynamic-priority-missing', {
      path: 'resourceGroups[1].fallover',
    });
    verify(web('policy: custom\ndynamicPriority: { policy: most-free-memory }')).expect(
      'dynamic-priority-unused',
      { path: 'resourceGroups[1].dynamicPriority' },
    );
  });

  it('reports a script policy without a script, and a script without the script policy', () => {
    const missing = three(web('fallover: dynamic-priority\ndynamicPriority: { policy: script }'));
    verify(missing).expect('dynamic-priority-script-missing', {
      path: 'resourceGroups[1].dynamicPriority.policy',
    });
    const unused = three(
      web(
        'fallover: dynamic-priority\ndynamicPriority: { policy: most-idle-cpu, script: /usr/local/sbin/rank }',
      ),
    );
    verify(unused).expect('dynamic-priority-script-unused', {
      path: 'resourceGroups[1].dynamicPriority.script',
    });
  });

  it('warns that dynamic priority has nothing to choose from with two nodes', () => {
    const text = web('fallover: dynamic-priority\ndynamicPriority: { policy: most-free-memory }');
    const d = verify(text).expect('dynamic-priority-pointless', { severity: 'warning' });
    assert.match(d.message, /only one node to choose from/);
    const r = verify(three(text));
    r.expectNone('dynamic-priority-pointless');
    r.expectNone('dynamic-priority-missing');
  });
});

describe('groups: concurrent groups and exclusive resources', () => {
  it('reports a service IP in a group online on all nodes', () => {
    const text = web('policy: concurrent');
    const d = verify(text).expect('concurrent-exclusive-resource', {
      path: 'resourceGroups[1].resources[0]',
    });
    assert.match(d.message, /service IP web_ip can be active on one node only/);
  });

  it('accepts applications in a concurrent group', () => {
    const text = edit(web('policy: concurrent'), [
      'resources: [web_ip, web_app]',
      'resources: [web_app]',
    ]);
    verify(text).expectNone('concurrent-exclusive-resource');
  });
});

describe('groups: fallback timer', () => {
  it('accepts each recurrence with its fields', () => {
    for (const fields of [
      'recurrence: daily, at: "02:00"',
      'recurrence: weekly, at: "02:00", weekday: sun',
      'recurrence: monthly, at: "02:00", day: 15',
      'recurrence: yearly, at: "02:00", day: 31, month: 12',
      'recurrence: once, at: "02:00", date: 2028-02-29',
    ]) {
      assert.deepEqual(verify(timer(fields)).problems(), [], fields);
    }
  });

  it('reports a missing field, and a field the recurrence does not use', () => {
    verify(timer('recurrence: weekly, at: "02:00"')).expect('fallback-timer-missing-field', {
      path: 'resourceGroups[1].fallbackTimer',
      message: /weekly fallback timer of group rg_web has no weekday/,
    });
    verify(timer('recurrence: yearly, at: "02:00", day: 1')).expect(
      'fallback-timer-missing-field',
      {
        message: /no month/,
      },
    );
    verify(timer('recurrence: daily, at: "02:00", day: 3')).expect('fallback-timer-extra-field', {
      path: 'resourceGroups[1].fallbackTimer.day',
    });
  });

  it('reports dates that are not in the calendar', () => {
    verify(timer('recurrence: once, at: "02:00", date: 2027-02-29')).expect(
      'fallback-timer-invalid-date',
      { path: 'resourceGroups[1].fallbackTimer.date' },
    );
    verify(timer('recurrence: once, at: "02:00", date: 2027-13-01')).expect(
      'fallback-timer-invalid-date',
    );
    verify(timer('recurrence: yearly, at: "02:00", day: 31, month: 4')).expect(
      'fallback-timer-invalid-date',
      { path: 'resourceGroups[1].fallbackTimer.day', message: /April has no day 31/ },
    );
  });

  it('warns about days that some months or years lack', () => {
    verify(timer('recurrence: yearly, at: "02:00", day: 29, month: 2')).expect(
      'fallback-timer-rare-date',
      {
        severity: 'warning',
        message: /leap years only/,
      },
    );
    verify(timer('recurrence: monthly, at: "02:00", day: 31')).expect('fallback-timer-rare-date', {
      path: 'resourceGroups[1].fallbackTimer.day',
    });
  });
});

describe('groups: shape', () => {
  it('warns about a group with one node', () => {
    const text = edit(BASELINE, ['nodes: [node1, node2]', 'nodes: [node1]']);
    verify(text).expect('group-single-node', {
      path: 'resourceGroups[1].nodes',
      severity: 'warning',
      line: lineOf(text, 'nodes: [node1]'),
    });
  });

  it('warns about a group with no resources', () => {
    const text = edit(BASELINE, [
      'resourceGroups:\n',
      'resourceGroups:\n  - { name: rg_empty, nodes: [node1, node2] }\n',
    ]);
    verify(text).expect('group-no-resources', {
      path: 'resourceGroups[0].resources',
      severity: 'warning',
    });
  });
});
