/**
 * Runs each scenario several times, each on a fresh emulator with warm workers, and reduces the first invocation of
 * each run (the one that does the work) to the figures the report shows. The job is then re-invoked with
 * every distribution settled between invocations until it completes, to count the invocations it takes.
 */
import type { RequestLogEntry } from '../local/emulator/index.js';
import { lambdaNamed } from '../local/pipeline/lambda.js';
import { criticalPath } from './critical-path.js';
import type { EmulatorSlot } from './emulator-slot.js';
import { invokeMeasured, runJob, type MeasuredInvocation } from './invocations.js';
import { isWrite, type Lambdas, type Minimum, type Scenario } from './scenarios.js';
import { median, round } from './stats.js';

export interface ScenarioFigures {
  id: string;
  title: string;
  function: string;
  latencyMs: number;
  repetitions: number;
  minimum: Scenario['minimum'];
  /** Medians over the repetitions, and every sample, of the first invocation. */
  handlerMs: { median: number; samples: number[] };
  requests: { median: number; samples: number[] };
  writes: { median: number; samples: number[] };
  criticalPath: { median: number; max: number; samples: number[]; chain: string };
  /** Invocations until the job reported without a continuation token, distributions settled in between. */
  invocationsToComplete: number[];
  /** Requests and critical path of the later invocations (they only re-read and report). */
  followUps: {
    /** The minimum of each later invocation of the job, in order (the second invocation's first). */
    minima: Minimum[] | null;
    requests: number[];
    criticalPath: number[];
    /** Which later invocation of its job each sample is (0: the second invocation), for `minima`. */
    index: number[];
    chain: string;
  };
  /** Median time the emulator took per request of the first invocation, latency included. */
  requestMsMedian: number;
  /** The first invocation's requests in start order, from the first repetition. */
  operations: string[];
}

/** The operations of one invocation, in the order they started. */
export const operationsOf = (requests: RequestLogEntry[]) =>
  [...requests].sort((a, b) => a.startMs - b.startMs).map((r) => r.operation);

const chainOf = (requests: RequestLogEntry[]) => requests.map((r) => r.operation).join(' → ');

function mostCommon(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
}

/** Runs `scenario` `repetitions` times at `latencyMs` per AWS request. */
export async function measureScenario(
  slot: EmulatorSlot,
  lambdas: Lambdas,
  scenario: Scenario,
  latencyMs: number,
  repetitions: number,
): Promise<{ figures: ScenarioFigures; invocations: MeasuredInvocation[] }> {
  const runs: MeasuredInvocation[][] = [];
  for (let rep = 0; rep < repetitions; rep++) {
    const emulator = await slot.fresh();
    const trigger = await scenario.prepare(emulator, lambdas);
    emulator.setLatencyMs(latencyMs);
    const lambda = lambdaNamed(lambdas, scenario.function);
    runs.push(
      'event' in trigger
        ? [await invokeMeasured(lambda, emulator, trigger.event)]
        : await runJob(lambda, emulator, trigger.userParameters, { between: { settle: true } }),
    );
    await scenario.verify?.(emulator);
  }
  const firsts = runs.map((r) => r[0]!);
  const paths = firsts.map((i) => criticalPath(i.requests));
  const followUps = runs.flatMap((r) => r.slice(1));
  const followUpIndex = runs.flatMap((r) => r.slice(1).map((_, k) => k));
  const lengths = paths.map((p) => p.length);
  const figures: ScenarioFigures = {
    id: scenario.id,
    title: scenario.title,
    function: scenario.function,
    latencyMs,
    repetitions,
    minimum: scenario.minimum,
    handlerMs: {
      median: round(median(firsts.map((i) => i.handlerMs))),
      samples: firsts.map((i) => round(i.handlerMs)),
    },
    requests: { median: median(firsts.map((i) => i.requests.length)), samples: firsts.map((i) => i.requests.length) },
    writes: {
      median: median(firsts.map((i) => i.requests.filter((r) => isWrite(r.operation)).length)),
      samples: firsts.map((i) => i.requests.filter((r) => isWrite(r.operation)).length),
    },
    criticalPath: {
      median: median(lengths),
      max: Math.max(...lengths),
      samples: lengths,
      chain: mostCommon(paths.map((p) => chainOf(p.chain))),
    },
    invocationsToComplete: runs.map((r) => r.length),
    followUps: {
      minima: scenario.followUpMinima ?? null,
      requests: followUps.map((i) => i.requests.length),
      criticalPath: followUps.map((i) => criticalPath(i.requests).length),
      index: followUpIndex,
      chain: mostCommon(followUps.map((i) => chainOf(criticalPath(i.requests).chain))),
    },
    requestMsMedian: round(median(firsts.flatMap((i) => i.requests.map((r) => r.endMs - r.startMs))), 2),
    operations: operationsOf(firsts[0]!.requests),
  };
  return { figures, invocations: runs.flat() };
}
