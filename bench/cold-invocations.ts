/**
 * Cold invocations, side by side with the naive handlers (bench/naive/): what a new Lambda execution environment pays
 * for its first invocation. Each run is a fresh `node` process (bench/cold-child.mjs) that imports one bundle and
 * calls its handler once against the emulator, on a world prepared afresh for that run. Ours and the naive handler
 * alternate run by run (which goes first alternates too), so drift in machine load favours neither.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Emulator, RequestLogEntry } from '../local/emulator/index.js';
import { codePipelineEvent } from '../local/pipeline/local-codepipeline.js';
import { lambdaNode } from '../local/pipeline/runtime-node.js';
import { coveredMs, criticalPath } from './critical-path.js';
import type { EmulatorSlot } from './emulator-slot.js';
import { operationsOf } from './measure.js';
import type { NaiveName } from './naive/build.js';
import { type Lambdas, isWrite } from './scenarios.js';
import { median, round } from './stats.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./cold-child.mjs', import.meta.url));
const MARK = '__cold_invocation__';

export type Side = 'ours' | 'naive';

export interface ColdScenario {
  id: string;
  title: string;
  /** Our function (functions/<name>) and the naive handler it is compared with (bench/naive/<name>.ts). */
  function: string;
  naive: NaiveName;
  /** The fewest request rounds each side can make, and how; ours is what our code must reach. */
  rounds: Record<Side, { minimum: number; why: string }>;
  /** Builds the starting state on a fresh emulator (at 0 ms, settled); returns each side's UserParameters. */
  prepare(emulator: Emulator, lambdas: Lambdas): Promise<Record<Side, string>>;
}

/** What bench/cold-child.mjs reports for one run. */
interface ChildReply {
  importMs: number;
  invokeMs: number;
  importCpuMs: number;
  invokeCpuMs: number;
  /** process.hrtime at the start and end of the import, in µs (split a --cpu-prof profile into its phases). */
  importStartedAtUs: number;
  importedAtUs: number;
  /** performance.timeOrigin + now() at the start of the invocation (lines it up with the emulator's clock). */
  invokeStartEpochMs: number;
  error?: { name: string; message: string };
}

export interface ColdRun extends ChildReply {
  totalMs: number;
  /** Time of the invocation when no request was in flight: the handler's and the SDK's CPU, and loopback hops. */
  notCoveredMs: number;
  /** When the first request reached the emulator, from the start of the invocation. */
  firstRequestMs: number;
  requests: number;
  writes: number;
  rounds: number;
  operations: string[];
  /** Each request's span in ms from the start of the invocation (the emulator's clock lined up with the child's). */
  timeline: { operation: string; startMs: number; endMs: number }[];
}

/** The variables a fresh process gets: the emulator's, and no shared AWS config or credentials file (as on Lambda). */
function childEnv(env: Record<string, string>, functionName: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    ...env,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_CONFIG_FILE: '/nonexistent/aws/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws/credentials',
  };
}

/** One cold run: a fresh process imports `bundle` and invokes it once with a CodePipeline job event. */
async function coldRun(
  emulator: Emulator,
  env: Record<string, string>,
  bundle: string,
  functionName: string,
  userParameters: string,
  extraArgs: readonly string[],
): Promise<ColdRun> {
  const jobId = randomUUID();
  const event = codePipelineEvent(jobId, functionName, userParameters);
  emulator.clearRequestLog();
  const { stdout } = await run(lambdaNode().path, [...extraArgs, CHILD, bundle, JSON.stringify(event), functionName], {
    env: childEnv(env, functionName),
    maxBuffer: 64 * 1024 * 1024,
  });
  const requests: RequestLogEntry[] = emulator.requestLog();
  const line = stdout.split('\n').find((l) => l.startsWith(MARK));
  if (!line) throw new Error(`cold ${functionName} (${bundle}) printed no result`);
  const reply = JSON.parse(line.slice(MARK.length)) as ChildReply;
  if (reply.error) throw new Error(`cold ${functionName} failed: ${reply.error.name}: ${reply.error.message}`);
  const reports = emulator.jobResults(jobId);
  if (reports.length !== 1 || reports[0]?.kind !== 'success')
    throw new Error(`cold ${functionName} (${bundle}): job reported ${JSON.stringify(reports)}, expected one success`);
  const timeline = [...requests]
    .sort((a, b) => a.startMs - b.startMs)
    .map((r) => ({
      operation: r.operation,
      startMs: round(r.startMs + performance.timeOrigin - reply.invokeStartEpochMs, 2),
      endMs: round(r.endMs + performance.timeOrigin - reply.invokeStartEpochMs, 2),
    }));
  return {
    ...reply,
    totalMs: reply.importMs + reply.invokeMs,
    notCoveredMs: reply.invokeMs - coveredMs(requests),
    firstRequestMs: timeline[0]?.startMs ?? reply.invokeMs,
    requests: requests.length,
    writes: requests.filter((r) => isWrite(r.operation)).length,
    rounds: criticalPath(requests).length,
    operations: operationsOf(requests),
    timeline,
  };
}

export interface ColdSideFigures {
  /** What ran: our built bundle, or the naive handler built with the same options. */
  bundle: string;
  /** Medians over the runs; every run's figure is in `runs`. */
  importMs: number;
  invokeMs: number;
  totalMs: number;
  importCpuMs: number;
  invokeCpuMs: number;
  notCoveredMs: number;
  firstRequestMs: number;
  requests: number;
  writes: number;
  rounds: { median: number; max: number; minimum: number; why: string };
  operations: string[];
  /** Every run, without the clocks that only line up a profile or the request log. */
  runs: Omit<ColdRun, 'importStartedAtUs' | 'importedAtUs' | 'invokeStartEpochMs'>[];
}

export interface ColdFigures {
  id: string;
  title: string;
  function: string;
  /** The naive handler beside it: bench/naive/<naiveHandler>.ts. */
  naiveHandler: string;
  latencyMs: number;
  samples: number;
  ours: ColdSideFigures;
  naive: ColdSideFigures;
  /** ours / naive, of the medians. */
  ratio: { importMs: number; invokeMs: number; totalMs: number; invokeCpuMs: number };
}

function sideFigures(bundle: string, runs: ColdRun[], rounds: { minimum: number; why: string }): ColdSideFigures {
  const m = (f: (r: ColdRun) => number) => round(median(runs.map(f)));
  return {
    bundle,
    importMs: m((r) => r.importMs),
    invokeMs: m((r) => r.invokeMs),
    totalMs: m((r) => r.totalMs),
    importCpuMs: m((r) => r.importCpuMs),
    invokeCpuMs: m((r) => r.invokeCpuMs),
    notCoveredMs: m((r) => r.notCoveredMs),
    firstRequestMs: m((r) => r.firstRequestMs),
    requests: median(runs.map((r) => r.requests)),
    writes: median(runs.map((r) => r.writes)),
    rounds: { median: median(runs.map((r) => r.rounds)), max: Math.max(...runs.map((r) => r.rounds)), ...rounds },
    operations: runs[0]?.operations ?? [],
    runs: runs.map(({ importStartedAtUs: _start, importedAtUs: _end, invokeStartEpochMs: _epoch, ...r }) => ({
      ...r,
      importMs: round(r.importMs),
      invokeMs: round(r.invokeMs),
      totalMs: round(r.totalMs),
      importCpuMs: round(r.importCpuMs),
      invokeCpuMs: round(r.invokeCpuMs),
      notCoveredMs: round(r.notCoveredMs),
      firstRequestMs: round(r.firstRequestMs),
    })),
  };
}

/**
 * `samples` cold runs of each side of `scenario` at `latencyMs` per AWS request, interleaved: run i does ours then
 * naive when i is even, naive then ours when odd. Each run gets a freshly prepared world.
 */
export async function measureCold(
  slot: EmulatorSlot,
  lambdas: Lambdas,
  scenario: ColdScenario,
  bundles: Record<Side, string>,
  latencyMs: number,
  samples: number,
): Promise<ColdFigures> {
  const runs: Record<Side, ColdRun[]> = { ours: [], naive: [] };
  const once = async (side: Side) => {
    const emulator = await slot.fresh();
    const params = await scenario.prepare(emulator, lambdas);
    emulator.setLatencyMs(latencyMs);
    const name = side === 'ours' ? scenario.function : `naive-${scenario.naive}`;
    runs[side].push(await coldRun(emulator, slot.env, bundles[side], name, params[side], []));
  };
  for (let i = 0; i < samples; i++) {
    for (const side of (i % 2 ? ['naive', 'ours'] : ['ours', 'naive']) as Side[]) await once(side);
  }
  const ours = sideFigures(`dist/${scenario.function}/index.mjs`, runs.ours, scenario.rounds.ours);
  const naive = sideFigures(`bench/naive/${scenario.naive}.ts, bundled`, runs.naive, scenario.rounds.naive);
  const ratio = (f: (s: ColdSideFigures) => number) => round(f(ours) / f(naive), 2);
  return {
    id: scenario.id,
    title: scenario.title,
    function: scenario.function,
    naiveHandler: scenario.naive,
    latencyMs,
    samples,
    ours,
    naive,
    ratio: {
      importMs: ratio((s) => s.importMs),
      invokeMs: ratio((s) => s.invokeMs),
      totalMs: ratio((s) => s.totalMs),
      invokeCpuMs: ratio((s) => s.invokeCpuMs),
    },
  };
}

/**
 * One cold run with extra `node` flags (e.g. `--cpu-prof`), for profiling: the same process, world and event as a
 * measured run.
 */
export async function coldRunWith(
  slot: EmulatorSlot,
  lambdas: Lambdas,
  scenario: ColdScenario,
  side: Side,
  bundle: string,
  latencyMs: number,
  nodeFlags: readonly string[],
): Promise<ColdRun> {
  const emulator = await slot.fresh();
  const params = await scenario.prepare(emulator, lambdas);
  emulator.setLatencyMs(latencyMs);
  const name = side === 'ours' ? scenario.function : `naive-${scenario.naive}`;
  return coldRun(emulator, slot.env, bundle, name, params[side], nodeFlags);
}
