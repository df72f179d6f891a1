// Bundles every functions/<name>/handler.ts (the list is function-names.mjs) to dist/<name>/index.mjs: one
// self-contained ESM file per Lambda, SDK included, so each bundle carries only the clients its function imports.
import { build } from 'esbuild';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FUNCTION_NAMES as names } from './function-names.mjs';

const functionsDir = 'functions';

await rm('dist', { recursive: true, force: true });
await Promise.all(
  names.map(async (name) => {
    const result = await build({
      entryPoints: [join(functionsDir, name, 'handler.ts')],
      outfile: join('dist', name, 'index.mjs'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      minify: true,
      sourcemap: true,
      // The SDK ships ES modules under "module": preferring them lets esbuild tree-shake (smaller, faster cold start).
      mainFields: ['module', 'main'],
      // Some SDK dependencies still call require() on Node built-ins; give the ESM bundle a require to do it with.
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      legalComments: 'none',
      logLevel: 'warning',
      // What went into the bundle (benchmarks read it to list the SDK clients each function carries).
      metafile: true,
    });
    await writeFile(join('dist', name, 'meta.json'), JSON.stringify(result.metafile));
  }),
);
console.log(`built ${names.length} function bundle(s): ${names.map((n) => `dist/${n}/index.mjs`).join(', ')}`);
