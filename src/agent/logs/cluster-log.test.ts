import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Logger } from '../log.js';
import {
  ClusterLog,
  formatClusterLine,
  formatField,
  formatStdoutLine,
  isJournalStream,
  withSyslogPrefix,
} from './cluster-log.js';
import { RotatingFile } from './rotating-file.js';

const T0 = Date.UTC(2026, 10, 22, 10, 15, 3, 123);

describe('cluster log', () => {
  it('formats one human-readable line per record', () => {
    assert.equal(
      formatClusterLine(
        {
          level: 'warn',
          msg: 'node node2 left the cluster',
          fields: { node: 'node2', reason: 'missed heartbeats', members: ['node1', 'node3'] },
          wallMs: T0,
        },
        { node: 'node1', pid: 4711 },
      ),
      '2026-11-22T10:15:03.123Z node1 haven[4711]: WARNING node node2 left the cluster ' +
        'node=node2 reason="missed heartbeats" members=node1,node3',
    );
  });

  it('quotes values that need it and keeps the record on one line', () => {
    assert.equal(formatField('n', 3), 'n=3');
    assert.equal(formatField('ok', true), 'ok=true');
    assert.equal(formatField('empty', ''), 'empty=""');
    assert.equal(formatField('eq', 'a=b'), 'eq="a=b"');
    assert.equal(formatField('obj', { a: 1 }), 'obj="{\\"a\\":1}"');
    assert.equal(formatField('err', new Error('no route')), 'err="no route"');
    assert.equal(formatField('bad key', 'x'), 'bad_key=x');
    const line = formatClusterLine(
      { level: 'error', msg: 'two\nlines', fields: { out: 'a\nb' }, wallMs: T0 },
      { node: 'n', pid: 1 },
    );
    assert.equal(line, '2026-11-22T10:15:03.123Z n haven[1]: ERROR two\\nlines out="a\\nb"');
  });

  it('prefixes stdout lines with the syslog priority only for the journal', () => {
    const r = { level: 'warn' as const, msg: 'm', fields: { k: 1 }, wallMs: T0 };
    const json = '{"time":"2026-11-22T10:15:03.123Z","level":"warn","msg":"m","k":1}\n';
    assert.equal(formatStdoutLine(r, false), json);
    assert.equal(formatStdoutLine(r, true), `<4>${json}`);
    assert.equal(formatStdoutLine({ ...r, level: 'debug' }, true).slice(0, 3), '<7>');
    assert.equal(formatStdoutLine({ ...r, level: 'crit' }, true).slice(0, 3), '<2>');
  });

  it('adds the prefix to the Logger of log.ts without changing its JSON', () => {
    const plain: string[] = [];
    const journal: string[] = [];
    const a = new Logger(withSyslogPrefix((l) => plain.push(l), false));
    const b = new Logger(withSyslogPrefix((l) => journal.push(l), true));
    for (const log of [a, b]) {
      log.error('disk gone', { disk: '/dev/sdb' }, T0);
      log.info('started', {}, T0);
    }
    assert.deepEqual(plain, [
      '{"time":"2026-11-22T10:15:03.123Z","level":"error","msg":"disk gone","disk":"/dev/sdb"}\n',
      '{"time":"2026-11-22T10:15:03.123Z","level":"info","msg":"started"}\n',
    ]);
    assert.deepEqual(journal, [`<3>${plain[0] ?? ''}`, `<6>${plain[1] ?? ''}`]);
  });

  it('recognises the journal stream by the device and inode of stdout', () => {
    const st = { dev: 64769n, ino: 123456789012345678n };
    assert.equal(isJournalStream('64769:123456789012345678', st), true);
    assert.equal(isJournalStream('64769:1', st), false);
    assert.equal(isJournalStream(undefined, st), false);
    assert.equal(isJournalStream('', st), false);
    assert.equal(isJournalStream('garbage', undefined), false);
    assert.equal(isJournalStream('1:2', undefined), true);
  });

  it('checks JOURNAL_STREAM against the real stdout of a process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'haven-journal-'));
    try {
      const out = join(dir, 'stdout');
      const module = fileURLToPath(new URL('./cluster-log.js', import.meta.url));
      const run = (journalStream: string): string => {
        const fd = openSync(out, 'w');
        try {
          const st = statSync(out, { bigint: true });
          const value = journalStream.replace('DEV', String(st.dev)).replace('INO', String(st.ino));
          const r = spawnSync(
            process.execPath,
            [
              '--input-type=module',
              '-e',
              `const m = await import(${JSON.stringify(module)}); process.stdout.write(String(m.stdoutIsJournal()));`,
            ],
            { stdio: ['ignore', fd, 'pipe'], env: { ...process.env, JOURNAL_STREAM: value } },
          );
          assert.equal(r.status, 0, r.stderr.toString());
        } finally {
          closeSync(fd);
        }
        return readFileSync(out, 'utf8');
      };
      assert.equal(run('DEV:INO'), 'true');
      assert.equal(run('DEV:1'), 'false');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes records at or above its level to the file, and mirrors them to stdout', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'haven-clusterlog-'));
    try {
      let now = T0;
      const mirrored: string[] = [];
      const file = new RotatingFile(join(dir, 'cluster.log'));
      const log = new ClusterLog(file, {
        node: 'node1',
        pid: 42,
        clock: () => now,
        mirror: (l) => mirrored.push(l),
        journal: true,
      });
      log.debug('not written');
      log.change('group web', 'offline', 'online', { node: 'node1' });
      now += 1000;
      log.error('event node_down failed', { eventId: '4.12' });
      await file.close();
      assert.equal(
        await readFile(join(dir, 'cluster.log'), 'utf8'),
        '2026-11-22T10:15:03.123Z node1 haven[42]: NOTICE group web online from=offline node=node1\n' +
          '2026-11-22T10:15:04.123Z node1 haven[42]: ERROR event node_down failed eventId=4.12\n',
      );
      assert.deepEqual(mirrored, [
        '<5>{"time":"2026-11-22T10:15:03.123Z","level":"notice","msg":"group web online","node":"node1","from":"offline"}\n',
        '<3>{"time":"2026-11-22T10:15:04.123Z","level":"error","msg":"event node_down failed","node":"node1","eventId":"4.12"}\n',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
