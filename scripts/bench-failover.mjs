// `npm run bench:failover`: how long a resource group's service is out when the node holding it
// dies, and when it comes back (not a test: it measures and reports, it asserts nothing). It
// starts a 3-node cluster of real `haven agent` processes on loopback addresses
// (src/testing/local-cluster.ts: two IP networks and a disk heartbeat, the shipped heartbeat
// timing of 150 ms × 4) with one resource group, rg_web [n1, n2, n3], holding the demo's HTTP
// application (examples/demo/http-app.mjs, a background start, stopped through its pid file).
// An HTTP client polls the service every --poll-ms (a new connection each time) for the whole
// run and records who answered. Then, --rounds times:
//
// - fallover: SIGKILL the agent holding the group (its dead man switch kills the application);
//   the outage is the client's last answer from the old node to its first from the new one;
//   the agents' logs (stdout, cluster.log) and events.list give where the time went;
// - fallback: restart the killed node; the policy (home node first, fall back to a higher
//   priority node) moves the group back; the outage is the client's last answer from the
//   standby node to its first from the home node.
//
// Between phases it waits until cluster services are stable (every agent in one view, no event
// running or queued). Every wait is bounded, and a watchdog ends the run (cleaning up) after
// --max-minutes. It signals only the processes it started (the agents and the quorum server, by
// their child process; an application left over, by the pid in its pid file after checking its
// command line), and removes the cluster's directory. Traffic goes to 127.0.0.0/8 only.
//
// With --two-node, the most common deployment: two agents, rg_web [n1, n2], and the cluster's
// quorum.tieBreaker set to a quorum server on 127.0.0.1 (a free UDP port), a real
// `haven tiebreaker` process started before the agents. The server grants nobody for a quiet
// time after its start (a lease, 10 s, plus the 2 s handover): the first kill waits until it has
// passed. When n1 dies, n2 holds exactly half of the votes and has quorum only with the server's
// grant: the fallover table adds when the server granted it (its log) and when n2 logged it.
// The fallback needs no grant: both nodes are a majority again.
//
// Usage: npm run bench:failover -- [options]
//   --rounds 5          fallovers and fallbacks to measure
//   --poll-ms 20        the HTTP client's polling interval
//   --max-minutes 5     the watchdog
//   --two-node          two agents and a quorum server (haven tiebreaker), rg_web [n1, n2]
//   --bystander         a second group, rg_other [n2, n3, n1] ([n2, n1] with --two-node), with
//                       its own copy of the application on the next port: the client polls it
//                       too, and the tables show the longest gap in its answers during each move
//                       (a group that has no reason to move should not be disturbed)
//   --keep-logs DIR     copy every agent's logs (cluster.log, events.log, history) there
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { request } from 'node:http';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { cpSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { clearTimeout, setTimeout } from 'node:timers';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const APP = join(ROOT, 'examples/demo/http-app.mjs');
const HAVEN = join(ROOT, 'bin/haven.js');
const GROUP = 'rg_web';
const WITHIN_MS = 30_000; // a liveness limit for every wait, not a performance figure

// ---- options -------------------------------------------------------------------------------

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    'poll-ms': { type: 'string', default: '20' },
    'max-minutes': { type: 'string', default: '5' },
    'keep-logs': { type: 'string' },
    bystander: { type: 'boolean', default: false },
    'two-node': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\nimport ')[0]);
  process.exit(0);
}
function usage(msg) {
  console.error(`bench-failover: ${msg} (see --help)`);
  process.exit(2);
}
const num = (name, min, max) => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < min || n > max)
    usage(`--${name} must be a whole number from ${min} to ${max}, not ${args[name]}`);
  return n;
};
const opt = {
  rounds: num('rounds', 1, 50),
  pollMs: num('poll-ms', 1, 1000),
  maxMinutes: num('max-minutes', 1, 60),
  keepLogs: args['keep-logs'],
  bystander: args.bystander,
  twoNode: args['two-node'],
};
const NODES = opt.twoNode ? ['n1', 'n2'] : ['n1', 'n2', 'n3'];
/** The bystander's node list: n2 first, so it runs on the node that survives each fallover. */
const OTHER_NODES = opt.twoNode ? ['n2', 'n1'] : ['n2', 'n3', 'n1'];
const list = (xs) => `[${xs.join(', ')}]`;
/** The command that reproduces this run, for the report. */
const command = `npm run bench:failover -- --rounds ${String(opt.rounds)}${opt.twoNode ? ' --two-node' : ''}${opt.bystander ? ' --bystander' : ''}`;

let LocalCluster;
try {
  ({ LocalCluster } = await import(
    pathToFileURL(join(ROOT, 'dist/testing/local-cluster.js')).href
  ));
} catch (e) {
  usage(`cannot load dist/testing/local-cluster.js (run npm run build first): ${String(e)}`);
}

// ---- ports: free ones, so that another cluster or test on this machine is not disturbed -------

const tcpFree = (port) =>
  new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
const udpFree = (address, port) =>
  new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, address, () => s.close(() => resolve(true)));
  });
/**
 * The heartbeat port must be free on every node's addresses (127.11.0.n, 127.12.0.n); the
 * quorum server's (--two-node) on 127.0.0.1.
 */
async function freePorts() {
  for (let i = 0; i < 50; i++) {
    const hb = 24000 + ((process.pid + i * 101) % 6000);
    const app = hb + 6000;
    const tb = app + 2;
    const udp = await Promise.all([
      ...[1, 2].flatMap((net) => NODES.map((_, k) => udpFree(`127.${10 + net}.0.${k + 1}`, hb))),
      ...(opt.twoNode ? [udpFree('127.0.0.1', tb)] : []),
    ]);
    if (udp.every(Boolean) && (await tcpFree(app)) && (await tcpFree(app + 1)))
      return { hb, app, other: app + 1, tb };
  }
  usage('no free ports found in 24000-35999 on 127.0.0.0/8');
}

// ---- cleanup and the watchdog ----------------------------------------------------------------

const started = Date.now();
const log = (msg) => {
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`);
};
let cluster;
/** Each application's pid file, with its port. */
const pidfiles = new Map();
const poller = { stop: false, done: Promise.resolve() };

/** An application's pid from its pid file (the last node to start it wrote it). */
const appPid = async (file) =>
  Number((await readFile(file, 'utf8').catch(() => '')).trim()) || undefined;
/** Whether `pid` is still the demo application on `port` (not a reused pid). */
const isOurApp = async (pid, port) => {
  const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmd.includes('http-app.mjs') && cmd.includes(`\0--port\0${port}\0`);
};

/** The quorum server (--two-node): its child process, its exit, and its log lines. */
const tbServer = { child: undefined, exit: Promise.resolve(null), lines: [] };

/** Starts `haven tiebreaker` on the cluster's definition; resolves with its start line. */
function startServer(c) {
  const child = spawn(
    process.execPath,
    [HAVEN, 'tiebreaker', '--config', c.configPath, '--key', join(c.dir, 'cluster.key')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  tbServer.child = child;
  tbServer.exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`the quorum server did not log its start within ${WITHIN_MS} ms`));
    }, WITHIN_MS);
    void tbServer.exit.then((code) => {
      clearTimeout(timer);
      reject(
        new Error(
          `the quorum server exited (status ${String(code)}): ${tbServer.lines
            .slice(-3)
            .map((l) => l.msg)
            .join(' / ')}`,
        ),
      );
    });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (text) => {
        let l;
        try {
          l = JSON.parse(text);
        } catch {
          l = { msg: text };
        }
        l.atMs = typeof l.time === 'string' ? wall(l.time) : Date.now();
        tbServer.lines.push(l);
        if (l.msg === 'quorum server started') {
          clearTimeout(timer);
          resolve(l);
        }
      });
    }
  });
}

/** Stops the quorum server by its child process: SIGTERM, then SIGKILL after graceMs. */
async function stopServer(graceMs) {
  const child = tbServer.child;
  tbServer.child = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  child.kill('SIGTERM');
  await tbServer.exit;
  clearTimeout(timer);
}
// A last resort should the script exit by another path: the server must not outlive it.
process.once('exit', () => tbServer.child?.kill('SIGKILL'));

async function cleanup() {
  poller.stop = true;
  await poller.done;
  await stopServer(3000);
  if (!cluster) return;
  const c = cluster;
  cluster = undefined;
  if (opt.keepLogs) {
    try {
      for (const n of c.names)
        cpSync(c.logDir(n), join(opt.keepLogs, `logs-${n}`), { recursive: true });
      log(`agents' logs copied to ${opt.keepLogs}`);
    } catch (e) {
      log(`could not copy the logs to ${opt.keepLogs}: ${String(e)}`);
    }
  }
  // Read before destroy removes the directory. The agents' stop takes the groups offline; an
  // application still running afterwards is one an agent could not stop (or never knew of).
  const apps = [];
  for (const [file, port] of pidfiles) apps.push({ pid: await appPid(file), port });
  await c.destroy(3000);
  for (const { pid, port } of apps) {
    if (pid === undefined || !(await isOurApp(pid, port))) continue;
    try {
      process.kill(pid, 'SIGTERM');
      log(`ended the application left running on port ${port} (pid ${pid})`);
    } catch {
      // already gone
    }
  }
}

let ports;
const watchdog = setTimeout(() => {
  console.error(`bench-failover: over --max-minutes ${opt.maxMinutes}: stopping`);
  void cleanup().finally(() => process.exit(3));
}, opt.maxMinutes * 60_000);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    console.error(`bench-failover: ${sig}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---- the HTTP client -------------------------------------------------------------------------

/** Every poll: when it was sent and answered (wall ms), and who answered (null: no answer). */
const samples = [];
/** The same for the bystander group's application (--bystander). */
const otherSamples = [];

function ask(port) {
  return new Promise((resolve) => {
    // agent: false: a new connection each time, as a new client would; no stale keep-alive.
    const req = request(
      { host: '127.0.0.1', port, path: '/', agent: false, timeout: 1000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(/hello from (\S+)/.exec(body)?.[1] ?? null));
        res.on('error', () => resolve(null));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(null));
    req.end();
  });
}

function startPoller(port, otherPort) {
  const poll = async (p, into) => {
    const sentMs = Date.now();
    const who = await ask(p);
    into.push({ sentMs, atMs: Date.now(), who });
  };
  poller.done = (async () => {
    let next = Date.now();
    while (!poller.stop) {
      await Promise.all([
        poll(port, samples),
        ...(otherPort === undefined ? [] : [poll(otherPort, otherSamples)]),
      ]);
      next += opt.pollMs;
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
      else next = Date.now(); // a slow answer: do not fire a burst to catch up
    }
  })();
}

/** Waits (bounded) until the client's latest answer came from `node`. */
async function servedBy(node) {
  const deadline = Date.now() + WITHIN_MS;
  for (;;) {
    if (samples.at(-1)?.who === node) return;
    if (Date.now() > deadline)
      throw new Error(`the application was not served by ${node} within ${WITHIN_MS} ms`);
    await sleep(opt.pollMs);
  }
}

async function otherServedBy(node) {
  const deadline = Date.now() + WITHIN_MS;
  while (otherSamples.at(-1)?.who !== node) {
    if (Date.now() > deadline)
      throw new Error(`rg_other's application was not served by ${node} within ${WITHIN_MS} ms`);
    await sleep(opt.pollMs);
  }
}

/**
 * The outage of a move from `from` to `to` seen by the client in samples answered after
 * `sinceMs`: the last answer from `from` before the first answer from `to`, the first failure
 * after it, and the first answer from `to`.
 */
function outage(sinceMs, from, to) {
  const after = samples.filter((s) => s.atMs >= sinceMs);
  const firstNew = after.findIndex((s) => s.who === to);
  if (firstNew < 0) return undefined;
  let lastOld;
  for (let i = firstNew - 1; i >= 0; i--) {
    if (after[i].who === from) {
      lastOld = after[i];
      break;
    }
  }
  // Before the kill: the last answer before sinceMs.
  lastOld ??= samples.filter((s) => s.atMs < sinceMs && s.who === from).at(-1);
  const lastOldIdx = lastOld ? after.indexOf(lastOld) : -1;
  const firstFail = after.slice(lastOldIdx + 1, firstNew).find((s) => s.who === null);
  const others = after.slice(0, firstNew).filter((s) => s.who !== null && s.who !== from);
  return {
    lastOldMs: lastOld?.atMs,
    firstFailMs: firstFail?.sentMs,
    firstNewMs: after[firstNew].atMs,
    outageMs: lastOld ? after[firstNew].atMs - lastOld.atMs : NaN,
    failedPolls: after.slice(lastOldIdx + 1, firstNew).filter((s) => s.who === null).length,
    strangers: others.length, // answers from a third node in between (none expected)
  };
}

// ---- what the agents logged -----------------------------------------------------------------

const wall = (iso) => Date.parse(iso);
/** A stdout line of `node` (the harness keeps them) at or after sinceMs that matches. */
const lineOf = (node, sinceMs, pred) =>
  cluster.lines.find((l) => l.node === node && wall(l.time) >= sinceMs && pred(l));

/** cluster.log lines of `node` at or after sinceMs: { atMs, level, msg }. */
async function clusterLog(node, sinceMs) {
  const text = await readFile(join(cluster.logDir(node), 'cluster.log'), 'utf8').catch(() => '');
  const out = [];
  for (const l of text.split('\n')) {
    const m = /^(\S+) \S+ haven\[\d+\]: (\w+) (.*)$/.exec(l);
    if (!m) continue;
    const atMs = wall(m[1]);
    if (atMs >= sinceMs) out.push({ atMs, level: m[2], msg: m[3] });
  }
  return out;
}
const groupOp = async (node, sinceMs, verb) =>
  (await clusterLog(node, sinceMs)).find(
    (l) =>
      l.msg.startsWith(`${verb} groups`) && new RegExp(`groups=\\S*\\b${GROUP}\\b`).test(l.msg),
  )?.atMs;

/**
 * The views `node` logged from sinceMs until it acquired the group: how many (more than two, its
 * own at a membership change and the one agreed with the others, means the membership changed
 * again during the move), and the last one, in force when it acquired: the takeover delay counts
 * from it.
 */
function viewsUntil(node, sinceMs, untilMs) {
  const views = cluster.lines.filter(
    (l) =>
      l.node === node && l.msg === 'view' && wall(l.time) >= sinceMs && wall(l.time) <= untilMs,
  );
  const last = views.at(-1);
  return { count: views.length, lastMs: last ? wall(last.time) : NaN };
}

/**
 * The longest time between two answers of the bystander's application from fromMs to toMs (the
 * answer before fromMs included): about the polling interval when it was not disturbed.
 */
function longestGap(fromMs, toMs) {
  const ok = otherSamples.filter((x) => x.who !== null);
  const seq = [
    ...ok.filter((x) => x.atMs < fromMs).slice(-1),
    ...ok.filter((x) => x.atMs >= fromMs && x.atMs <= toMs),
  ];
  let gap = 0;
  for (let i = 1; i < seq.length; i++) gap = Math.max(gap, seq[i].atMs - seq[i - 1].atMs);
  const last = seq.at(-1);
  return Math.max(gap, last ? toMs - last.atMs : NaN);
}

/**
 * Nodes that let go of their groups on losing quorum or their holding lease, from fromMs to
 * toMs: "n2 at +538 ms (rg2; no quorum)".
 */
const quorumLosses = (fromMs, toMs) =>
  cluster.lines
    .filter(
      (l) =>
        (l.msg.startsWith('no quorum') || l.msg.startsWith('holding lease ran out')) &&
        wall(l.time) >= fromMs &&
        wall(l.time) <= toMs,
    )
    .map(
      (l) =>
        `${l.node} at +${f0(wall(l.time) - fromMs)} ms (${Array.isArray(l.groups) ? l.groups.join(', ') : '?'}; ${l.msg.split(':')[0]})`,
    );

/** The event (from events.list on `node`) that acquired the group there, since sinceMs. */
async function acquiringEvent(node, sinceMs) {
  const deadline = Date.now() + WITHIN_MS;
  for (;;) {
    const r = await cluster.call(node, 'events.list');
    const e = r.recent.find((x) => x.startedAtMs >= sinceMs && x.acquired.includes(GROUP));
    if (e) return e;
    if (Date.now() > deadline)
      throw new Error(`${node}'s events.list shows no event that acquired ${GROUP}`);
    await sleep(200);
  }
}

// ---- one fallover and one fallback ------------------------------------------------------------

async function fallover(victim) {
  const survivors = cluster.names.filter((n) => n !== victim);
  await servedBy(victim);
  const t0 = Date.now();
  await cluster.kill(victim, 'SIGKILL');
  const deadline = Date.now() + WITHIN_MS;
  let o;
  for (;;) {
    const who = samples.filter((s) => s.atMs >= t0).find((s) => s.who && s.who !== victim)?.who;
    if (who) {
      o = outage(t0, victim, who);
      o.to = who;
      break;
    }
    if (Date.now() > deadline)
      throw new Error(`no other node served the application within ${WITHIN_MS} ms of the kill`);
    await sleep(opt.pollMs);
  }
  const holder = o.to;
  // Let the event finish (its background start's grace), then read what the agents logged.
  await cluster.waitStable(WITHIN_MS);
  const tEnd = Date.now();
  const downs = survivors
    .map((n) => lineOf(n, t0, (l) => l.event?.type === 'node_down' && l.event.node === victim))
    .map((l) => (l ? wall(l.time) - t0 : NaN));
  const acquireMs = (await groupOp(holder, t0, 'acquiring')) ?? NaN;
  const { count: views, lastMs: viewMs } = viewsUntil(holder, t0, acquireMs);
  const ev = await acquiringEvent(holder, t0);
  // --two-node: the survivor's quorum comes from the quorum server. The server logs each grant
  // ('granted: lease taken', or 'renewed' when the node held it still); the agent logs
  // 'tie-breaker granted' only when the grant gave it quorum it did not have (not when a grant
  // from the previous round still ran).
  const holderId = Number(holder.slice(1));
  const grant = tbServer.lines.find(
    (l) => l.atMs >= t0 && l.node === holderId && String(l.msg).startsWith('granted'),
  );
  const denials = tbServer.lines.filter(
    (l) =>
      l.atMs >= t0 &&
      l.node === holderId &&
      String(l.msg).startsWith('denied') &&
      (!grant || l.atMs <= grant.atMs),
  );
  const agentGrant = lineOf(holder, t0, (l) => l.msg.startsWith('tie-breaker granted'));
  const agentDenied = cluster.lines.filter(
    (l) =>
      l.node === holder &&
      wall(l.time) >= t0 &&
      wall(l.time) <= tEnd &&
      l.msg.startsWith('tie-breaker denied'),
  ).length;
  const status = opt.twoNode ? await cluster.call(holder, 'cluster.status') : undefined;
  return {
    victim,
    holder,
    serverGrantMs: grant ? grant.atMs - t0 : NaN,
    serverGrantKind: grant ? String(grant.msg).replace(/^granted: lease /, '') : 'none',
    serverDenials: denials.map((l) => l.msg),
    agentGrantMs: agentGrant ? wall(agentGrant.time) - t0 : NaN,
    agentDenied,
    quorumAfter: status ? `${status.cm.quorum}${status.cm.hasQuorum ? '' : ' (no quorum)'}` : '',
    goneMs: (o.firstFailMs ?? NaN) - t0,
    lastOldMs: (o.lastOldMs ?? NaN) - t0,
    downFirstMs: Math.min(...downs),
    downLastMs: Math.max(...downs),
    viewMs: viewMs - t0,
    views,
    eventStartMs: ev.startedAtMs - t0,
    acquireMs: acquireMs - t0,
    takeoverWaitMs: acquireMs - viewMs,
    servedMs: o.firstNewMs - t0,
    appStartMs: o.firstNewMs - acquireMs,
    outageMs: o.outageMs,
    eventDoneMs: ev.startedAtMs + ev.durationMs - t0,
    strangers: o.strangers,
    bystanderGapMs: opt.bystander ? longestGap(t0, tEnd) : NaN,
    quorumLosses: quorumLosses(t0, tEnd),
  };
}

async function fallback(home, standby) {
  await servedBy(standby);
  const t0 = Date.now();
  await cluster.start(home, WITHIN_MS);
  const startedLine = lineOf(home, t0, (l) => l.msg === 'agent started');
  await servedBy(home);
  await cluster.waitStable(WITHIN_MS);
  const tEnd = Date.now();
  const o = outage(t0, standby, home);
  const releaseMs = (await groupOp(standby, t0, 'releasing')) ?? NaN;
  const acquireMs = (await groupOp(home, t0, 'acquiring')) ?? NaN;
  const { count: views, lastMs: viewMs } = viewsUntil(home, t0, acquireMs);
  const ev = await acquiringEvent(home, t0);
  return {
    home,
    standby,
    agentStartedMs: startedLine ? wall(startedLine.time) - t0 : NaN,
    viewMs: viewMs - t0,
    views,
    eventStartMs: ev.startedAtMs - t0,
    releaseMs: releaseMs - t0,
    lastOldMs: (o?.lastOldMs ?? NaN) - t0,
    acquireMs: acquireMs - t0,
    takeoverWaitMs: acquireMs - viewMs,
    servedMs: (o?.firstNewMs ?? NaN) - t0,
    appStartMs: (o?.firstNewMs ?? NaN) - acquireMs,
    outageMs: o?.outageMs ?? NaN,
    eventDoneMs: ev.startedAtMs + ev.durationMs - t0,
    strangers: o?.strangers ?? 0,
    bystanderGapMs: opt.bystander ? longestGap(t0, tEnd) : NaN,
    quorumLosses: quorumLosses(t0, tEnd),
  };
}

// ---- statistics and the report ---------------------------------------------------------------

function median(xs) {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const max = (xs) => {
  const s = xs.filter(Number.isFinite);
  return s.length ? Math.max(...s) : NaN;
};
const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : '–');
const table = (header, rows) => {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
};
/** Rows per round, then median and max of each numeric column. */
function withStats(rounds, cols) {
  const rows = rounds.map((r, i) => [String(i + 1), ...cols.map((c) => c.text(r))]);
  for (const [name, f] of [
    ['median', median],
    ['max', max],
  ]) {
    rows.push([`**${name}**`, ...cols.map((c) => (c.num ? f0(f(rounds.map(c.num))) : ''))]);
  }
  return rows;
}

function machineTicks() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9);
    const [user, nice, system, , , irq, softirq, steal] = f.map(Number);
    return {
      busy: user + nice + system + irq + softirq + steal,
      total: f.reduce((a, x) => a + Number(x), 0),
    };
  } catch {
    return { busy: NaN, total: NaN };
  }
}
const nproc = os.availableParallelism?.() ?? os.cpus().length;

function report(overs, backs, meta) {
  const out = [];
  const bystanderCol = opt.bystander
    ? [{ text: (r) => f0(r.bystanderGapMs), num: (r) => r.bystanderGapMs }]
    : [];
  out.push(
    `Command: \`${command}\`, run on ${meta.date}; it took ${(meta.tookMs / 60_000).toFixed(1)} minutes.`,
    '',
    `Machine: ${nproc} CPUs (${meta.model}), ${os.type()} ${os.release()}, Node ${process.version}; load average (1, 5, 15 min) ${meta.loadBefore.map((x) => x.toFixed(2)).join(', ')} before the run and ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(
        ', ',
      )} after it; the machine's busy time was ${f0(meta.busyPct)} % of one core on average over the run (all ${nproc} cores: ${nproc * 100} %).`,
    '',
    `Cluster: ${NODES.length} agents on this machine, heartbeats every 150 ms, sensitivity 4, on 2 IP networks and a disk heartbeat${opt.twoNode ? `, quorum.tieBreaker a quorum server (\`haven tiebreaker\`) on 127.0.0.1, started ${f0(meta.serverLeadMs / 1000)} s before the first kill (it grants nobody for ${f0(meta.quietMs)} ms after its start)` : ''}; ${GROUP} ${list(NODES)} holds the demo's HTTP application (background start)${opt.bystander ? `; rg_other ${list(OTHER_NODES)} holds another copy of it (the bystander: it has no reason to move, and its column is the longest time between two of its answers during the move)` : ''}; the client polls every ${opt.pollMs} ms, a new connection each time.`,
    '',
    '### Fallover: SIGKILL of the agent holding the group (ms after the SIGKILL)',
    '',
    table(
      [
        'round',
        'moved to',
        'old app gone',
        'node_down (first / last survivor)',
        'view (views logged)',
        'event start',
        ...(opt.twoNode ? ['tie-breaker grant: server (lease) / agent'] : []),
        'acquire (wait after the view)',
        'served again (app start)',
        '**client outage**',
        'event done',
        ...(opt.bystander ? ['bystander: longest gap'] : []),
      ],
      withStats(overs, [
        { text: (r) => `${r.victim} → ${r.holder}` },
        { text: (r) => f0(r.goneMs), num: (r) => r.goneMs },
        { text: (r) => `${f0(r.downFirstMs)} / ${f0(r.downLastMs)}`, num: (r) => r.downLastMs },
        { text: (r) => `${f0(r.viewMs)} (${r.views})`, num: (r) => r.viewMs },
        { text: (r) => f0(r.eventStartMs), num: (r) => r.eventStartMs },
        ...(opt.twoNode
          ? [
              {
                text: (r) =>
                  `${f0(r.serverGrantMs)} (${r.serverGrantKind}) / ${f0(r.agentGrantMs)}`,
                num: (r) => r.serverGrantMs,
              },
            ]
          : []),
        {
          text: (r) => `${f0(r.acquireMs)} (${f0(r.takeoverWaitMs)})`,
          num: (r) => r.acquireMs,
        },
        { text: (r) => `${f0(r.servedMs)} (${f0(r.appStartMs)})`, num: (r) => r.servedMs },
        { text: (r) => `**${f0(r.outageMs)}**`, num: (r) => r.outageMs },
        { text: (r) => f0(r.eventDoneMs), num: (r) => r.eventDoneMs },
        ...bystanderCol,
      ]),
    ),
    '',
    '### Fallback: the killed node restarts and takes its group back (ms after its agent was started)',
    '',
    table(
      [
        'round',
        'moved to',
        'agent started',
        'view (views logged)',
        'event start',
        'release on the standby',
        'last answer from the standby',
        'acquire (wait after the view)',
        'served again (app start)',
        '**client outage**',
        'event done',
        ...(opt.bystander ? ['bystander: longest gap'] : []),
      ],
      withStats(backs, [
        { text: (r) => `${r.standby} → ${r.home}` },
        { text: (r) => f0(r.agentStartedMs), num: (r) => r.agentStartedMs },
        { text: (r) => `${f0(r.viewMs)} (${r.views})`, num: (r) => r.viewMs },
        { text: (r) => f0(r.eventStartMs), num: (r) => r.eventStartMs },
        { text: (r) => f0(r.releaseMs), num: (r) => r.releaseMs },
        { text: (r) => f0(r.lastOldMs), num: (r) => r.lastOldMs },
        {
          text: (r) => `${f0(r.acquireMs)} (${f0(r.takeoverWaitMs)})`,
          num: (r) => r.acquireMs,
        },
        { text: (r) => `${f0(r.servedMs)} (${f0(r.appStartMs)})`, num: (r) => r.servedMs },
        { text: (r) => `**${f0(r.outageMs)}**`, num: (r) => r.outageMs },
        { text: (r) => f0(r.eventDoneMs), num: (r) => r.eventDoneMs },
        ...bystanderCol,
      ]),
    ),
  );
  const strangers = [...overs, ...backs].reduce((a, r) => a + r.strangers, 0);
  out.push(
    '',
    `The client polled ${samples.length} times over the run; answers from a node other than the two of a move, in its outage window: ${strangers}.`,
  );
  const losses = [
    ...overs.map((r, i) => [`fallover ${i + 1}`, r.quorumLosses]),
    ...backs.map((r, i) => [`fallback ${i + 1}`, r.quorumLosses]),
  ].filter(([, l]) => l.length > 0);
  out.push(
    '',
    losses.length === 0
      ? 'No node let go of its groups on losing quorum or its holding lease during the moves.'
      : `Nodes that let go of their groups on losing quorum or their holding lease during a move: ${losses.map(([what, l]) => `${what}: ${l.join(', ')}`).join('; ')}.`,
  );
  if (opt.twoNode) {
    const denied = overs
      .map((r, i) => [i + 1, r.serverDenials])
      .filter(([, d]) => d.length > 0)
      .map(([i, d]) => `fallover ${String(i)}: ${d.join('; ')}`);
    const noAgentLine = overs
      .map((r, i) => [i + 1, r])
      .filter(([, r]) => !Number.isFinite(r.agentGrantMs))
      .map(([i]) => String(i));
    out.push(
      '',
      `Quorum server: the survivor's requests it denied after the kill, before its grant: ${denied.length === 0 ? 'none' : denied.join(', ')}. The survivor logged \`tie-breaker denied\` ${String(overs.reduce((a, r) => a + r.agentDenied, 0))} times in all the fallovers. Its quorum after each fallover (cluster.status): ${overs.map((r) => r.quorumAfter).join(', ')}. ${noAgentLine.length === 0 ? 'It logged `tie-breaker granted` in every fallover.' : `It logged no \`tie-breaker granted\` in fallover ${noAgentLine.join(', ')}: the agent logs it only when a grant gives it quorum it did not have, and a grant of the previous round (believed 10 s from its request) still ran.`} Server log lines over the run: ${String(tbServer.lines.length)}.`,
    );
  }
  return out.join('\n');
}

// ---- the run -----------------------------------------------------------------------------------

const loadBefore = os.loadavg();
const ticks0 = machineTicks();
const date = `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const model =
  /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ??
  os.cpus()[0]?.model ??
  '?';
let exitCode = 0;
try {
  ports = await freePorts();
  cluster = await LocalCluster.create({
    nodes: NODES.length,
    intervalMs: 150,
    sensitivity: 4,
    port: ports.hb,
    clusterId: 90 + (process.pid % 100),
    extraYaml: [
      ...(opt.twoNode
        ? ['quorum:', `  tieBreaker: { type: server, address: 127.0.0.1, port: ${ports.tb} }`]
        : []),
      'resources:',
      '  applications:',
      '    - name: app_web',
      `      start: ${process.execPath} ${APP} --host 127.0.0.1 --port ${ports.app} --pidfile PIDFILE`,
      "      stop: 'kill $(cat PIDFILE)'",
      '      background: true',
      ...(opt.bystander
        ? [
            '    - name: app_other',
            `      start: ${process.execPath} ${APP} --host 127.0.0.1 --port ${ports.other} --pidfile OTHERPID`,
            "      stop: 'kill $(cat OTHERPID)'",
            '      background: true',
          ]
        : []),
      'resourceGroups:',
      `  - name: ${GROUP}`,
      `    nodes: ${list(NODES)}`,
      '    resources: [app_web]',
      ...(opt.bystander
        ? ['  - name: rg_other', `    nodes: ${list(OTHER_NODES)}`, '    resources: [app_other]']
        : []),
    ].join('\n'),
  });
  // The pid file lives in the cluster's directory, known only now.
  const pidfile = join(cluster.dir, 'app.pid');
  const otherPidfile = join(cluster.dir, 'other.pid');
  pidfiles.set(pidfile, ports.app);
  if (opt.bystander) pidfiles.set(otherPidfile, ports.other);
  await writeFile(
    cluster.configPath,
    (await readFile(cluster.configPath, 'utf8'))
      .replaceAll('PIDFILE', pidfile)
      .replaceAll('OTHERPID', otherPidfile),
  );
  log(
    `cluster in ${cluster.dir}; heartbeat port ${ports.hb}, application on 127.0.0.1:${ports.app}${opt.twoNode ? `, quorum server on 127.0.0.1:${ports.tb} (UDP)` : ''}`,
  );
  // The quorum server first, as in the integration test: its quiet time after the start then
  // runs while the agents start.
  let grantsFromMs = 0;
  let serverStartedMs = 0;
  let quietMs = NaN;
  if (opt.twoNode) {
    const started = await startServer(cluster);
    quietMs = Number(started.grantsFromInMs);
    if (!Number.isFinite(quietMs))
      throw new Error(
        `the quorum server's start line has no grantsFromInMs: ${JSON.stringify(started)}`,
      );
    serverStartedMs = started.atMs;
    grantsFromMs = started.atMs + quietMs;
    log(`quorum server started (pid ${tbServer.child?.pid}); it grants from ${f0(quietMs)} ms on`);
  }
  startPoller(ports.app, opt.bystander ? ports.other : undefined);
  await cluster.startAll();
  await cluster.waitStable(WITHIN_MS);
  await servedBy('n1');
  if (opt.bystander) await otherServedBy('n2');
  await cluster.waitStable(WITHIN_MS);
  log(`stable, served by n1${opt.bystander ? ', rg_other by n2' : ''}`);
  if (opt.twoNode) {
    // The server logs nothing when its quiet time ends: wait until then, and a little more
    // (clocks read in two processes), or the survivor's first requests would be denied.
    const wait = grantsFromMs + 500 - Date.now();
    if (wait > 0) {
      log(`waiting ${f0(wait)} ms for the quorum server's quiet time to pass`);
      await sleep(wait);
    }
  }
  const serverLeadMs = opt.twoNode ? Date.now() - serverStartedMs : NaN;

  const overs = [];
  const backs = [];
  for (let round = 1; round <= opt.rounds; round++) {
    const over = await fallover('n1');
    overs.push(over);
    log(
      `round ${round}: fallover n1 → ${over.holder}: client outage ${f0(over.outageMs)} ms (node_down ${f0(over.downLastMs)}${opt.twoNode ? `, grant ${f0(over.serverGrantMs)} ${over.serverGrantKind} / agent ${f0(over.agentGrantMs)}` : ''}, acquire ${f0(over.acquireMs)}, served ${f0(over.servedMs)})${opt.bystander ? `; bystander gap ${f0(over.bystanderGapMs)} ms` : ''}`,
    );
    const back = await fallback('n1', over.holder);
    backs.push(back);
    log(
      `round ${round}: fallback ${over.holder} → n1: client outage ${f0(back.outageMs)} ms (release ${f0(back.releaseMs)}, acquire ${f0(back.acquireMs)}, served ${f0(back.servedMs)})${opt.bystander ? `; bystander gap ${f0(back.bystanderGapMs)} ms` : ''}`,
    );
  }
  const t1 = machineTicks();
  const busyPct = ((t1.busy - ticks0.busy) / (t1.total - ticks0.total)) * nproc * 100;
  console.log(
    report(overs, backs, {
      date,
      model,
      loadBefore,
      busyPct,
      tookMs: Date.now() - started,
      serverLeadMs,
      quietMs,
    }),
  );
} catch (e) {
  console.error(`bench-failover: ${e instanceof Error ? e.message : String(e)}`);
  exitCode = 1;
} finally {
  clearTimeout(watchdog);
  await cleanup();
}
process.exit(exitCode);
