/**
 * How much Lambda time a job spends waiting for CloudFront to propagate. With a non-zero propagation time a job is
 * run to completion through continuations (real time passes between invocations, as CodePipeline's re-invocation
 * delay does), and each invocation's handler time is split into time covered by its AWS requests (as the emulator
 * saw them, overlaps counted once) and the rest.
 *
 * What "the rest" is: the handler's own CPU (parsing, planning, logging, continuation token), the SDK's (building,
 * signing and parsing requests) and the loopback hop each way. It is an upper bound on idle waiting inside the
 * handler; a sleep or polling loop would show here as time growing with the propagation time.
 */
import { lambdaNamed } from '../local/pipeline/lambda.js';
import { coveredMs } from './critical-path.js';
import type { EmulatorSlot } from './emulator-slot.js';
import { runJob } from './invocations.js';
import type { Lambdas, Scenario } from './scenarios.js';
import { median, round } from './stats.js';

export interface PropagationFigures {
  id: string;
  title: string;
  latencyMs: number;
  propagationMs: number;
  continuationDelayMs: number;
  repetitions: number;
  /** Medians over the repetitions of per-job totals. */
  invocations: number;
  jobWallMs: number;
  handlerMsTotal: number;
  coveredByRequestsMs: number;
  notCoveredMs: number;
  /** The median over all invocations of one invocation's time not covered by requests. */
  notCoveredPerInvocationMs: number;
}

export async function measurePropagation(
  slot: EmulatorSlot,
  lambdas: Lambdas,
  scenario: Scenario,
  opts: { latencyMs: number; propagationMs: number; continuationDelayMs: number; repetitions: number },
): Promise<PropagationFigures> {
  const jobs: { wall: number; handler: number; covered: number; invocations: number }[] = [];
  const perInvocation: number[] = [];
  for (let rep = 0; rep < opts.repetitions; rep++) {
    const emulator = await slot.fresh();
    const trigger = await scenario.prepare(emulator, lambdas);
    if (!('userParameters' in trigger))
      throw new Error(`${scenario.id} is not a CodePipeline job: nothing to continue`);
    emulator.setPropagationMs(opts.propagationMs);
    emulator.setLatencyMs(opts.latencyMs);
    const started = performance.now();
    const invocations = await runJob(lambdaNamed(lambdas, scenario.function), emulator, trigger.userParameters, {
      between: { delayMs: opts.continuationDelayMs },
    });
    const wall = performance.now() - started;
    const covered = invocations.map((i) => coveredMs(i.requests));
    for (const [k, i] of invocations.entries()) perInvocation.push(i.handlerMs - covered[k]!);
    jobs.push({
      wall,
      handler: invocations.reduce((s, i) => s + i.handlerMs, 0),
      covered: covered.reduce((s, c) => s + c, 0),
      invocations: invocations.length,
    });
  }
  const handler = median(jobs.map((j) => j.handler));
  const covered = median(jobs.map((j) => j.covered));
  return {
    id: scenario.id,
    title: scenario.title,
    latencyMs: opts.latencyMs,
    propagationMs: opts.propagationMs,
    continuationDelayMs: opts.continuationDelayMs,
    repetitions: opts.repetitions,
    invocations: median(jobs.map((j) => j.invocations)),
    jobWallMs: round(median(jobs.map((j) => j.wall))),
    handlerMsTotal: round(handler),
    coveredByRequestsMs: round(covered),
    notCoveredMs: round(median(jobs.map((j) => j.handler - j.covered))),
    notCoveredPerInvocationMs: round(median(perInvocation)),
  };
}
