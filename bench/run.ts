/**
 * `npm run bench`: bundle sizes and the clients they carry, cold start, per-scenario handler time, request count
 * and critical path against the local emulator, and the Lambda time spent waiting for propagation. Prints tables
 * and writes bench/results.json, local output (gitignored: docs/performance.md keeps the dated figures). Not part of
 * `npm test`: no timing here ever fails anything (exit code 0 unless the tooling itself breaks, whatever the targets
 * say); the figures that do not depend on the machine have budgets in test/bench/budgets.test.ts, which does.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { bundlePath, startLambdas, stopLambdas } from '../local/pipeline/lambda.js';
import { lambdaNode } from '../local/pipeline/runtime-node.js';
import { bundleFigures } from './bundles.js';
import { BAKE_HEADERS, bakeRows, bakeTitle, measureBake } from './bake.js';
import { EXPOSURE_MODEL, measureExposure } from './exposure.js';
import { clientOf } from './clients-used.js';
import { type ColdFigures, measureCold } from './cold-invocations.js';
import { COLD_SCENARIOS } from './cold-scenarios.js';
import { coldStarts } from './cold-start.js';
import { snapshotDist } from './dist-snapshot.js';
import { EmulatorSlot } from './emulator-slot.js';
import { measureScenario, type ScenarioFigures } from './measure.js';
import { buildNaive, NAIVE_HANDLERS, type NaiveName } from './naive/build.js';
import { measurePropagation, type PropagationFigures } from './propagation.js';
import { TIMING_MODEL, measureReleaseTimelines, type ReleaseTimeline } from './release-timeline.js';
import { exposureSection, renderTables, type Results, type Target } from './report.js';
import { FUNCTIONS, SCENARIOS, type Lambdas } from './scenarios.js';
import { markdownTable, textTable } from './table.js';
import { median, round } from './stats.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));

const SETTINGS = {
  /** Measured repetitions per scenario and latency, each on a fresh emulator (after one unrecorded warm-up run). */
  repetitions: 7,
  latenciesMs: [0, 50],
  /** Fresh processes per bundle and per unbundled import. */
  coldStartRuns: 15,
  /**
   * Propagation times for the waiting measurement: a longer one must add invocations, not handler time per
   * invocation.
   */
  propagationMs: [300, 900],
  /** Real time between a continuation and the next invocation (CodePipeline takes about a minute). */
  continuationDelayMs: 100,
  propagationRepetitions: 3,
  /** Releases per variant (with and without invalidation) under the timing model of release-timeline.ts. */
  releaseTimelineRepetitions: 3,
  /** Fresh processes per side (ours, naive), cold scenario and latency, interleaved. */
  coldInvocationRuns: 11,
  coldLatenciesMs: [0, 50],
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

/**
 * `npm run bench -- exposure`: only the exposure simulation (a second, no emulator), its table as text and as
 * Markdown for docs/performance.md. The whole bench runs it too and keeps it in results.json.
 */
function exposureOnly(): void {
  const section = exposureSection({ model: EXPOSURE_MODEL, outcomes: measureExposure() });
  console.log(`${section.title}\n${textTable(section.headers, section.rows)}\n`);
  console.log(`**${section.title}**\n\n${markdownTable(section.headers, section.rows)}`);
}

/**
 * `npm run bench -- bake`: the door back, timed (bench/bake.ts): a second, no emulator; its table as text and as
 * Markdown for docs/performance.md. Not part of the whole run: nothing in it depends on the machine.
 */
function bakeOnly(): void {
  const rows = bakeRows(measureBake());
  console.log(`${bakeTitle()}\n${textTable(BAKE_HEADERS, rows)}\n`);
  console.log(`**${bakeTitle()}**\n\n${markdownTable(BAKE_HEADERS, rows)}`);
}

async function main(): Promise<void> {
  const command = process.argv[2];
  if (command === 'exposure') return exposureOnly();
  if (command === 'bake') return bakeOnly();
  if (command !== undefined) throw new Error(`npm run bench: unknown sub-command ${command}; known: exposure, bake`);
  const source = sourceOf();
  const loadAverageBefore = loadavg().map((l) => round(l, 2));
  // The figures this run replaces: warm request counts and chains must come out the same.
  const previous = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Results) : undefined;
  const dist = await snapshotDist(`${ROOT}dist`, FUNCTIONS);
  try {
    // The naive handlers go into the same private copy, built with the functions' own options.
    const naive = await buildNaive(dist.dir);
    await measureAll(source, loadAverageBefore, dist.dir, naive, previous);
  } finally {
    dist.remove();
  }
}

async function measureAll(
  source: Results['source'],
  loadAverageBefore: number[],
  distDir: string,
  naive: Record<NaiveName, string>,
  previous: Results | undefined,
): Promise<void> {
  const slot = await EmulatorSlot.open();
  const lambdas: Lambdas = await startLambdas(slot.env, { distDir, names: FUNCTIONS });
  const scenarios: ScenarioFigures[] = [];
  const propagation: PropagationFigures[] = [];
  let releaseTimeline: ReleaseTimeline[] = [];
  const cold: ColdFigures[] = [];
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
    progress(
      `a whole release with and without the edge-cache invalidations, ${SETTINGS.releaseTimelineRepetitions} each ` +
        `(timing model: ${JSON.stringify(TIMING_MODEL)})`,
    );
    releaseTimeline = await measureReleaseTimelines(slot, lambdas, SETTINGS.releaseTimelineRepetitions);
    // Cold invocations: a fresh process per run, so the warm workers only prepare each run's world.
    for (const latencyMs of SETTINGS.coldLatenciesMs) {
      for (const scenario of COLD_SCENARIOS) {
        progress(
          `cold ${scenario.title} beside the naive handler at ${latencyMs} ms per request, ` +
            `${SETTINGS.coldInvocationRuns} fresh processes each`,
        );
        const bundles = { ours: bundlePath(scenario.function, distDir), naive: naive[scenario.naive] };
        cold.push(await measureCold(slot, lambdas, scenario, bundles, latencyMs, SETTINGS.coldInvocationRuns));
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
    figures.map((b) => ({
      function: b.function,
      bundlePath: bundlePath(b.function, distDir),
      // A function no scenario exercises is compared with the clients its bundle carries.
      clients: b.clientsUsed.length ? b.clientsUsed : Object.keys(b.clients).sort(),
    })),
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
      // The Node the Lambda workers and the cold processes ran on (the Lambda runtime's major when installed).
      lambdaNode: lambdaNode().version,
      platform: `${platform()} ${release()}`,
      loadAverageBefore,
      loadAverageAfter: loadavg().map((l) => round(l, 2)),
    },
    settings: { ...SETTINGS, propagationScenarios: PROPAGATION_SCENARIOS.join(', ') },
    bundles,
    naiveBundles: naiveBundlesOf(distDir, cold),
    scenarios,
    propagation,
    releaseTimeline,
    timingModel: TIMING_MODEL,
    cold,
    exposure: { model: EXPOSURE_MODEL, outcomes: measureExposure() },
    targets: [],
  };
  results.targets = targetsOf(results, previous);
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  console.log(renderTables(results, 'text'));
  console.log(
    `\nmachine: ${results.machine.cpus} × ${results.machine.cpuModel}, Node ${results.machine.node} ` +
      `(functions on ${results.machine.lambdaNode}); load average before ${loadAverageBefore.join(' ')}, ` +
      `after ${results.machine.loadAverageAfter.join(' ')}`,
  );
  console.log(`wrote ${RESULTS}`);
}

/** Each naive bundle beside the function it stands for, with its import time from the cold runs (both sides). */
function naiveBundlesOf(distDir: string, cold: ColdFigures[]): Results['naiveBundles'] {
  return NAIVE_HANDLERS.map((name) => {
    const { bytes, gzipBytes, clients } = bundleFigures(`naive-${name}`, distDir);
    const runs = cold.filter((c) => c.naiveHandler === name);
    const imports = (side: 'ours' | 'naive') => runs.flatMap((c) => c[side].runs.map((x) => x.importMs));
    return {
      handler: name,
      function: runs[0]?.function ?? name,
      bytes,
      gzipBytes,
      clients,
      source: `bench/naive/${name}.ts`,
      importMs: {
        ours: round(median(imports('ours'))),
        naive: round(median(imports('naive'))),
        runs: imports('ours').length,
      },
    };
  });
}

/** The issue's targets, judged on every repetition (not only the median). */
function targetsOf(r: Results, previous: Results | undefined): Target[] {
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
        ? ` — * at ${highest} ms the same requests make the minimum; here each was answered in ` +
          `~${round(median(rows.map((s) => s.requestMsMedian)), 2)} ms, before the client had sent the next of ` +
          'a parallel batch, so they did not overlap'
        : '';
    /** Critical path = minimum for `scenarios`: `ok` judges one; a miss shows its samples against the minimum. */
    const chainTarget = (
      which: string,
      scenarios: ScenarioFigures[],
      all: string,
      ok: (s: ScenarioFigures) => boolean,
      miss: (s: ScenarioFigures) => { samples: number[]; minimum: number | string | undefined; unexplained: string },
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
    const later = rows.filter((s) => s.followUps.minima);
    targets.push(
      chainTarget(
        'later invocations',
        later,
        `all ${later.length} scenarios with continuations`,
        (s) =>
          s.followUps.criticalPath.every(
            (c, i) => c === s.followUps.minima?.[s.followUps.index[i] ?? -1]?.criticalPath,
          ),
        (s) => ({
          samples: s.followUps.criticalPath,
          minimum: s.followUps.minima?.map((m) => m.criticalPath).join('/'),
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
  // A function no scenario exercises (the watch) has no "used" to compare with: it is named, not judged.
  const exercised = r.bundles.filter((b) => SCENARIOS.some((s) => s.function === b.function));
  const unexercised = r.bundles.filter((b) => !exercised.includes(b)).map((b) => b.function);
  const extra = exercised.filter((b) => Object.keys(b.clients).sort().join() !== b.clientsUsed.join());
  const notJudged = unexercised.length ? ` (not exercised by any scenario: ${unexercised.join(', ')})` : '';
  targets.push({
    name: 'each bundle carries only the clients it uses',
    met: extra.length === 0,
    detail:
      (extra.length
        ? extra
            .map(
              (b) =>
                `${b.function} carries ${Object.keys(b.clients).sort().join(', ')}, uses ${b.clientsUsed.join(', ')}`,
            )
            .join('; ')
        : exercised
            .map((b) => `${b.function}: ${b.clientsUsed.map((c) => c.replace('client-', '')).join('+')}`)
            .join('; ')) + notJudged,
  });
  const slower = r.bundles.filter((b) => b.coldStart.bundleMedianMs > b.coldStart.unbundledMedianMs);
  targets.push({
    name: 'cold start no worse than the unbundled import',
    met: slower.length === 0,
    detail: r.bundles
      .map((b) => `${b.function} ${b.coldStart.bundleMedianMs} vs ${b.coldStart.unbundledMedianMs} ms`)
      .join('; '),
  });
  targets.push(...coldTargets(r), warmUnchanged(r, previous));
  return targets;
}

/** Issue 18's cold targets, as ratios of medians measured in this run (ours / naive). */
function coldTargets(r: Results): Target[] {
  const at = (id: string) => r.cold.find((c) => c.id === id && c.latencyMs === 50);
  const ratioTarget = (id: string, limit: number, rounds?: number): Target => {
    const c = at(id);
    if (!c) return { name: `cold ${id}`, met: false, detail: 'not measured' };
    const roundsOk = rounds === undefined || c.ours.rounds.max <= rounds;
    const roundsText = rounds === undefined ? '' : `, ${c.ours.rounds.max} rounds (${rounds} wanted)`;
    return {
      name: `cold ${c.title}: ≤ ${limit}× the naive handler at 50 ms${rounds ? `, in ${rounds} rounds` : ''}`,
      met: c.ratio.totalMs <= limit && roundsOk,
      detail:
        `import + first invocation ${c.ours.totalMs} vs ${c.naive.totalMs} ms = ${c.ratio.totalMs}×; ` +
        `first invocation alone ${c.ours.invokeMs} vs ${c.naive.invokeMs} ms = ${c.ratio.invokeMs}×${roundsText}`,
    };
  };
  const byFunction = (f: (b: Results['naiveBundles'][number], ours: Results['bundles'][number]) => [number, number]) =>
    r.naiveBundles.flatMap((n) => {
      const ours = r.bundles.find((b) => b.function === n.function);
      return ours ? [{ name: n.function, ratio: round(f(n, ours)[0] / f(n, ours)[1], 2), values: f(n, ours) }] : [];
    });
  const imports = byFunction((n) => [n.importMs.ours, n.importMs.naive]);
  const sizes = byFunction((n, ours) => [ours.bytes, n.bytes]);
  const kib = (b: number) => `${round(b / 1024)} KiB`;
  return [
    ratioTarget('enable-cd-rerun', 0.5),
    ratioTarget('promote', 0.75, 3),
    {
      name: 'cold: bundle import ≤ 0.5× the naive handler’s',
      met: imports.every((i) => i.ratio <= 0.5),
      detail: imports.map((i) => `${i.name} ${i.values[0]} vs ${i.values[1]} ms = ${i.ratio}×`).join('; '),
    },
    {
      name: 'cold: bundle size ≤ 0.6× the naive handler’s',
      met: sizes.every((i) => i.ratio <= 0.6),
      detail: sizes.map((i) => `${i.name} ${kib(i.values[0])} vs ${kib(i.values[1])} = ${i.ratio}×`).join('; '),
    },
  ];
}

/** Warm requests and chains must come out as in the results.json this run replaces. */
function warmUnchanged(r: Results, previous: Results | undefined): Target {
  const name = 'warm: requests and chains as in the previous bench/results.json';
  if (!previous) return { name, met: true, detail: 'no previous results to compare with' };
  const changed: string[] = [];
  let compared = 0;
  for (const s of r.scenarios) {
    const before = previous.scenarios.find((p) => p.id === s.id && p.latencyMs === s.latencyMs);
    if (!before) continue;
    compared++;
    const figures = (x: ScenarioFigures) => ({
      requests: x.requests.median,
      // At 0 ms chains are an artifact of answer speed (see the footnote above); only requests are compared there.
      ...(x.latencyMs > 0
        ? { chain: x.criticalPath.max, later: [...new Set(x.followUps.criticalPath)].join('/') }
        : {}),
      laterRequests: [...new Set(x.followUps.requests)].join('/'),
    });
    const [a, b] = [figures(before), figures(s)];
    if (JSON.stringify(a) !== JSON.stringify(b))
      changed.push(`${s.title} at ${s.latencyMs} ms: ${JSON.stringify(a)} → ${JSON.stringify(b)}`);
  }
  return {
    name,
    met: changed.length === 0,
    detail: changed.length
      ? changed.join('; ')
      : `${compared} scenario rows compared with the run of ${previous.generatedAt} ` +
        `(commit ${previous.source.commit.slice(0, 7)})`,
  };
}

await main();
