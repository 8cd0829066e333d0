import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { programOf } from './commands.js';
import { BASELINE, edit, lineOf, verify } from './testing.js';

const WEB_HTTP =
  '{ name: web_http, type: custom, command: /usr/local/sbin/web check, interval: 10s, timeout: 5s }';
const DB_PROC = '{ name: db_proc, type: process, process: postgres, owner: postgres }';

describe('commands: absolute paths', () => {
  it('finds the program of a command line', () => {
    assert.equal(programOf('/usr/bin/app start'), '/usr/bin/app');
    assert.equal(
      programOf('  LANG=C TZ="Europe/Paris" exec /opt/app/bin/run -x'),
      '/opt/app/bin/run',
    );
    assert.equal(programOf('"/opt/my app/start" now'), '/opt/my app/start');
    assert.equal(programOf('app_start;/bin/true'), 'app_start');
    assert.equal(programOf('env FOO=1 nginx'), 'nginx');
  });

  it('warns about an application command found through PATH', () => {
    const text = edit(BASELINE, ['start: /usr/local/sbin/web start', 'start: web start']);
    const d = verify(text).expect('command-relative-path', {
      path: 'resources.applications[0].start',
      severity: 'warning',
      line: lineOf(text, 'start: web start'),
    });
    assert.match(
      d.message,
      /the start command of application web_app runs "web", which is not an absolute path/,
    );
    assert.match(d.hint ?? '', /minimal PATH/);
  });

  it('looks at monitors, events, dynamic priority scripts and user event programs', () => {
    const text = edit(
      BASELINE,
      [
        WEB_HTTP,
        WEB_HTTP.replace(
          'command: /usr/local/sbin/web check',
          'command: curl -f http://localhost/',
        ),
      ],
      ['notify: /usr/local/sbin/page node_down', 'notify: page node_down'],
      [
        '{ on: all, run: /usr/bin/logger var_full, expect: X }',
        '{ on: all, run: logger var_full, expect: X }',
      ],
    );
    const r = verify(text);
    r.expect('command-relative-path', { path: 'resources.applications[0].monitors[0].command' });
    r.expect('command-relative-path', { path: 'events.node_down.notify' });
    r.expect('command-relative-path', { path: 'userEvents[0].program[2].run' });
    r.expectOnly('command-relative-path', 'command-relative-path', 'command-relative-path');
  });

  it('accepts shell builtins, which need no PATH', () => {
    const text = edit(BASELINE, ['stop: /usr/local/sbin/db stop', 'stop: "true"']);
    verify(text).expectNone('command-relative-path');
  });
});

describe('commands: monitors', () => {
  it('reports a process monitor without a process and a custom monitor without a command', () => {
    const text = edit(
      BASELINE,
      [DB_PROC, '{ name: db_proc, type: process, owner: postgres }'],
      [WEB_HTTP, '{ name: web_http, type: custom, interval: 10s, timeout: 5s }'],
    );
    const r = verify(text);
    r.expect('monitor-process-missing', { path: 'resources.applications[1].monitors[0].process' });
    r.expect('monitor-command-missing', { path: 'resources.applications[0].monitors[0].command' });
  });

  it('warns about fields the monitor type ignores', () => {
    const text = edit(BASELINE, [
      DB_PROC,
      '{ name: db_proc, type: custom, command: /bin/pgcheck, process: postgres, timeout: 5s }',
    ]);
    verify(text).expect('monitor-field-unused', {
      path: 'resources.applications[1].monitors[0].process',
      severity: 'warning',
    });
  });

  it('warns about a check that may outlast its interval', () => {
    const text = edit(BASELINE, [WEB_HTTP, WEB_HTTP.replace('timeout: 5s', 'timeout: 30s')]);
    verify(text).expect('monitor-timeout-exceeds-interval', {
      path: 'resources.applications[0].monitors[0].timeout',
    });
  });

  it('warns about a restart interval that resets the count too soon', () => {
    const text = edit(BASELINE, [
      DB_PROC,
      DB_PROC.replace(' }', ', restartCount: 3, restartInterval: 1m }'),
    ]);
    const d = verify(text).expect('monitor-restart-interval-short', {
      path: 'resources.applications[1].monitors[0].restartInterval',
    });
    assert.match(d.expected ?? '', /at least 3m30s/);
    const enough = edit(BASELINE, [
      DB_PROC,
      DB_PROC.replace(' }', ', restartCount: 3, restartInterval: 4m }'),
    ]);
    verify(enough).expectNone('monitor-restart-interval-short');
  });
});
