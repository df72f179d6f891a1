/**
 * `npm run chaos -- --seed N --cycles K`: K release cycles on the local pipeline under seeded faults, the invariants
 * checked after every cycle; exit 0 with zero violations, 1 at the first violation (with the seed, the cycle and a
 * state dump), 2 for a mistake on the command line.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UsageError, boundedInteger, parseCommandLine, runCommand } from '../pipeline/command-line.js';
import { RECOVERIES, runChaos, summaryTable, type Recovery } from './run.js';

const USAGE = `usage: npm run chaos -- [--seed N] [--cycles K] [--recovery mixed|retry|rerun] [--verbose]
                     [--no-invalidation]
  --seed N     seed of the cycles and of the faults, a whole number 0–4294967295 (default 1)
  --cycles K   release cycles to run, 1–10000 (default 20)
  --recovery   after a cleanly failed action: retry it in its stage, re-run the release, or either by the seed
               (default mixed)
  --verbose    print the whole timeline of every cycle, not one line per cycle
  --no-invalidation
               run the actions with InvalidationPaths [] (no invalidation): the edge caches keep older releases and
               the run must stop at a violation; a check that the checks can fail
  --build      build the bundles (npm run build) once the options are checked
  -h, --help   print this help`;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function main(): Promise<number> {
  const values = parseCommandLine(process.argv.slice(2), {
    seed: { type: 'string' },
    cycles: { type: 'string' },
    recovery: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    'no-invalidation': { type: 'boolean', default: false },
    build: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const seed = boundedInteger('seed', values.seed, { min: 0, max: 2 ** 32 - 1, fallback: 1 });
  const cycles = boundedInteger('cycles', values.cycles, { min: 1, max: 10_000, fallback: 20 });
  const recovery = (values.recovery ?? 'mixed') as Recovery;
  if (!RECOVERIES.includes(recovery))
    throw new UsageError(`--recovery must be one of ${RECOVERIES.join(', ')}, got ${JSON.stringify(values.recovery)}`);
  if (values.build) {
    const built = spawnSync(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error(`the build failed (exit code ${built.status})`);
  }
  const noInvalidation = values['no-invalidation'];
  console.log(
    `chaos: seed ${seed}, ${cycles} cycle(s) on the local pipeline, recovery ${recovery}` +
      (noInvalidation ? ', InvalidationPaths [] (a violation is expected)' : ''),
  );
  const summary = await runChaos({
    seed,
    cycles,
    recovery,
    verbose: values.verbose,
    noInvalidation,
    write: (line) => console.log(line),
  });
  console.log('');
  for (const line of summaryTable(summary)) console.log(line);
  return summary.ok ? 0 : 1;
}

runCommand('npm run chaos', USAGE, main);
