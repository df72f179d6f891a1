/**
 * cfcd's entry point, bundled to dist/cli/cfcd.mjs (`npm run build`, which `npm ci` runs), which the package's `bin`,
 * cli/cfcd.mjs, loads. Everything else is in program.ts, which tools may also call in-process (runCli), and status.ts
 * (renderStatus).
 */
import { runCli } from './program.js';

// Maps only what loads after it: this bundle itself when cli/cfcd.mjs ran it (it turns them on first), not when run
// directly as `node dist/cli/cfcd.mjs`.
if (process.argv.includes('--verbose') || process.argv.includes('-v')) process.setSourceMapsEnabled?.(true);
process.exitCode = await runCli(process.argv.slice(2));
