/**
 * `npm run chaos -- --seed N --cycles K`: K release cycles on the local pipeline under seeded faults, the invariants
 * checked after every cycle; exit 0 with zero violations, 1 at the first violation (with the seed, the cycle and a
 * state dump), 2 for a mistake on the command line.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type CommandSpec, helpText, parseCommandLine, runCommand } from '../../cli/args.js';
import { RECOVERIES, runChaos, summaryTable } from './run.js';

const spec = {
  name: '',
  program: 'npm run chaos --',
  summary:
    'Release cycles on the local pipeline under seeded faults, the invariants checked after every cycle. ' +
    'Exit code 0 with zero violations, 1 at the first violation (with the seed, the cycle and a state dump).',
  synopsis: '[--seed N] [--cycles K] [--recovery mixed|retry|rerun] [--ramp] [--bake] [--verbose] [--no-invalidation]',
  options: {
    seed: {
      type: 'integer',
      min: 0,
      max: 2 ** 32 - 1,
      default: 1,
      value: 'N',
      description: 'seed of the cycles and of the faults',
    },
    cycles: { type: 'integer', min: 1, max: 10_000, default: 20, value: 'K', description: 'release cycles to run' },
    recovery: {
      type: 'enum',
      values: RECOVERIES,
      default: 'mixed',
      description: 'after a cleanly failed action: retry it in its stage, re-run the release, or either by the seed',
    },
    ramp: {
      type: 'boolean',
      description:
        'ramped releases too: about half the cycles run the ramp (1 → 5 → 15 %, probes first in half of them) ' +
        'between enable-CD and the approval, checked by its own invariant',
    },
    bake: {
      type: 'boolean',
      description:
        'baked releases too: about two thirds of the promoted releases are baked after promote (the bake built ' +
        'bundle, a virtual minute per pass); half of those fail in production on one path and must be reverted, ' +
        'about a third see a newer promotion during the bake and must not be; checked by two invariants of their own',
    },
    verbose: { type: 'boolean', description: 'print the whole timeline of every cycle, not one line per cycle' },
    'no-invalidation': {
      type: 'boolean',
      description:
        'run the actions with InvalidationPaths [] (no invalidation): the edge caches keep older releases ' +
        'and the run must stop at a violation; a check that the checks can fail',
    },
    build: { type: 'boolean', description: 'build the bundles (npm run build) once the options are checked' },
    help: { type: 'boolean', short: 'h', description: 'print this help' },
  },
} satisfies CommandSpec;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function main(): Promise<number> {
  const values = parseCommandLine(spec, process.argv.slice(2));
  if (values.help) {
    process.stdout.write(helpText(spec));
    return 0;
  }
  const { seed, cycles, recovery } = values;
  if (values.build) {
    const built = spawnSync(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error(`the build failed (exit code ${built.status})`);
  }
  const noInvalidation = values['no-invalidation'];
  console.log(
    `chaos: seed ${seed}, ${cycles} cycle(s) on the local pipeline, recovery ${recovery}` +
      (values.ramp ? ', ramped releases too' : '') +
      (values.bake ? ', baked releases too' : '') +
      (noInvalidation ? ', InvalidationPaths [] (a violation is expected)' : ''),
  );
  const summary = await runChaos({
    seed,
    cycles,
    recovery,
    verbose: values.verbose,
    noInvalidation,
    ramp: values.ramp,
    bake: values.bake,
    write: (line) => console.log(line),
  });
  console.log('');
  for (const line of summaryTable(summary)) console.log(line);
  return summary.ok ? 0 : 1;
}

runCommand(spec, main);
