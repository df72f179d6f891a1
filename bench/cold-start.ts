/**
 * Cold start as the time to import a module in a fresh Node process: `node --input-type=module -e` measures
 * performance.now() around `await import(...)`, so Node's own boot is left out and only loading, compiling and
 * evaluating the code counts. The built bundle is compared with importing, unbundled from node_modules, the SDK
 * client packages the same function uses (Node resolves them to their CommonJS `main`).
 */
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { lambdaNode } from '../local/pipeline/runtime-node.js';

const run = promisify(execFile);

/** Milliseconds to import `specifiers` one after another in a fresh `node` with `cwd` as the base for bare names. */
export async function importMs(specifiers: readonly string[], cwd: string): Promise<number> {
  const code =
    `const t = performance.now(); for (const s of ${JSON.stringify(specifiers)}) await import(s); ` +
    'process.stdout.write(String(performance.now() - t));';
  // The functions' Node, as the workers use (the Lambda runtime's major when installed).
  const { stdout } = await run(lambdaNode().path, ['--input-type=module', '-e', code], {
    cwd,
    env: { PATH: process.env.PATH ?? '' },
  });
  const ms = Number(stdout);
  if (!Number.isFinite(ms)) throw new Error(`import of ${specifiers.join(', ')} printed ${JSON.stringify(stdout)}`);
  return ms;
}

export interface ColdStartSamples {
  function: string;
  /** The unbundled packages imported for comparison, e.g. `@aws-sdk/client-cloudfront`. */
  unbundled: string[];
  bundleMs: number[];
  unbundledMs: number[];
}

/**
 * `runs` samples of each, one process at a time (the machine has 2 cores), interleaved and alternating which goes
 * first so that drift in machine load does not favour either side.
 */
export async function coldStarts(
  targets: { function: string; bundlePath: string; clients: string[] }[],
  runs: number,
  cwd: string,
): Promise<ColdStartSamples[]> {
  const samples = targets.map((t) => ({
    function: t.function,
    unbundled: t.clients.map((c) => `@aws-sdk/${c}`),
    bundleMs: [] as number[],
    unbundledMs: [] as number[],
  }));
  for (let i = 0; i < runs; i++) {
    for (const [k, t] of targets.entries()) {
      const s = samples[k]!;
      const bundle = async () => s.bundleMs.push(await importMs([pathToFileURL(t.bundlePath).href], cwd));
      const unbundled = async () => s.unbundledMs.push(await importMs(s.unbundled, cwd));
      if (i % 2 === 0) {
        await bundle();
        await unbundled();
      } else {
        await unbundled();
        await bundle();
      }
    }
  }
  return samples;
}
