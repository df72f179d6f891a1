#!/usr/bin/env node
// cfcd's `bin` (package.json) and `npm run cfcd`: runs the bundle `npm run build` makes, dist/cli/cfcd.mjs. `npm ci`
// builds it (the `prepare` script; CONTRIBUTING.md says why). This file is committed, so npx always finds the command,
// and without a build it says what to run in one line instead of a module-not-found stack trace.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/cli/cfcd.mjs', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write('cfcd is not built: run npm run build (npm ci does it, unless scripts are off)\n');
  process.exit(1);
}
// Source maps apply only to what is loaded after they are on: for --verbose stack traces, before the bundle loads.
if (process.argv.includes('--verbose') || process.argv.includes('-v')) process.setSourceMapsEnabled(true);
await import(bundle.href);
