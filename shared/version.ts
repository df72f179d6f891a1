/**
 * The package version (package.json `version`) this code was built from. `npm run build` stamps it into every bundle
 * (esbuild.config.mjs defines `__CFCD_VERSION__`; minified, the fallback below is dropped), so a Lambda's log lines
 * and `cfcd --version` say which release is running. Run from the sources (tsx, vitest) it is read from package.json.
 */
import { readFileSync } from 'node:fs';

declare const __CFCD_VERSION__: string | undefined;

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    // A bundle built without the define, away from the repository: no package.json to read.
    return 'unknown';
  }
}

export const VERSION: string = typeof __CFCD_VERSION__ === 'string' ? __CFCD_VERSION__ : packageVersion();
