// The event queue and the order in which events are processed (the reference's 4.6, "Event
// Priority"). Every node of the view must pick the same next event from the same set of events,
// so the order is total and depends on nothing but the events' own fields: no locale, no
// insertion order, no clock.
//
// Order, first difference wins:
//   1. class: node join > node failure > adapter > network up > network down > other built-in
//      events > user-defined events
//   2. node number, lower first
//   3. network: none first, then numbers (lower first), then names (code unit order)
//   4. rank of the event name inside its class (swap_adapter before fail_interface ...)
//   5. event name, code unit order
//   6. details, as a list of [key, value] sorted by key, compared entry by entry
//   7. id: none first, then code unit order (only breaks ties between copies of one event)
//
// The queue holds each event once: two events with the same name, node, network and details are
// the same event (4.6's "if any node does not have this event on its queue, it adds it"), whatever
// their ids; the copy queued first is kept.

import { isBuiltinEvent } from '../config/events.js';

export interface QueuedEvent {
  readonly name: string;
  /** The node the event is about (the joining, failed, ... node). */
  readonly node: number;
  /** The network's number (NetworkDef.number) or, failing that, its name. */
  readonly network?: number | string | undefined;
  readonly details?: Readonly<Record<string, string>> | undefined;
  /** An identifier given by whoever queued it; not part of the event's identity. */
  readonly id?: string | undefined;
}

export type PriorityClass =
  'join' | 'failure' | 'adapter' | 'network_up' | 'network_down' | 'other' | 'user';

/** Highest priority first. */
export const PRIORITY_CLASSES: readonly PriorityClass[] = [
  'join',
  'failure',
  'adapter',
  'network_up',
  'network_down',
  'other',
  'user',
];

/**
 * The class and in-class rank of each built-in event. Adapter events share one class: a swap
 * (the service address moves to another interface of the same node, clients are cut off until
 * it does) before a standby interface failing or coming back, which only change what is left to
 * swap to. The other built-in events (application failures, operator requests, dynamic
 * reconfiguration, the local warnings) come after network down and before user-defined events,
 * in this order.
 */
const BUILTIN_ORDER: Readonly<Record<string, readonly [PriorityClass, number]>> = {
  node_up: ['join', 0],
  node_down: ['failure', 0],
  swap_adapter: ['adapter', 0],
  fail_interface: ['adapter', 1],
  join_interface: ['adapter', 2],
  network_up: ['network_up', 0],
  network_down: ['network_down', 0],
  server_down: ['other', 0],
  server_restart: ['other', 1],
  rg_move: ['other', 2],
  rg_online: ['other', 3],
  rg_offline: ['other', 4],
  reconfig_topology: ['other', 5],
  reconfig_resource: ['other', 6],
  config_too_long: ['other', 7],
  event_error: ['other', 8],
};

/** The class of an event name: built-in events by the table above, any other name is a user event. */
export function priorityClassOf(name: string): PriorityClass {
  const entry = BUILTIN_ORDER[name];
  if (entry !== undefined) return entry[0];
  // The *_complete sub-events are built in but are never queued on their own: last of 'other'.
  return isBuiltinEvent(name) ? 'other' : 'user';
}

function rankOf(name: string): number {
  return BUILTIN_ORDER[name]?.[1] ?? Number.MAX_SAFE_INTEGER;
}

/** Numbers ascending; NaN after every number, equal to itself, so the order stays total. */
function compareNumbers(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number(Number.isNaN(a)) - Number(Number.isNaN(b));
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Code unit order: the same on every node, whatever its locale (unlike localeCompare). */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareNetworks(a: number | string | undefined, b: number | string | undefined): number {
  const kind = (n: number | string | undefined): number =>
    n === undefined ? 0 : typeof n === 'number' ? 1 : 2;
  const k = kind(a) - kind(b);
  if (k !== 0) return Math.sign(k);
  if (typeof a === 'number' && typeof b === 'number') return compareNumbers(a, b);
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  return 0;
}

function detailEntries(d: Readonly<Record<string, string>> | undefined): [string, string][] {
  if (d === undefined) return [];
  return Object.keys(d)
    .sort(compareStrings)
    .map((k) => [k, String(d[k])]);
}

function compareDetails(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined,
): number {
  const ea = detailEntries(a);
  const eb = detailEntries(b);
  for (let i = 0; i < Math.min(ea.length, eb.length); i++) {
    const [ka = '', va = ''] = ea[i] ?? [];
    const [kb = '', vb = ''] = eb[i] ?? [];
    const c = compareStrings(ka, kb) || compareStrings(va, vb);
    if (c !== 0) return c;
  }
  return Math.sign(ea.length - eb.length);
}

/** The order of processing: negative when `a` goes first. Total and deterministic. */
export function compareEvents(a: QueuedEvent, b: QueuedEvent): number {
  return (
    Math.sign(
      PRIORITY_CLASSES.indexOf(priorityClassOf(a.name)) -
        PRIORITY_CLASSES.indexOf(priorityClassOf(b.name)),
    ) ||
    compareNumbers(a.node, b.node) ||
    compareNetworks(a.network, b.network) ||
    compareNumbers(rankOf(a.name), rankOf(b.name)) ||
    compareStrings(a.name, b.name) ||
    compareDetails(a.details, b.details) ||
    (a.id === undefined
      ? b.id === undefined
        ? 0
        : -1
      : b.id === undefined
        ? 1
        : compareStrings(a.id, b.id))
  );
}

/** Whether `a` is processed before `b`: what a voter checks against the proposed event. */
export function isHigherPriority(a: QueuedEvent, b: QueuedEvent): boolean {
  return compareEvents(a, b) < 0;
}

/** The identity of an event: name, node, network and details (not the id). */
export function eventKey(e: QueuedEvent): string {
  return JSON.stringify([
    e.name,
    Number.isNaN(e.node) ? 'NaN' : e.node,
    e.network ?? null,
    detailEntries(e.details),
  ]);
}

export function sameEvent(a: QueuedEvent, b: QueuedEvent): boolean {
  return eventKey(a) === eventKey(b);
}

/** A queue is a sorted list without duplicates; the functions below keep it so. */
export type EventQueue = readonly QueuedEvent[];

export const EMPTY_QUEUE: EventQueue = Object.freeze([]);

/** Sorts and removes duplicates, keeping the first copy of each event. */
export function sortEvents(events: readonly QueuedEvent[]): QueuedEvent[] {
  const seen = new Set<string>();
  const unique: QueuedEvent[] = [];
  for (const e of events) {
    const k = eventKey(e);
    if (seen.has(k)) continue;
    seen.add(k);
    unique.push(e);
  }
  return unique.sort(compareEvents);
}

export function hasEvent(queue: EventQueue, event: QueuedEvent): boolean {
  const k = eventKey(event);
  return queue.some((e) => eventKey(e) === k);
}

/** Adds an event; the same queue (===) when it is already queued. */
export function addEvent(queue: EventQueue, event: QueuedEvent): EventQueue {
  if (hasEvent(queue, event)) return queue;
  return sortEvents([...queue, event]);
}

/** Removes the event (matched by identity, not id); the same queue (===) when it is absent. */
export function removeEvent(queue: EventQueue, event: QueuedEvent): EventQueue {
  const k = eventKey(event);
  if (!queue.some((e) => eventKey(e) === k)) return queue;
  return queue.filter((e) => eventKey(e) !== k);
}

/** The next event to process, or undefined when the queue is empty. */
export function peekEvent(queue: EventQueue): QueuedEvent | undefined {
  let best: QueuedEvent | undefined;
  // Not queue[0]: a queue built by hand may be unsorted, and the answer must still be right.
  for (const e of queue) if (best === undefined || compareEvents(e, best) < 0) best = e;
  return best;
}
