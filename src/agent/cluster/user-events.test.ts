import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseClusterDefinition } from '../../core/config/load.js';
import type { ClusterConfig } from '../../core/config/model.js';
import { baseYaml } from '../../core/config/fixtures.test-helper.js';
import type { Instance, Value } from '../../core/expr/index.js';
import { VirtualTime } from '../../sim/virtual-time.js';
import { instanceKey, type ReadResult } from '../../runtime/resource-variables.js';
import { UserEventMonitor, readsOf, watchedEvents, type VariableReader } from './user-events.js';

/** The base two-node definition with these user events (YAML list items, indented by 2). */
function configWith(events: string): ClusterConfig {
  const r = parseClusterDefinition(`${baseYaml()}userEvents:\n${events}`, 'test.yaml', {
    verify: false,
  });
  assert.ok(r.config, r.diagnostics.map((d) => d.message).join('\n'));
  return r.config;
}

const PROGRAM = '    program: [{ on: event, run: /bin/true }]\n';
const event = (name: string, fields: string): string =>
  `  - name: ${name}\n${fields
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')}\n${PROGRAM}`;

/** A reader whose values the test sets, by variable and concrete instance; it counts reads. */
class FakeReader implements VariableReader {
  readonly values = new Map<string, Map<string, { instance: Instance; value: Value }>>();
  readonly reads: string[] = [];
  problems: string[] = [];

  set(variable: string, instance: Instance, value: Value): void {
    const m = this.values.get(variable) ?? new Map<string, { instance: Instance; value: Value }>();
    m.set(instanceKey(instance), { instance, value });
    this.values.set(variable, m);
  }

  read(variable: string, instance: Instance): Promise<ReadResult> {
    this.reads.push(`${variable} ${instanceKey(instance)}`);
    const all = [...(this.values.get(variable)?.values() ?? [])];
    const readings = all
      .filter((x) => Object.entries(instance).every(([f, v]) => v === '*' || x.instance[f] === v))
      .map((x) => ({ key: instanceKey(x.instance), instance: x.instance, value: x.value }));
    return Promise.resolve({ readings, problems: this.problems });
  }
}

function monitor(config: ClusterConfig, node = 'node1') {
  const reader = new FakeReader();
  const time = new VirtualTime();
  const fired: string[] = [];
  const logs: string[] = [];
  const m = new UserEventMonitor({
    config,
    node,
    reader,
    timers: time,
    onEvent: (name, d) => {
      fired.push(`${name} ${d['instance'] ?? ''}=${d['value'] ?? ''}`);
    },
    log: (level, msg) => {
      logs.push(`${level}: ${msg}`);
    },
  });
  return { m, reader, time, fired, logs };
}

describe('user events on a node', () => {
  it('watches events for every node, for this node by name or id, and not for another', () => {
    const config = configWith(
      [
        event('all', 'resourceVariable: load.average1\npredicate: X > 8'),
        event('star', "resourceVariable: load.average1\ninstance: 'node=*'\npredicate: X > 8"),
        event('mine', 'resourceVariable: load.average1\ninstance: { node: node1 }\npredicate: X>8'),
        event('byid', "resourceVariable: load.average1\ninstance: 'node=1'\npredicate: X > 8"),
        event(
          'other',
          'resourceVariable: load.average1\ninstance: { node: node2 }\npredicate: X>8',
        ),
      ].join(''),
    );
    const names = (n: string) => watchedEvents(config, n).watched.map((w) => w.def.name);
    assert.deepEqual(names('node1'), ['all', 'star', 'mine', 'byid']);
    assert.deepEqual(names('node2'), ['all', 'star', 'other']);
  });

  it('reads each instance once per round, a named mount inside the wildcard read', async () => {
    const config = configWith(
      [
        event(
          'any_full',
          "resourceVariable: fs.used_percent\ninstance: 'mount=*'\npredicate: X>90",
        ),
        event(
          'tmp_full',
          'resourceVariable: fs.used_percent\ninstance: { mount: /tmp }\npredicate: X>50',
        ),
        event(
          'tmp_high',
          'resourceVariable: fs.used_percent\ninstance: { mount: /tmp }\npredicate: X>70',
        ),
        event(
          'upr6_gone',
          "resourceVariable: process.count\ninstance: 'name=upr6'\npredicate: X@0==0",
        ),
      ].join(''),
    );
    assert.equal(readsOf(watchedEvents(config, 'node1').watched).length, 2);
    const { m, reader, fired } = monitor(config);
    reader.set('fs.used_percent', { mount: '/tmp' }, 60);
    reader.set('fs.used_percent', { mount: '/var' }, 95);
    reader.set('process.count', { name: 'upr6' }, [1, 1, [42]]);
    await m.sampleAll();
    assert.deepEqual(reader.reads.sort(), ['fs.used_percent mount=*', 'process.count name=upr6']);
    // /var fires the wildcard event only; /tmp fires the event on /tmp whose threshold it passed.
    assert.deepEqual(fired.sort(), ['any_full mount=/var=95', 'tmp_full mount=/tmp=60']);
  });

  it('fires when the predicate becomes true, once, and again after the rearm predicate', async () => {
    const config = configWith(
      event(
        'var_full',
        'resourceVariable: fs.used_percent\ninstance: { mount: /var }\npredicate: X > 90\nrearm: X < 80',
      ),
    );
    const { m, reader, fired, logs } = monitor(config);
    const at = (v: number) => {
      reader.set('fs.used_percent', { mount: '/var' }, v);
      return m.sampleAll();
    };
    for (const v of [70, 91, 95, 85, 79, 92]) await at(v);
    assert.deepEqual(fired, ['var_full mount=/var=91', 'var_full mount=/var=92']);
    assert.ok(logs.includes('info: user event var_full re-armed'), logs.join('\n'));
  });

  it('logs a read problem when it appears, not every round', async () => {
    const config = configWith(
      event(
        'data_full',
        'resourceVariable: fs.used_percent\ninstance: { mount: /data }\npredicate: X>90',
      ),
    );
    const { m, reader, logs } = monitor(config);
    reader.problems = ['/data is not a mount point'];
    await m.sampleAll();
    await m.sampleAll();
    reader.problems = [];
    await m.sampleAll();
    reader.problems = ['/data is not a mount point'];
    await m.sampleAll();
    const warned = logs.filter((l) => l.includes('not a mount point'));
    assert.equal(warned.length, 2, logs.join('\n'));
  });

  it('samples at start and then at the shortest interval of the events sharing a read', async () => {
    const config = configWith(
      [
        event('slow', 'resourceVariable: load.average1\npredicate: X > 8\ninterval: 30s'),
        event('fast', 'resourceVariable: load.average1\npredicate: X > 9\ninterval: 5s'),
      ].join(''),
    );
    const { m, reader, time } = monitor(config);
    reader.set('load.average1', {}, 1);
    m.start();
    const settle = () => new Promise((r) => setImmediate(r));
    time.advance(0);
    await settle();
    assert.equal(reader.reads.length, 1);
    for (let i = 0; i < 3; i++) {
      time.advance(5000);
      await settle();
    }
    assert.equal(reader.reads.length, 4);
    m.stop();
    time.advance(60_000);
    await settle();
    assert.equal(reader.reads.length, 4);
  });

  it('reads a named instance the wildcard read leaves out on its own, and matches /tmp/ to /tmp', async () => {
    const config = configWith(
      [
        event(
          'any_busy',
          "resourceVariable: disk.busy_percent\ninstance: 'device=*'\npredicate: X>90",
        ),
        event(
          'dm_busy',
          "resourceVariable: disk.busy_percent\ninstance: 'device=dm-0'\npredicate: X>50",
        ),
        event(
          'any_full',
          "resourceVariable: fs.used_percent\ninstance: 'mount=*'\npredicate: X>90",
        ),
        event(
          'tmp_full',
          "resourceVariable: fs.used_percent\ninstance: 'mount=/tmp/'\npredicate: X>50",
        ),
      ].join(''),
    );
    const { m, reader, fired } = monitor(config);
    // The fake's wildcard read returns what was set; dm-0 is left out of device=*, as the real
    // reader leaves device-mapper devices out, and answers only when asked by name.
    const real = reader.read.bind(reader);
    reader.read = (variable, instance) =>
      variable === 'disk.busy_percent' && instance['device'] === '*'
        ? real(variable, instance).then((r) => ({
            ...r,
            readings: r.readings.filter((x) => x.instance['device'] !== 'dm-0'),
          }))
        : real(variable, instance);
    reader.set('disk.busy_percent', { device: 'sda' }, 10);
    reader.set('disk.busy_percent', { device: 'dm-0' }, 70);
    reader.set('fs.used_percent', { mount: '/tmp' }, 60);
    await m.sampleAll();
    assert.deepEqual(fired.sort(), ['dm_busy device=dm-0=70', 'tmp_full mount=/tmp=60']);
    assert.deepEqual(reader.reads.sort(), [
      'disk.busy_percent device=*',
      'disk.busy_percent device=dm-0',
      'fs.used_percent mount=*',
    ]);
  });

  it('logs a round that throws and keeps sampling', async () => {
    const config = configWith(event('busy', 'resourceVariable: load.average1\npredicate: X > 8'));
    const reader = new FakeReader();
    const time = new VirtualTime();
    const logs: string[] = [];
    let calls = 0;
    const m = new UserEventMonitor({
      config,
      node: 'node1',
      reader,
      timers: time,
      onEvent: () => {
        calls++;
        throw new Error('queue full');
      },
      log: (level, msg) => {
        logs.push(`${level}: ${msg}`);
      },
    });
    reader.set('load.average1', {}, 9);
    m.start();
    const settle = () => new Promise((r) => setImmediate(r));
    time.advance(0);
    await settle();
    assert.equal(calls, 1);
    assert.ok(
      logs.some((l) => l.startsWith('error: user events: a sampling round')),
      logs.join('\n'),
    );
    time.advance(10_000);
    await settle();
    assert.equal(reader.reads.length, 2);
    m.stop();
  });
});
