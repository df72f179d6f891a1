// Bundles every functions/<name>/handler.ts to dist/<name>/index.mjs: one self-contained ESM file per Lambda, SDK
// included, so each bundle carries only the clients its function imports. The list of functions and the options are
// in infra/bundles.mjs (the bench builds its naive comparison handlers with the same options).
import { build } from 'esbuild';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FUNCTION_NAMES as names, functionBuildOptions, lambdaCredentialSources } from './infra/bundles.mjs';

const functionsDir = 'functions';

// The package version, stamped into every bundle (shared/version.ts): a function's job-started line and
// `cfcd --version` name the release that is running. infra/package.sh writes the same version into each zip and the
// template's Version output.
const { version } = JSON.parse(await readFile('package.json', 'utf8'));
const define = { __CFCD_VERSION__: JSON.stringify(version) };

await rm('dist', { recursive: true, force: true });
await Promise.all(
  names.map(async (name) => {
    const result = await build({
      ...functionBuildOptions(join(functionsDir, name, 'handler.ts'), join('dist', name, 'index.mjs')),
      define,
    });
    await writeFile(join('dist', name, 'meta.json'), JSON.stringify(result.metafile));
    // What infra/package.sh puts in the zip, and checks against package.json (a stale build is refused).
    await writeFile(join('dist', name, 'VERSION'), `${version}\n`);
  }),
);
const bundles = names.map((n) => `dist/${n}/index.mjs`).join(', ');
console.log(`built ${names.length} function bundle(s) of version ${version}: ${bundles}`);

// cfcd, the operator command line (cli/main.ts), to dist/cli/cfcd.mjs, which the package's `bin` (cli/cfcd.mjs) runs:
// one self-contained file built with the functions' options from its own entry point, so nothing of cli/ can end up
// in a Lambda bundle (the functions are discovered from functions/*/handler.ts only).
const { chmod } = await import('node:fs/promises');
const cli = join('dist', 'cli', 'cfcd.mjs');
const cliOptions = functionBuildOptions(join('cli', 'main.ts'), cli);
await build({
  ...cliOptions,
  define,
  // It runs on the operator's Node (package.json engines), not on the Lambda runtime.
  target: 'node22',
  // Run as a program: the shebang first, then the functions' require shim.
  banner: { js: `#!/usr/bin/env node\n${cliOptions.banner.js}` },
  // An operator's --profile, SSO or credential_process must work wherever the CLI is installed: the profile-based
  // credential sources the Lambda bundles leave out (they run with environment credentials) stay in this one.
  plugins: cliOptions.plugins.filter((plugin) => plugin !== lambdaCredentialSources),
  metafile: false,
});
await chmod(cli, 0o755);
console.log(`built the operator CLI: ${cli}`);
