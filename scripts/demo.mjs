/* global fetch, AbortSignal */
// `npm run demo`: a three-node Haven cluster on this machine, a failure, and what Haven did.
//
// Each node is a real `haven agent` process with its own loopback addresses on two IP networks
// and a shared disk heartbeat file. One resource group, rg_web, holds a small HTTP service
// (examples/demo/http-app.mjs) and, when run as root, a service IP on a dummy interface the demo
// creates. The demo prints the status, kills the node holding the group, shows the fallover and
// the outage an HTTP client saw, brings the node back to show the fallback, then shuts
// everything down and leaves nothing behind. Run with --keep to leave the cluster up at the
// end (Ctrl-C stops it).

import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LocalCluster } from '../dist/testing/local-cluster.js';
import { run } from '../dist/cli/main.js';

const APP = fileURLToPath(new URL('../examples/demo/http-app.mjs', import.meta.url));
// A veth pair the demo creates (one end carries the addresses), removed at the end.
const DUMMY = 'havendemo0';
const PEER = 'havendemo1';
const SERVICE_IP = '198.51.100.80';
const root = process.getuid?.() === 0 && canIp();
const port = root ? 8080 : 18000 + (process.pid % 1000);
const host = root ? SERVICE_IP : '127.0.0.1';
const url = `http://${host}:${port}/`;

const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const say = (s = '') => console.log(s);
const head = (s) => say(`\n${bold(`== ${s}`)}`);

function canIp() {
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function ip(...args) {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

async function haven(node, ...args) {
  await run(['node', 'haven', ...args, '--socket', c.socket(node)], {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  });
}

/** A client that asks the service every 100 ms and remembers every answer. */
function client() {
  const log = [];
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const at = Date.now();
      let by;
      try {
        const r = await fetch(url, { signal: AbortSignal.timeout(500) });
        by = /hello from (\S+)/.exec(await r.text())?.[1] ?? null;
      } catch {
        by = null;
      }
      log.push({ at, by });
      await sleep(Math.max(0, 100 - (Date.now() - at)));
    }
  })();
  return {
    log,
    stop: async () => {
      stop = true;
      await loop;
    },
  };
}

/** The outage the client saw since `since`: last answer before the gap to the first after it. */
function outage(log, since) {
  const after = log.filter((x) => x.at >= since);
  const firstFail = after.findIndex((x) => x.by === null);
  if (firstFail < 0) return { ms: 0, failed: 0, from: after[0]?.by, to: after.at(-1)?.by };
  const lastOk = after[firstFail - 1] ?? log.filter((x) => x.at < since && x.by).at(-1);
  const back = after.slice(firstFail).find((x) => x.by !== null);
  return {
    ms: back && lastOk ? back.at - lastOk.at : NaN,
    failed: after.filter((x) => x.by === null && (!back || x.at < back.at)).length,
    from: lastOk?.by,
    to: back?.by,
  };
}

async function until(what, f, ms = 60000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await f();
    if (v) return v;
    await sleep(100);
  }
  throw new Error(`demo: ${what} did not happen within ${ms / 1000} s`);
}

const servedBy = async () => {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(500) });
    return /hello from (\S+)/.exec(await r.text())?.[1] ?? null;
  } catch {
    return null;
  }
};

const pidfile = () => `${c.dir}/app.pid`;
let c;
let made = false;
const keep = process.argv.includes('--keep');

async function main() {
  head('Haven demo: three nodes on this machine');
  if (root) {
    ip('link', 'add', DUMMY, 'type', 'veth', 'peer', 'name', PEER);
    made = true;
    ip('link', 'set', DUMMY, 'up');
    ip('link', 'set', PEER, 'up');
    for (const i of [1, 2, 3]) ip('addr', 'add', `192.0.2.${i}/24`, 'dev', DUMMY);
    say(`Running as root: the group holds the service IP ${SERVICE_IP} on the interface`);
    say(`${DUMMY} (a veth pair this demo created and removes at the end); nodes n1-n3 have boot`);
    say(`addresses 192.0.2.1-3 there. The service answers on ${url}`);
  } else {
    say('Not running as root: no service IP (moving an address needs root). The group holds');
    say(`only the HTTP service, on ${url}. Run as root (sudo npm run demo) to see the IP move.`);
  }
  const stop = `kill $(cat PIDFILE)`;
  const resources = [
    'resources:',
    ...(root
      ? ['  serviceIps:', `    - { name: web_ip, network: demo, address: ${SERVICE_IP}/24 }`]
      : []),
    '  applications:',
    '    - name: web_app',
    `      start: ${process.execPath} ${APP} --host ${host} --port ${port} --pidfile PIDFILE`,
    `      stop: '${stop}'`,
    '      background: true',
    'resourceGroups:',
    '  - name: rg_web',
    '    nodes: [n1, n2, n3]',
    '    startup: home-node',
    '    fallover: next-priority',
    '    fallback: higher-priority',
    `    resources: [${root ? 'web_ip, ' : ''}web_app]`,
  ].join('\n');
  c = await LocalCluster.create({
    nodes: 3,
    extraYaml: resources,
    ...(root
      ? { extraNetwork: { name: 'demo', device: DUMMY, address: (i) => `192.0.2.${i}/24` } }
      : {}),
  });
  const { writeFileSync } = await import('node:fs');
  writeFileSync(c.configPath, readFileSync(c.configPath, 'utf8').replaceAll('PIDFILE', pidfile()));
  say(`\nThe cluster definition is ${c.configPath}:`);
  say(`  ${readFileSync(c.configPath, 'utf8').trimEnd().split('\n').slice(-15).join('\n  ')}`);
  say(`\nStarting three agents (haven agent --config ... --node nK), logs in ${c.dir}/logs-nK/`);
  await c.startAll();
  await c.waitStable();
  await until('the service to answer', async () => (await servedBy()) === 'n1');

  head('haven status (clstat): the cluster, its nodes and networks, where the group runs');
  await haven('n2', 'status');
  head('haven rg (clRGinfo): the group on each node, and why it is there');
  await haven('n2', 'rg');

  const cl = client();
  await sleep(1000);
  head('Killing n1, the node holding rg_web (SIGKILL: no goodbye)');
  const t = Date.now();
  await c.kill('n1', 'SIGKILL');
  say('The others stop hearing it on every network and the disk; they agree on a new view');
  say('without n1, and n2 (next in the list) takes the group over. n1\u2019s dead man switch');
  say('killed the service it had started, so nothing runs twice.');
  await until('the fallover', async () => (await servedBy()) === 'n2');
  await sleep(1000);
  let o = outage(cl.log, t);
  say(
    `\nThe client saw ${o.from} answer until the kill, then ${o.failed} failed requests, then ${o.to}:`,
  );
  say(
    `an outage of ${(o.ms / 1000).toFixed(1)} s (detection, view change, takeover delay, start).`,
  );
  // Let the takeover event finish (the application's start is watched for 2 s) before showing it.
  await until('the takeover event to end', async () => {
    const e = await c.call('n2', 'events.list');
    return e.current === null && e.queue.length === 0;
  });
  head('haven events on n2: what ran, how long it took');
  await haven('n2', 'events', '-n', '4');
  head('The event trace of n2 (haven logs events): the takeover, command by command');
  const trace = readFileSync(`${c.logDir('n2')}/events.log`, 'utf8').split('\n');
  // The event in which n2 started the service: from its EVENT START to its end.
  const took = trace.findLastIndex((l) => /RESOURCE OK web_app start/.test(l));
  const start = trace.slice(0, took + 1).findLastIndex((l) => l.includes('EVENT START'));
  const done = trace.findIndex((l, i) => i > took && l.includes('EVENT COMPLETED'));
  const end = done < 0 ? trace.length : done;
  const cut = (l) => (l.length > 150 ? `${l.slice(0, 149)}…` : l);
  say(
    trace
      .slice(Math.max(0, start), end + 2)
      .map(cut)
      .join('\n'),
  );

  head('Bringing n1 back');
  const t2 = Date.now();
  await c.start('n1');
  say('rg_web has fallback policy higher-priority: it returns to n1, its home node.');
  await until('the fallback', async () => (await servedBy()) === 'n1');
  await c.waitStable();
  await sleep(500);
  o = outage(cl.log, t2);
  say(
    `The fallback cost the client ${(o.ms / 1000).toFixed(1)} s (${o.failed} failed requests): a planned move,`,
  );
  say('release on n2, then start on n1.');
  await cl.stop();
  head('haven rg after the fallback');
  await haven('n3', 'rg');
}

async function cleanup() {
  if (c) {
    const pid = Number(
      (() => {
        try {
          return readFileSync(pidfile(), 'utf8');
        } catch {
          return '';
        }
      })().trim(),
    );
    await c.destroy();
    if (pid > 0)
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone */
      }
  }
  if (made) {
    try {
      ip('link', 'del', DUMMY);
    } catch {
      /* already gone */
    }
  }
}

let code = 0;
try {
  await main();
  if (keep) {
    say(
      `\nThe cluster stays up (--keep). Try: node bin/haven.js status --socket ${c.socket('n1')}`,
    );
    say('Ctrl-C stops it.');
    await new Promise((r) => process.once('SIGINT', r));
  }
} catch (e) {
  code = 1;
  console.error(`\n${e instanceof Error ? e.message : String(e)}`);
} finally {
  head('Shutting down: every agent stops gracefully, its groups go offline');
  await cleanup();
  say(`Done: no agent, service${made ? ', address or interface' : ''} is left behind.`);
}
process.exit(code);
