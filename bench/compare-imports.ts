/**
 * What a cold start pays to load each of several bundles, side by side: the Lambda runtime's Node imports one bundle
 * in a fresh process (the bench's cold-start measure, bench/cold-start.ts, with the import's CPU beside its wall
 * time), the bundles taking turns run by run and the order rotating, so drift in machine load favours none. For
 * comparing builds of one function, e.g. promote before and after a change:
 *
 *   npx tsx bench/compare-imports.ts --runs 31 before=/tmp/old/dist/promote/index.mjs after=dist/promote/index.mjs
 *
 * Prints, per bundle, its bytes and the medians (and quartiles) of the import's wall and CPU milliseconds.
 */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { lambdaNode } from '../local/pipeline/runtime-node.js';
import { median, round } from './stats.js';

const run = promisify(execFile);

interface Sample {
  wallMs: number;
  cpuMs: number;
}

/** One fresh process importing `bundle`: wall time (performance.now) and CPU (user + system) of the import alone. */
async function importOnce(bundle: string): Promise<Sample> {
  const code =
    'const c = process.cpuUsage(); const t = performance.now(); ' +
    `await import(${JSON.stringify(pathToFileURL(bundle).href)}); ` +
    'const wallMs = performance.now() - t; const { user, system } = process.cpuUsage(c); ' +
    'process.stdout.write(JSON.stringify({ wallMs, cpuMs: (user + system) / 1000 }));';
  const { stdout } = await run(lambdaNode().path, ['--input-type=module', '-e', code], {
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1' },
  });
  return JSON.parse(stdout) as Sample;
}

/** The value below which a quarter (q = 0.25) or three quarters (0.75) of `values` fall. */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

function parseArgs(argv: string[]): { runs: number; bundles: { label: string; path: string }[] } {
  let runs = 21;
  const bundles: { label: string; path: string }[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--runs') runs = Number(argv[++i]);
    else if (/^[^=]+=.+/.test(arg)) {
      const [label = '', ...rest] = arg.split('=');
      bundles.push({ label, path: resolve(rest.join('=')) });
    } else throw new Error(`expected --runs N or label=path/to/index.mjs, got ${JSON.stringify(arg)}`);
  }
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs: expected a whole number of runs');
  if (bundles.length === 0) throw new Error('give at least one label=path/to/index.mjs');
  return { runs, bundles };
}

const { runs, bundles } = parseArgs(process.argv.slice(2));
const node = lambdaNode();
const samples = bundles.map(() => [] as Sample[]);
for (let i = 0; i < runs; i++) {
  for (let k = 0; k < bundles.length; k++) {
    const b = (i + k) % bundles.length;
    samples[b]!.push(await importOnce(bundles[b]!.path));
  }
}
console.log(`${runs} runs each, interleaved, order rotating; Node ${node.version}; medians [quartiles]`);
for (const [k, b] of bundles.entries()) {
  const wall = samples[k]!.map((s) => s.wallMs);
  const cpu = samples[k]!.map((s) => s.cpuMs);
  const fmt = (v: number[]) => `${round(median(v))} ms [${round(quantile(v, 0.25))}–${round(quantile(v, 0.75))}]`;
  const kib = round(statSync(b.path).size / 1024);
  console.log(`${b.label}: ${statSync(b.path).size} bytes (${kib} KiB), import ${fmt(wall)}, CPU ${fmt(cpu)}`);
}
