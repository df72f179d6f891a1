/**
 * Builds the naive comparison handlers (bench/naive/<name>.ts) with the esbuild options of the functions themselves
 * (infra/bundles.mjs): same bundler, target, format, minification, main fields and banner, so the bundles
 * differ only by the code they were built from.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { functionBuildOptions } from '../../infra/bundles.mjs';

/** The naive handlers, by the function each stands beside. */
export const NAIVE_HANDLERS = ['enable-cd', 'promote'] as const;
export type NaiveName = (typeof NAIVE_HANDLERS)[number];

const HERE = fileURLToPath(new URL('./', import.meta.url));

/** The folder of a naive bundle inside `outDir`: `<outDir>/naive-<name>/` holds index.mjs and meta.json. */
export const naiveDir = (outDir: string, name: NaiveName) => join(outDir, `naive-${name}`);

/** Builds every naive handler into `outDir`; returns the bundle paths by name. */
export async function buildNaive(outDir: string): Promise<Record<NaiveName, string>> {
  const entries = await Promise.all(
    NAIVE_HANDLERS.map(async (name) => {
      const outfile = join(naiveDir(outDir, name), 'index.mjs');
      const result = await build(functionBuildOptions(join(HERE, `${name}.ts`), outfile));
      writeFileSync(join(naiveDir(outDir, name), 'meta.json'), JSON.stringify(result.metafile));
      return [name, outfile] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<NaiveName, string>;
}
