/**
 * The critical path of one invocation's AWS requests, read off their timing alone: request B "had to wait for" A
 * when B started at or after A ended. That relation is an interval order, so the longest chain in it is a longest
 * path in a DAG, found here by dynamic programming over the requests sorted by start time.
 *
 * It measures what happened, not what the code intended: two requests issued together but served so fast that the
 * second arrived after the first was answered count as a chain (see the 0 ms rows in docs/performance.md).
 */

/** One request's time span, in any one clock (the emulator's performance.now()). */
export interface Interval {
  startMs: number;
  endMs: number;
}

export interface CriticalPath<T extends Interval> {
  /** Number of requests on the longest chain; 0 for no requests. */
  length: number;
  /** The requests on one longest chain, in time order. */
  chain: T[];
}

/**
 * The longest chain of requests that waited for each other (B after A when `B.startMs >= A.endMs`).
 * Ties between identical zero-length spans are broken by input order, so the relation stays acyclic.
 */
export function criticalPath<T extends Interval>(intervals: readonly T[]): CriticalPath<T> {
  const sorted = intervals
    .map((interval, index) => ({ interval, index }))
    .sort(
      (a, b) => a.interval.startMs - b.interval.startMs || a.interval.endMs - b.interval.endMs || a.index - b.index,
    );
  const longest: number[] = [];
  const previous: (number | undefined)[] = [];
  for (let i = 0; i < sorted.length; i++) {
    longest[i] = 1;
    previous[i] = undefined;
    // Anything that ended by i's start started no later than it, so it sorts before i: scanning j < i is enough.
    for (let j = 0; j < i; j++) {
      if (sorted[j]!.interval.endMs <= sorted[i]!.interval.startMs && longest[j]! + 1 > longest[i]!) {
        longest[i] = longest[j]! + 1;
        previous[i] = j;
      }
    }
  }
  let end: number | undefined;
  for (let i = 0; i < sorted.length; i++) if (end === undefined || longest[i]! > longest[end]!) end = i;
  const chain: T[] = [];
  for (let i = end; i !== undefined; i = previous[i]) chain.unshift(sorted[i]!.interval);
  return { length: chain.length, chain };
}

/** Total time covered by at least one of the intervals (overlaps counted once). */
export function coveredMs(intervals: readonly Interval[]): number {
  const sorted = [...intervals].sort((a, b) => a.startMs - b.startMs);
  let total = 0;
  let run: Interval | undefined;
  for (const { startMs, endMs } of sorted) {
    if (run && startMs <= run.endMs) {
      run.endMs = Math.max(run.endMs, endMs);
      continue;
    }
    if (run) total += run.endMs - run.startMs;
    run = { startMs, endMs };
  }
  return run ? total + run.endMs - run.startMs : total;
}
