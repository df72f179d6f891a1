/** The bench's results file and the tables made from it (terminal and Markdown). */
import type { ColdFigures, ColdSideFigures } from './cold-invocations.js';
import { EXPOSURE_HEADERS, type ExposureModel, type ExposureOutcome, exposureRows } from './exposure.js';
import type { PropagationFigures } from './propagation.js';
import type { ReleaseTimeline, TIMING_MODEL } from './release-timeline.js';
import { round } from './stats.js';
import type { ScenarioFigures } from './measure.js';
import { markdownTable, textTable, type Row } from './table.js';

export interface Target {
  name: string;
  met: boolean;
  detail: string;
}

export interface Results {
  command: string;
  generatedAt: string;
  /** The commit the bundles were built from, and any uncommitted change to what goes into them. */
  source: { commit: string; uncommitted: string[] };
  machine: {
    cpus: number;
    cpuModel: string;
    node: string;
    /** The Node the functions ran on (local/pipeline/runtime-node.ts); older results do not have it. */
    lambdaNode?: string;
    platform: string;
    loadAverageBefore: number[];
    loadAverageAfter: number[];
  };
  settings: Record<string, number | number[] | string>;
  bundles: {
    function: string;
    bytes: number;
    gzipBytes: number;
    clients: Record<string, number>;
    /** Client packages the function sent requests with, across all its measured invocations. */
    clientsUsed: string[];
    coldStart: {
      runs: number;
      bundleMedianMs: number;
      unbundledMedianMs: number;
      unbundled: string[];
      bundleMs: number[];
      unbundledMs: number[];
    };
  }[];
  /** The naive handlers' bundles (bench/naive/), built with the functions' options, beside the function of each. */
  naiveBundles: {
    handler: string;
    function: string;
    source: string;
    bytes: number;
    gzipBytes: number;
    clients: Record<string, number>;
    /** Median import time over every cold run of each side (all latencies). */
    importMs: { ours: number; naive: number; runs: number };
  }[];
  scenarios: ScenarioFigures[];
  propagation: PropagationFigures[];
  /** A whole release with and without the edge-cache invalidations (absent from results before 2026-12-07). */
  releaseTimeline?: ReleaseTimeline[];
  timingModel?: typeof TIMING_MODEL;
  /** Fresh process per run: import + first invocation, ours beside the naive handler. */
  cold: ColdFigures[];
  /** A canary's exposure, single step against the ramp's ladder, in the timing model (absent before issue 25). */
  exposure?: { model: ExposureModel; outcomes: ExposureOutcome[] };
  targets: Target[];
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const mark = (ok: boolean) => (ok ? 'yes' : 'NO');
const spread = (median: number, samples: number[]) =>
  Math.min(...samples) === Math.max(...samples)
    ? String(median)
    : `${median} (${Math.min(...samples)}–${Math.max(...samples)})`;

function sections(r: Results): { title: string; headers: string[]; rows: Row[] }[] {
  return [
    {
      title: 'Bundles and cold start (import of the module in a fresh node process, median)',
      headers: [
        'function',
        'bundle',
        'gzip',
        'SDK clients in bundle',
        'clients used',
        'only used?',
        'import bundle',
        'import unbundled clients',
        'not slower?',
      ],
      rows: r.bundles.map((b) => [
        b.function,
        kb(b.bytes),
        kb(b.gzipBytes),
        Object.keys(b.clients).sort().join(', '),
        b.clientsUsed.join(', '),
        b.clientsUsed.length ? mark(Object.keys(b.clients).sort().join() === b.clientsUsed.join()) : 'not exercised',
        `${b.coldStart.bundleMedianMs} ms`,
        `${b.coldStart.unbundledMedianMs} ms`,
        mark(b.coldStart.bundleMedianMs <= b.coldStart.unbundledMedianMs),
      ]),
    },
    {
      title: 'Scenarios: first invocation of each job (medians over repetitions; ranges when they varied)',
      headers: [
        'scenario',
        'latency',
        'handler',
        'requests (min)',
        'writes',
        'critical path',
        'min',
        '= min?',
        'invocations to complete',
        'later invocations: critical path (min)',
        'longest chain',
      ],
      rows: r.scenarios.map((s) => [
        s.title,
        `${s.latencyMs} ms`,
        `${s.handlerMs.median} ms`,
        `${spread(s.requests.median, s.requests.samples)} (${s.minimum.requests})`,
        spread(s.writes.median, s.writes.samples),
        spread(s.criticalPath.median, s.criticalPath.samples),
        s.minimum.criticalPath,
        mark(s.criticalPath.max === s.minimum.criticalPath),
        spread(s.invocationsToComplete[0] ?? 0, s.invocationsToComplete),
        s.followUps.minima
          ? `${spread(s.followUps.criticalPath[0] ?? 0, s.followUps.criticalPath)} ` +
            `(${s.followUps.minima.map((m) => m.criticalPath).join('/')})`
          : '–',
        s.criticalPath.chain,
      ]),
    },
    {
      title: 'Waiting for propagation through continuations (medians per job)',
      headers: [
        'scenario',
        'latency',
        'propagation',
        'invocations',
        'job wall time',
        'handler total',
        'covered by requests',
        'not covered',
        'not covered / invocation',
      ],
      rows: r.propagation.map((p) => [
        p.title,
        `${p.latencyMs} ms`,
        `${p.propagationMs} ms`,
        p.invocations,
        `${p.jobWallMs} ms`,
        `${p.handlerMsTotal} ms`,
        `${p.coveredByRequestsMs} ms`,
        `${p.notCoveredMs} ms`,
        `${p.notCoveredPerInvocationMs} ms`,
      ]),
    },
    {
      title:
        'A whole release, without and with the edge-cache invalidations (medians; timing model: ' +
        `propagation ${r.timingModel?.propagationMinutes} min, ` +
        `invalidation ${r.timingModel?.invalidationMinutes} min, ` +
        `CodePipeline re-invokes after ${r.timingModel?.reinvokeMinutes} min)`,
      headers: [
        'release',
        'enable-cd invocations',
        'enable-cd requests (invalidation)',
        'promote invocations',
        'promote requests (invalidation)',
        'release time in the model',
        'requests',
        'handler time',
        'viewers on the promoted release after promote',
      ],
      rows: (r.releaseTimeline ?? []).map((t) => {
        const [enable, promote] = t.jobs;
        return [
          `${t.variant} (${JSON.stringify(t.invalidationPaths)})`,
          enable?.invocations ?? '–',
          `${enable?.requests} (${enable?.invalidationRequests})`,
          promote?.invocations ?? '–',
          `${promote?.requests} (${promote?.invalidationRequests})`,
          `${t.releaseModelMinutes} min`,
          t.releaseRequests,
          `${round(t.jobs.reduce((s, j) => s + j.handlerMs, 0))} ms`,
          `${Math.round(t.viewersOnPromotedRelease * 100)} %`,
        ];
      }),
    },
    {
      title:
        'Cold invocations beside the naive handlers (a fresh node process per run: import + first invocation; ' +
        'medians, ours and naive interleaved)',
      headers: [
        'scenario',
        'latency',
        'handler',
        'import',
        'first invocation',
        'import + invocation',
        'ours / naive',
        'CPU import + invocation',
        'first request at',
        'not covered by requests',
        'requests',
        'rounds (min)',
      ],
      rows: r.cold.flatMap((c) =>
        (['ours', 'naive'] as const).map((side) => {
          const x: ColdSideFigures = c[side];
          return [
            c.title,
            `${c.latencyMs} ms`,
            side === 'ours' ? `ours (${c.function})` : `naive (${c.naiveHandler})`,
            `${x.importMs} ms`,
            `${x.invokeMs} ms`,
            `${x.totalMs} ms`,
            side === 'ours' ? `${c.ratio.totalMs}× (invocation ${c.ratio.invokeMs}×)` : '',
            `${x.importCpuMs} + ${x.invokeCpuMs} ms`,
            `${x.firstRequestMs} ms`,
            `${x.notCoveredMs} ms`,
            x.requests,
            `${spread(
              x.rounds.median,
              x.runs.map((run) => run.rounds),
            )} (${x.rounds.minimum})`,
          ];
        }),
      ),
    },
    {
      title: 'Bundles beside the naive handlers (same esbuild options; import: median over every cold run above)',
      headers: ['function', 'bundle', 'naive bundle', 'ours / naive', 'import', 'naive import', 'ours / naive'],
      rows: r.naiveBundles.map((n) => {
        const ours = r.bundles.find((b) => b.function === n.function);
        return [
          `${n.function} (${n.source})`,
          ours ? kb(ours.bytes) : '–',
          kb(n.bytes),
          ours ? `${(ours.bytes / n.bytes).toFixed(2)}×` : '–',
          `${n.importMs.ours} ms`,
          `${n.importMs.naive} ms`,
          `${(n.importMs.ours / n.importMs.naive).toFixed(2)}×`,
        ];
      }),
    },
    ...(r.exposure ? [exposureSection(r.exposure)] : []),
    {
      title: 'Targets',
      headers: ['target', 'met?', 'detail'],
      rows: r.targets.map((t) => [t.name, mark(t.met), t.detail]),
    },
  ];
}

/** The exposure table's title names its timing model: the figures mean nothing without it. */
export function exposureSection(e: NonNullable<Results['exposure']>): {
  title: string;
  headers: string[];
  rows: Row[];
} {
  const m = e.model;
  return {
    title:
      'Exposure of a canary, single step against the ladder (a simulation running the ramp’s and the watch’s ' +
      'decision code; minutes from the first write that routes viewers by weight; ' +
      `propagation ${m.propagationMinutes} ` +
      `min, a weight in effect for viewers ${m.weightEffectMinutes} min after its write, a disable ` +
      `${m.disableEffectMinutes} min, 1-minute metrics readable ${m.metricsLagMinutes} min after the minute, ` +
      `CodePipeline re-invokes every ${m.reinvokeMinutes} min, the watch every ${m.watchEveryMinutes} min; ` +
      `thresholds: 5xx rate above 5 %, 100 staging requests; a broken release answers ${m.broken5xxShare * 100} % 5xx)`,
    headers: EXPOSURE_HEADERS,
    rows: exposureRows(e.outcomes),
  };
}

/** The results as tables: plain text for the terminal, or Markdown for docs/performance.md. */
export function renderTables(r: Results, format: 'text' | 'markdown'): string {
  return sections(r)
    .map(({ title, headers, rows }) =>
      format === 'text' ? `${title}\n${textTable(headers, rows)}` : `**${title}**\n\n${markdownTable(headers, rows)}`,
    )
    .join('\n\n');
}
