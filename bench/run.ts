/**
 * `npm run bench`: bundle sizes and the clients they carry, cold start, per-scenario handler time, request count
 * and critical path against the local emulator, and the Lambda time spent waiting for propagation. Prints tables
 * and writes bench/results.json. Not part of `npm test`: no timing here ever fails anything (exit code 0 unless the
 * tooling itself breaks, whatever the targets say).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { bundlePath, startLambdas, stopLambdas } from '../local/pipeline/lambda.js';
import { bundleFigures } from './bundles.js';
import { clientOf } from './clients-used.js';
import { coldStarts } from './cold-start.js';
import { snapshotDist } from './dist-snapshot.js';
import { EmulatorSlot } from './emulator-slot.js';
import { measureScenario, type ScenarioFigures } from './measure.js';
import { measurePropagation, type PropagationFigures } from './propagation.js';
import { renderTables, type Results, type Target } from './report.js';
import { FUNCTIONS, SCENARIOS, type Lambdas } from './scenarios.js';
import { median, round } from './stats.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));

const SETTINGS = {
  /** Measured repetitions per scenario and latency, each on a fresh emulator (after one unrecorded warm-up run). */
  repetitions: 7,
  latenciesMs: [0, 50],
  /** Fresh processes per bundle and per unbundled import. */
  coldStartRuns: 15,
  /** Propagation times for the waiting measurement: a longer one must add invocations, not handler time per invocation. */
  propagationMs: [300, 900],
  /** Real time between a continuation and the next invocation (CodePipeline takes about a minute). */
  continuationDelayMs: 100,
  propagationRepetitions: 3,
};
const PROPAGATION_SCENARIOS = ['enable-cd-first-run', 'promote'];

const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);

/** What the bundles were built from: other people edit the tree while the bench runs. */
function sourceOf(): Results['source'] {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  const uncommitted = git(
    'status',
    '--porcelain',
    '--',
    'functions',
    'shared',
    'esbuild.config.mjs',
    'package.json',
    'package-lock.json',
  );
  return { commit: git('rev-parse', 'HEAD'), uncommitted: uncommitted ? uncommitted.split('\n') : [] };
}

async function main(): Promise<void> {
  const source = sourceOf();
  const loadAverageBefore = loadavg().map((l) => round(l, 2));
  const dist = await snapshotDist(`${ROOT}dist`, FUNCTIONS);
  try {
    await measureAll(source, loadAverageBefore, dist.dir);
  } finally {
    dist.remove();
  }
}

async function measureAll(source: Results['source'], loadAverageBefore: number[], distDir: string): Promise<void> {
  const slot = await EmulatorSlot.open();
  const lambdas: Lambdas = await startLambdas(slot.env, { distDir, names: FUNCTIONS });
  const scenarios: ScenarioFigures[] = [];
  const propagation: PropagationFigures[] = [];
  const used = new Map<string, Set<string>>(FUNCTIONS.map((f) => [f, new Set<string>()]));
  try {
    progress('warming the workers (one unrecorded run of each scenario)');
    for (const scenario of SCENARIOS) await measureScenario(slot, lambdas, scenario, 0, 1);
    for (const latencyMs of SETTINGS.latenciesMs) {
      for (const scenario of SCENARIOS) {
        progress(`${scenario.title} at ${latencyMs} ms per request, ${SETTINGS.repetitions} runs`);
        const { figures, invocations } = await measureScenario(
          slot,
          lambdas,
          scenario,
          latencyMs,
          SETTINGS.repetitions,
        );
        scenarios.push(figures);
        for (const i of invocations)
          for (const r of i.requests) used.get(scenario.function)!.add(clientOf(r.operation));
      }
    }
    for (const latencyMs of SETTINGS.latenciesMs) {
      for (const propagationMs of SETTINGS.propagationMs) {
        for (const id of PROPAGATION_SCENARIOS) {
          const scenario = SCENARIOS.find((s) => s.id === id)!;
          progress(`${scenario.title} through continuations, propagation ${propagationMs} ms, latency ${latencyMs} ms`);
          const opts = {
            latencyMs,
            propagationMs,
            continuationDelayMs: SETTINGS.continuationDelayMs,
            repetitions: SETTINGS.propagationRepetitions,
          };
          propagation.push(await measurePropagation(slot, lambdas, scenario, opts));
        }
      }
    }
  } finally {
    await stopLambdas(lambdas);
    await slot.close();
  }

  // Cold starts last, with the workers and the emulator gone, one process at a time.
  progress(`cold starts: ${SETTINGS.coldStartRuns} fresh processes per bundle and per unbundled import`);
  const figures = FUNCTIONS.map((f) => ({ ...bundleFigures(f, distDir), clientsUsed: [...used.get(f)!].sort() }));
  const samples = await coldStarts(
    figures.map((b) => ({ function: b.function, bundlePath: bundlePath(b.function, distDir), clients: b.clientsUsed })),
    SETTINGS.coldStartRuns,
    ROOT,
  );
  const bundles = figures.map((b, k) => {
    const s = samples[k]!;
    return {
      ...b,
      coldStart: {
        runs: SETTINGS.coldStartRuns,
        bundleMedianMs: round(median(s.bundleMs)),
        unbundledMedianMs: round(median(s.unbundledMs)),
        unbundled: s.unbundled,
        bundleMs: s.bundleMs.map((v) => round(v)),
        unbundledMs: s.unbundledMs.map((v) => round(v)),
      },
    };
  });

  const results: Results = {
    command: 'npm run bench',
    generatedAt: new Date().toISOString(),
    source,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${platform()} ${release()}`,
      loadAverageBefore,
      loadAverageAfter: loadavg().map((l) => round(l, 2)),
    },
    settings: { ...SETTINGS, propagationScenarios: PROPAGATION_SCENARIOS.join(', ') },
    bundles,
    scenarios,
    propagation,
    targets: [],
  };
  results.targets = targetsOf(results);
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  console.log(renderTables(results, 'text'));
  console.log(
    `\nmachine: ${results.machine.cpus} × ${results.machine.cpuModel}, Node ${results.machine.node}; load average before ${loadAverageBefore.join(' ')}, after ${results.machine.loadAverageAfter.join(' ')}`,
  );
  console.log(`wrote ${RESULTS}`);
}

/** The targets, judged on every repetition (not only the median). */
function targetsOf(r: Results): Target[] {
  const targets: Target[] = [];
  const highest = Math.max(...SETTINGS.latenciesMs);
  for (const latencyMs of SETTINGS.latenciesMs) {
    const rows = r.scenarios.filter((s) => s.latencyMs === latencyMs);
    // Same code, same requests: when they make the minimum chain at the highest latency, the extra links at a lower
    // one are requests sent together that the emulator answered before the next of the batch arrived.
    const artifact = (s: ScenarioFigures, ok: (x: ScenarioFigures) => boolean) => {
      const slow = r.scenarios.find((x) => x.id === s.id && x.latencyMs === highest);
      return latencyMs < highest && slow !== undefined && ok(slow);
    };
    const footnote = (n: number) =>
      n
        ? ` — * at ${highest} ms the same requests make the minimum; here each was answered in ~${round(median(rows.map((s) => s.requestMsMedian)), 2)} ms, before the client had sent the next of a parallel batch, so they did not overlap`
        : '';
    /** Critical path = minimum for `scenarios`: `ok` judges one; a miss shows its samples against the minimum. */
    const chainTarget = (
      which: string,
      scenarios: ScenarioFigures[],
      all: string,
      ok: (s: ScenarioFigures) => boolean,
      miss: (s: ScenarioFigures) => { samples: number[]; minimum: number | undefined; unexplained: string },
    ): Target => {
      const missed = scenarios.filter((s) => !ok(s));
      const starred = missed.filter((s) => artifact(s, ok)).length;
      const describe = (s: ScenarioFigures) => {
        const { samples, minimum, unexplained } = miss(s);
        return `${s.title}: ${[...new Set(samples)].join('/')} vs ${minimum}${artifact(s, ok) ? '*' : unexplained}`;
      };
      return {
        name: `critical path = minimum, ${which} (${latencyMs} ms per request)`,
        met: missed.length === 0,
        detail: missed.length ? missed.map(describe).join('; ') + footnote(starred) : all,
      };
    };
    targets.push(
      chainTarget(
        'first invocation',
        rows,
        `all ${rows.length} scenarios, every repetition`,
        (s) => s.criticalPath.max === s.minimum.criticalPath,
        (s) => ({ samples: s.criticalPath.samples, minimum: s.minimum.criticalPath, unexplained: '' }),
      ),
    );
    const later = rows.filter((s) => s.followUps.minimum);
    targets.push(
      chainTarget(
        'later invocations',
        later,
        `all ${later.length} scenarios with continuations`,
        (s) => s.followUps.criticalPath.every((c) => c === s.followUps.minimum?.criticalPath),
        (s) => ({
          samples: s.followUps.criticalPath,
          minimum: s.followUps.minimum?.criticalPath,
          unexplained: ` (${s.followUps.chain})`,
        }),
      ),
    );
  }
  const noOps = r.scenarios.filter((s) => SCENARIOS.find((x) => x.id === s.id)?.noWrites);
  const wrote = noOps.filter((s) => s.writes.samples.some((w) => w > 0));
  targets.push({
    name: 'no-op enable-CD makes no write',
    met: wrote.length === 0,
    detail: wrote.length
      ? wrote.map((s) => `${s.latencyMs} ms: writes ${s.writes.samples.join('/')}`).join('; ')
      : `0 writes in ${noOps.reduce((n, s) => n + s.repetitions, 0)} re-runs`,
  });
  const extra = r.bundles.filter((b) => Object.keys(b.clients).sort().join() !== b.clientsUsed.join());
  targets.push({
    name: 'each bundle carries only the clients it uses',
    met: extra.length === 0,
    detail: extra.length
      ? extra
          .map(
            (b) =>
              `${b.function} carries ${Object.keys(b.clients).sort().join(', ')}, uses ${b.clientsUsed.join(', ')}`,
          )
          .join('; ')
      : r.bundles
          .map((b) => `${b.function}: ${b.clientsUsed.map((c) => c.replace('client-', '')).join('+')}`)
          .join('; '),
  });
  const slower = r.bundles.filter((b) => b.coldStart.bundleMedianMs > b.coldStart.unbundledMedianMs);
  targets.push({
    name: 'cold start no worse than the unbundled import',
    met: slower.length === 0,
    detail: r.bundles
      .map((b) => `${b.function} ${b.coldStart.bundleMedianMs} vs ${b.coldStart.unbundledMedianMs} ms`)
      .join('; '),
  });
  return targets;
}

await main();
