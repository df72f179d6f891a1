/**
 * Profiles cold runs: `npx tsx bench/profile-cold.ts [--runs N] [--latency MS] [--interval US]` builds the bundles and
 * the naive handlers into a temporary folder, runs each cold scenario (bench/cold-scenarios.ts) N times per side
 * under `node --cpu-prof`, and prints where the import's and the first invocation's CPU went, by npm package or our
 * own file (self time, mean over the runs). Not part of `npm run bench`: a profiler slows everything down, so these
 * figures are proportions, not timings.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { bundlePath, startLambdas, stopLambdas } from '../local/pipeline/lambda.js';
import { coldRunWith, type Side } from './cold-invocations.js';
import { COLD_SCENARIOS } from './cold-scenarios.js';
import { type CpuProfile, kindOf, meanTop, type Phase, selfTimeByOwner } from './cpu-profile.js';
import { snapshotDist } from './dist-snapshot.js';
import { EmulatorSlot } from './emulator-slot.js';
import { buildNaive } from './naive/build.js';
import { FUNCTIONS } from './scenarios.js';
import { round } from './stats.js';
import { textTable } from './table.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    latency: { type: 'string', default: '0' },
    interval: { type: 'string', default: '250' },
    top: { type: 'string', default: '12' },
  },
});
const runs = Number(values.runs);

execFileSync(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, stdio: 'inherit' });
const dist = await snapshotDist(join(ROOT, 'dist'), FUNCTIONS, ['index.mjs.map']);
const profiles = mkdtempSync(join(tmpdir(), 'cold-profiles-'));
const slot = await EmulatorSlot.open();
const lambdas = await startLambdas(slot.env, { distDir: dist.dir, names: ['enable-cd'] });
try {
  const naive = await buildNaive(dist.dir);
  for (const scenario of COLD_SCENARIOS) {
    for (const side of ['ours', 'naive'] as Side[]) {
      const bundle = side === 'ours' ? bundlePath(scenario.function, dist.dir) : naive[scenario.naive];
      const map = new SourceMap(JSON.parse(readFileSync(`${bundle}.map`, 'utf8')));
      const sourceOf = (line: number, column: number) => {
        const entry = map.findEntry(line, column);
        return 'originalSource' in entry ? entry.originalSource : undefined;
      };
      const byPhase: Record<Phase, Map<string, number>[]> = { boot: [], import: [], invocation: [] };
      for (let i = 0; i < runs; i++) {
        const dir = join(profiles, `${scenario.id}-${side}-${i}`);
        mkdirSync(dir);
        const flags = ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${values.interval}`];
        const run = await coldRunWith(slot, lambdas, scenario, side, bundle, Number(values.latency), flags);
        const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
        if (!file) throw new Error(`no profile in ${dir}`);
        const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
        const split = selfTimeByOwner(
          profile,
          pathToFileURL(bundle).href,
          sourceOf,
          run.importStartedAtUs,
          run.importedAtUs,
        );
        for (const phase of ['boot', 'import', 'invocation'] as Phase[]) byPhase[phase].push(split[phase]);
      }
      for (const phase of ['import', 'invocation'] as Phase[]) {
        const total = meanTop(byPhase[phase], Number.POSITIVE_INFINITY).reduce((n, [, ms]) => n + ms, 0);
        const rows = meanTop(byPhase[phase], Number(values.top)).map(([owner, ms]) => [
          owner,
          round(ms),
          `${Math.round((ms / total) * 100)}%`,
        ]);
        console.log(
          `\n${scenario.title}, ${side}, ${phase} (${values.latency} ms per request; ` +
            `profiled: ${round(total)} ms mean self time over ${runs} runs)`,
        );
        console.log(textTable(['where (self time)', 'ms', 'share'], rows));
        const kinds = new Map<string, number>();
        for (const [owner, ms] of meanTop(byPhase[phase], Number.POSITIVE_INFINITY))
          kinds.set(kindOf(owner), (kinds.get(kindOf(owner)) ?? 0) + ms);
        console.log(
          `by kind: ${[...kinds]
            .sort((a, b) => b[1] - a[1])
            .map(([k, ms]) => `${k} ${Math.round((ms / total) * 100)}%`)
            .join(', ')}`,
        );
      }
    }
  }
} finally {
  await stopLambdas(lambdas);
  await slot.close();
  dist.remove();
  rmSync(profiles, { recursive: true, force: true });
}
