// Resource groups: the policy combinations the reference allows, the dynamic priority and
// fallback timer settings that go with them, and what a concurrent group may hold.

import type { Finding } from '../diagnostic.js';
import type { ClusterConfig, FallbackTimerDef, ResourceGroupDef } from '../model.js';
import { kindWord, lookup } from './lookup.js';

/** Resources that can be active on one node at a time. */
const EXCLUSIVE_KINDS = new Set(['serviceIp', 'filesystem', 'volumeGroup']);

type TimerField = 'weekday' | 'day' | 'month' | 'date';
const TIMER_FIELDS: readonly TimerField[] = ['weekday', 'day', 'month', 'date'];
const TIMER_NEEDS: Record<FallbackTimerDef['recurrence'], readonly TimerField[]> = {
  daily: [],
  weekly: ['weekday'],
  monthly: ['day'],
  yearly: ['day', 'month'],
  once: ['date'],
};
const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function daysInMonth(month: number, year: number | undefined): number {
  if (month === 2) {
    if (year === undefined) return 29;
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function policyCombinations(g: ResourceGroupDef): Finding[] {
  const out: Finding[] = [];
  const where = g.legacyPolicy ? ` (from policy: ${g.legacyPolicy})` : '';
  if (g.startup === 'all-available') {
    if (g.fallover !== 'offline') {
      out.push({
        severity: 'error',
        code: 'startup-all-available-fallover',
        path: [...g.at, 'fallover'],
        message: `group ${g.name} comes online on all available nodes, so it has nowhere to fall over to, but its fallover is ${g.fallover}${where}`,
        expected: 'fallover: offline',
        hint: 'set fallover: offline and fallback: never, or use policy: concurrent',
      });
    }
    if (g.fallback !== 'never') {
      out.push({
        severity: 'error',
        code: 'startup-all-available-fallback',
        path: [...g.at, 'fallback'],
        message: `group ${g.name} comes online on all available nodes, so it has nothing to fall back from, but its fallback is ${g.fallback}${where}`,
        expected: 'fallback: never',
        hint: 'set fallback: never, or use policy: concurrent',
      });
    }
  }
  if (g.startup === 'distribution' && g.fallback !== 'never') {
    out.push({
      severity: 'error',
      code: 'startup-distribution-fallback',
      path: [...g.at, 'fallback'],
      message: `group ${g.name} starts by distribution (on a node with no other group), which the reference allows only with fallback never, but its fallback is ${g.fallback}`,
      expected: 'fallback: never',
      hint: 'set fallback: never, or use policy: rotating',
    });
  }
  if (g.fallbackTimer && g.fallback !== 'higher-priority') {
    out.push({
      severity: 'error',
      code: 'fallback-timer-unused',
      path: [...g.at, 'fallbackTimer'],
      message: `group ${g.name} has a fallback timer, but its fallback is ${g.fallback}${where}, so it never falls back`,
      expected: 'fallbackTimer only with fallback: higher-priority',
      hint: 'remove fallbackTimer, or set fallback: higher-priority',
    });
  }
  return out;
}

function dynamicPriority(g: ResourceGroupDef, distinctNodes: number): Finding[] {
  const out: Finding[] = [];
  const dp = g.dynamicPriority;
  if (g.fallover === 'dynamic-priority' && !dp) {
    out.push({
      severity: 'error',
      code: 'dynamic-priority-missing',
      path: [...g.at, 'fallover'],
      message: `group ${g.name} falls over by dynamic priority, but says nothing about how to rank the nodes`,
      expected:
        'dynamicPriority: { policy: most-free-memory | most-idle-cpu | least-busy-disk | script }',
      hint: 'add dynamicPriority, or use fallover: next-priority',
    });
  }
  if (dp && g.fallover !== 'dynamic-priority') {
    out.push({
      severity: 'error',
      code: 'dynamic-priority-unused',
      path: [...g.at, 'dynamicPriority'],
      message: `group ${g.name} has dynamicPriority, but its fallover is ${g.fallover}, which does not use it`,
      expected: 'dynamicPriority only with fallover: dynamic-priority',
      hint: 'set fallover: dynamic-priority, or remove dynamicPriority',
    });
  }
  if (dp?.policy === 'script' && dp.script === undefined) {
    out.push({
      severity: 'error',
      code: 'dynamic-priority-script-missing',
      path: [...g.at, 'dynamicPriority', 'policy'],
      message: `group ${g.name} ranks nodes by a script, but names no script`,
      expected: 'dynamicPriority.script: a command that prints a number',
    });
  }
  if (dp && dp.policy !== 'script' && dp.script !== undefined) {
    out.push({
      severity: 'error',
      code: 'dynamic-priority-script-unused',
      path: [...g.at, 'dynamicPriority', 'script'],
      message: `group ${g.name} has a dynamic priority script, but its policy is ${dp.policy}, which does not run it`,
      expected: 'script only with policy: script',
      hint: 'set policy: script, or remove script',
    });
  }
  // At fallover the failed node is out of the running: with two nodes the ranking has one
  // candidate to rank, with one it has none.
  if (g.fallover === 'dynamic-priority' && distinctNodes <= 2) {
    out.push({
      severity: 'warning',
      code: 'dynamic-priority-pointless',
      path: [...g.at, 'fallover'],
      message: `group ${g.name} falls over by dynamic priority, but with ${distinctNodes === 1 ? 'one node' : 'two nodes'} there is ${distinctNodes === 1 ? 'no node' : 'only one node'} to choose from at fallover`,
      hint: 'use fallover: next-priority, or add nodes to the group',
    });
  }
  return out;
}

function fallbackTimer(g: ResourceGroupDef): Finding[] {
  const t = g.fallbackTimer;
  if (!t) return [];
  const out: Finding[] = [];
  const at = [...g.at, 'fallbackTimer'];
  const needs = TIMER_NEEDS[t.recurrence];
  for (const f of TIMER_FIELDS) {
    const given = t[f] !== undefined;
    if (needs.includes(f) && !given) {
      out.push({
        severity: 'error',
        code: 'fallback-timer-missing-field',
        path: at,
        message: `the ${t.recurrence} fallback timer of group ${g.name} has no ${f}`,
        expected: `${t.recurrence} timers need ${needs.join(' and ')}`,
      });
    } else if (!needs.includes(f) && given) {
      out.push({
        severity: 'error',
        code: 'fallback-timer-extra-field',
        path: [...at, f],
        message: `${f} is not used by a ${t.recurrence} fallback timer (group ${g.name})`,
        expected:
          needs.length === 0
            ? `no weekday, day, month or date in a ${t.recurrence} timer`
            : `only ${needs.join(' and ')} with ${t.recurrence}`,
        hint: `remove ${f}, or change recurrence`,
      });
    }
  }
  if (t.recurrence === 'once' && t.date !== undefined) {
    const [y = 0, m = 0, d = 0] = t.date.split('-').map(Number);
    if (m < 1 || m > 12 || d < 1 || d > daysInMonth(m, y)) {
      out.push({
        severity: 'error',
        code: 'fallback-timer-invalid-date',
        path: [...at, 'date'],
        message: `${t.date} is not a date in the calendar (group ${g.name})`,
        expected: 'a real date, YYYY-MM-DD',
      });
    }
  }
  if (t.recurrence === 'yearly' && t.day !== undefined && t.month !== undefined) {
    const month = MONTH_NAMES[t.month - 1] ?? String(t.month);
    if (t.day > daysInMonth(t.month, undefined)) {
      out.push({
        severity: 'error',
        code: 'fallback-timer-invalid-date',
        path: [...at, 'day'],
        message: `${month} has no day ${t.day}, so the yearly fallback timer of group ${g.name} never fires`,
        expected: `a day from 1 to ${daysInMonth(t.month, undefined)}`,
      });
    } else if (t.month === 2 && t.day === 29) {
      out.push({
        severity: 'warning',
        code: 'fallback-timer-rare-date',
        path: [...at, 'day'],
        message: `the yearly fallback timer of group ${g.name} fires on 29 February, in leap years only`,
        hint: 'pick another day',
      });
    }
  }
  // Some months have no 29th, 30th or 31st: what the timer does then is a guess either way.
  if (t.recurrence === 'monthly' && t.day !== undefined && t.day > 28) {
    out.push({
      severity: 'warning',
      code: 'fallback-timer-rare-date',
      path: [...at, 'day'],
      message: `the monthly fallback timer of group ${g.name} is on day ${t.day}, which some months do not have`,
      hint: 'use a day from 1 to 28',
    });
  }
  return out;
}

export function checkGroups(config: ClusterConfig): Finding[] {
  const out: Finding[] = [];
  const look = lookup(config);
  for (const g of config.resourceGroups) {
    const distinctNodes = new Set(g.nodes).size;
    out.push(...policyCombinations(g), ...dynamicPriority(g, distinctNodes), ...fallbackTimer(g));

    if (g.startup === 'all-available') {
      g.resources.forEach((name, i) => {
        const r = look.resources.get(name);
        if (!r || !EXCLUSIVE_KINDS.has(r.kind)) return;
        out.push({
          severity: 'error',
          code: 'concurrent-exclusive-resource',
          path: [...g.at, 'resources', i],
          message: `group ${g.name} is online on all available nodes at once, but ${kindWord(r.kind)} ${r.name} can be active on one node only`,
          expected: 'in a concurrent group: applications, OCF and systemd resources only',
          hint: `move ${r.name} to a group that is online on one node`,
        });
      });
    }

    if (distinctNodes === 1) {
      out.push({
        severity: 'warning',
        code: 'group-single-node',
        path: [...g.at, 'nodes'],
        message: `group ${g.name} has one node, ${g.nodes[0] ?? ''}: when it fails, the group has nowhere to go`,
        hint: 'add a second node to the group',
      });
    }
    if (g.resources.length === 0) {
      out.push({
        severity: 'warning',
        code: 'group-no-resources',
        path: [...g.at, 'resources'],
        message: `group ${g.name} has no resources`,
        hint: 'add resources, or remove the group',
      });
    }
  }
  return out;
}
