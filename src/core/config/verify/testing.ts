// Test helpers for the verify checks: a valid two-node cluster as YAML text, ways to make
// the administrator's mistake in it, and assertions on the diagnostics by code, path and line.
//
// It throws plain Errors instead of using node:assert, so that it stays inside the core's
// import rules (it is not a .test.ts file); node:test reports a throw as a failure.

import type { Document } from 'yaml';
import { parseDocument } from 'yaml';
import type { Diagnostic, Severity } from '../diagnostic.js';
import { formatDiagnostic, formatPath } from '../diagnostic.js';
import type { LoadResult } from '../load.js';
import { parseClusterDefinition } from '../load.js';

/**
 * A two-node cluster that verifies clean: no error and no warning, only the info findings
 * (heartbeat-detection per network, node-detection). Every test starts from it and adds
 * one mistake. It avoids each warning on purpose:
 * - two IP networks (spof-single-ip-network), and a disk heartbeat network with both nodes
 *   (spof-no-diskhb, spof-node-no-diskhb);
 * - two interfaces per node on net_ether_01, and a bond on net_ether_02 (spof-single-adapter);
 * - a quorum server tie-breaker, so the survivor of two keeps quorum (two-node-no-tie-breaker);
 * - every resource in a group, every group with two nodes and resources.
 */
export const BASELINE = `# The verify tests' baseline: a valid two-node cluster.
cluster:
  name: demo
  id: 42
tunables:
  heartbeat:
    interval: 200ms
    sensitivity: 4
  settlingTime: 30s
  eventTimeLimit: 6m
quorum:
  tieBreaker: { type: server, address: 203.0.113.250 }
networks:
  - name: net_ether_01
    type: ether
    ipat: alias
  - name: net_ether_02
    type: ether
  - name: net_diskhb_01
    type: diskhb
    heartbeat:
      interval: 500ms
nodes:
  - name: node1
    id: 1
    interfaces:
      - { network: net_ether_01, device: eth0, address: 10.0.1.1/24 }
      - { network: net_ether_01, device: eth1, address: 10.0.2.1/24 }
      - { network: net_ether_02, device: bond0, address: 192.168.10.1/24 }
      - { network: net_diskhb_01, device: /dev/disk/by-id/hb }
    persistentLabels:
      - { network: net_ether_01, address: 10.0.8.1/24 }
  - name: node2
    id: 2
    interfaces:
      - { network: net_ether_01, device: eth0, address: 10.0.1.2/24 }
      - { network: net_ether_01, device: eth1, address: 10.0.2.2/24 }
      - { network: net_ether_02, device: bond0, address: 192.168.10.2/24 }
      - { network: net_diskhb_01, device: /dev/disk/by-id/hb }
resources:
  serviceIps:
    - { name: web_ip, network: net_ether_01, address: 10.0.9.10/24 }
    - { name: db_ip, network: net_ether_01, address: 10.0.9.11/24 }
  volumeGroups:
    - { name: db_vg, vg: vgdb }
  filesystems:
    - { name: db_fs, device: /dev/vgdb/data, mountpoint: /srv/db }
  applications:
    - name: web_app
      start: /usr/local/sbin/web start
      stop: /usr/local/sbin/web stop
      monitors:
        - { name: web_http, type: custom, command: /usr/local/sbin/web check, interval: 10s, timeout: 5s }
    - name: db_app
      start: /usr/local/sbin/db start
      stop: /usr/local/sbin/db stop
      monitors:
        - { name: db_proc, type: process, process: postgres, owner: postgres }
resourceGroups:
  - name: rg_db
    nodes: [node2, node1]
    startup: first-available
    fallover: next-priority
    fallback: never
    resources: [db_vg, db_fs, db_ip, db_app]
  - name: rg_web
    nodes: [node1, node2]
    policy: cascading
    resources: [web_ip, web_app]
dependencies:
  - { type: parent-child, parent: rg_db, child: rg_web }
events:
  node_down:
    notify: /usr/local/sbin/page node_down
  var_full:
    notify: /usr/local/sbin/page var_full
userEvents:
  - name: var_full
    resourceVariable: fs.used_percent
    instance: { mount: /var }
    predicate: X > 90
    rearm: X < 80
    program:
      - { on: event, run: /usr/local/sbin/var-cleanup }
      - barrier
      - { on: all, run: /usr/bin/logger var_full, expect: X }
`;

const BASE_DEPENDENCY = '  - { type: parent-child, parent: rg_db, child: rg_web }\n';

/**
 * The baseline with two more groups (for the dependency tests), rg_c and rg_d (an application each), the given group
 * lines replacing their defaults, and these dependencies after the baseline's one.
 */
export function withGroups(dependencies: string, groups: Record<string, string> = {}): string {
  const c = groups['rg_c'] ?? 'nodes: [node1, node2], resources: [c_app]';
  const d = groups['rg_d'] ?? 'nodes: [node2, node1], resources: [d_app]';
  const e = groups['rg_e'];
  return edit(
    BASELINE,
    [
      '  applications:\n',
      '  applications:\n    - { name: c_app, start: /bin/c start, stop: /bin/c stop }\n    - { name: d_app, start: /bin/d start, stop: /bin/d stop }\n' +
        (e ? '    - { name: e_app, start: /bin/e start, stop: /bin/e stop }\n' : ''),
    ],
    [
      'dependencies:\n',
      `  - { name: rg_c, ${c} }\n  - { name: rg_d, ${d} }\n` +
        (e ? `  - { name: rg_e, ${e} }\n` : '') +
        'dependencies:\n',
    ],
    [BASE_DEPENDENCY, BASE_DEPENDENCY + dependencies.replace(/^/gm, '  ') + '\n'],
  );
}

/** The text with each `from` replaced by its `to`; each `from` must occur exactly once. */
export function edit(text: string, ...replacements: readonly [string, string][]): string {
  let out = text;
  for (const [from, to] of replacements) {
    const at = out.indexOf(from);
    if (at < 0) throw new Error(`edit: ${JSON.stringify(from)} is not in the text`);
    if (out.indexOf(from, at + 1) >= 0) {
      throw new Error(`edit: ${JSON.stringify(from)} occurs more than once; give more context`);
    }
    out = out.slice(0, at) + to + out.slice(at + from.length);
  }
  return out;
}

/** The text after a structural change made with the yaml Document API (setIn, addIn, ...). */
export function patch(text: string, change: (doc: Document) => void): string {
  const doc = parseDocument(text);
  change(doc);
  return doc.toString();
}

/** 1-based line of the n-th (1-based) occurrence of `needle` in the text. */
export function lineOf(text: string, needle: string, occurrence = 1): number {
  let at = -1;
  for (let i = 0; i < occurrence; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0)
      throw new Error(`lineOf: occurrence ${occurrence} of ${JSON.stringify(needle)} not found`);
  }
  return text.slice(0, at).split('\n').length;
}

export interface Where {
  /** formatPath form, e.g. "nodes[1].interfaces[0].address". */
  readonly path?: string;
  readonly line?: number;
  readonly severity?: Severity;
  readonly message?: RegExp;
}

export class Verified {
  constructor(
    readonly text: string,
    readonly result: LoadResult,
  ) {}

  get diagnostics(): readonly Diagnostic[] {
    return this.result.diagnostics;
  }

  /** Diagnostics other than info, as the CLI prints them: for failure messages. */
  private listing(): string {
    const ds = this.diagnostics.filter((d) => d.severity !== 'info');
    return ds.length ? ds.map((d) => formatDiagnostic(d)).join('\n') : '(no errors or warnings)';
  }

  /** Codes of the errors and warnings, in file order. */
  problems(): string[] {
    return this.diagnostics.filter((d) => d.severity !== 'info').map((d) => d.code);
  }

  /** The diagnostics with this code that match `where`. */
  all(code: string, where: Where = {}): Diagnostic[] {
    return this.diagnostics.filter(
      (d) =>
        d.code === code &&
        (where.path === undefined || formatPath(d.path) === where.path) &&
        (where.line === undefined || d.line === where.line) &&
        (where.severity === undefined || d.severity === where.severity) &&
        (where.message === undefined || where.message.test(d.message)),
    );
  }

  /** The one diagnostic with this code matching `where`; throws, listing all, otherwise. */
  expect(code: string, where: Where = {}): Diagnostic {
    const found = this.all(code, where);
    if (found.length !== 1) {
      throw new Error(
        `expected one [${code}] ${JSON.stringify({ ...where, message: where.message?.source })}, found ${found.length}:\n${this.listing()}`,
      );
    }
    return found[0] as Diagnostic;
  }

  /** Throws if any diagnostic has this code. */
  expectNone(code: string): void {
    if (this.all(code).length > 0) {
      throw new Error(`expected no [${code}], found:\n${this.listing()}`);
    }
  }

  /** Throws unless the only errors and warnings are exactly these codes (in any order). */
  expectOnly(...codes: string[]): void {
    const got = this.problems().sort();
    if (JSON.stringify(got) !== JSON.stringify([...codes].sort())) {
      throw new Error(`expected exactly [${codes.join(', ')}], found:\n${this.listing()}`);
    }
  }
}

/** Loads and verifies the text as the CLI does. */
export function verify(text: string): Verified {
  return new Verified(text, parseClusterDefinition(text, 'cluster.yaml'));
}
