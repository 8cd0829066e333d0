// The virtual failure detector behind the `liveness` input (README.md, "Liveness model"). For
// each ordered pair (observer, subject) it keeps the truth (the subject is running and its
// messages reach the observer), what the observer has been told, and a generation that makes a
// pending detection of an older truth stale. A change of the truth is detected after the
// model's delay, and only if it still holds then: a blip shorter than the delay goes unseen.
// Nodes are positions 0..size-1 (the Network's order).
import type { SeededRandom } from '../core/random.js';
import { uniform } from './draw.js';
import type { LivenessModel } from './models.js';

/** Asks the engine to call `detect(observer, subject, gen)` after `delayMs`. */
export type ScheduleDetection = (
  delayMs: number,
  observer: number,
  subject: number,
  gen: number,
) => void;

export class LivenessDetector {
  readonly #size: number;
  readonly #model: LivenessModel;
  readonly #random: SeededRandom;
  readonly #schedule: ScheduleDetection;
  readonly #truth: Uint8Array;
  readonly #believed: Uint8Array;
  readonly #gen: Uint32Array;

  constructor(
    size: number,
    model: LivenessModel,
    random: SeededRandom,
    schedule: ScheduleDetection,
  ) {
    this.#size = size;
    this.#model = model;
    this.#random = random;
    this.#schedule = schedule;
    this.#truth = new Uint8Array(size * size);
    this.#believed = new Uint8Array(size * size);
    this.#gen = new Uint32Array(size * size);
  }

  /**
   * Re-derives the truth of every pair after something changed (a link, a node's status), and
   * schedules a detection for each pair that flipped whose observer is `observing` (running;
   * the others catch up when they run again).
   */
  update(
    alive: (subject: number) => boolean,
    reaches: (from: number, to: number) => boolean,
    observing: (observer: number) => boolean,
  ): void {
    const size = this.#size;
    for (let s = 0; s < size; s++) {
      const up = alive(s);
      for (let o = 0; o < size; o++) {
        if (o === s) continue;
        const k = o * size + s;
        const truth = up && reaches(s, o) ? 1 : 0;
        if (this.#truth[k] === truth) continue;
        this.#truth[k] = truth;
        this.#gen[k] = (this.#gen[k] as number) + 1;
        if (observing(o)) this.#scheduleDetection(o, s, k);
      }
    }
  }

  /** The observer (re)starts from nothing: it believes nobody is up. */
  forget(observer: number): void {
    this.#believed.fill(0, observer * this.#size, (observer + 1) * this.#size);
  }

  /** The observer runs again (started or resumed): detect every pair it has wrong, from now. */
  catchUp(observer: number): void {
    const size = this.#size;
    for (let s = 0; s < size; s++) {
      const k = observer * size + s;
      if (s === observer || this.#truth[k] === this.#believed[k]) continue;
      this.#gen[k] = (this.#gen[k] as number) + 1;
      this.#scheduleDetection(observer, s, k);
    }
  }

  /**
   * A scheduled detection is due. Returns the observer's new `up` set (positions, ascending)
   * when its belief changed, undefined when the detection is stale or changes nothing. The
   * caller only calls it for an observer that is running.
   */
  detect(observer: number, subject: number, gen: number): number[] | undefined {
    const size = this.#size;
    const k = observer * size + subject;
    if (this.#gen[k] !== gen || this.#believed[k] === this.#truth[k]) return undefined;
    this.#believed[k] = this.#truth[k] as number;
    const up: number[] = [];
    for (let j = 0; j < size; j++) if (this.#believed[observer * size + j] === 1) up.push(j);
    return up;
  }

  #scheduleDetection(o: number, s: number, k: number): void {
    const m = this.#model;
    const delay =
      (this.#truth[k] === 1 ? m.upAfterMs : m.downAfterMs) + uniform(this.#random, [0, m.jitterMs]);
    this.#schedule(delay, o, s, this.#gen[k] as number);
  }
}
