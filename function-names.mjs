// The Lambda functions of this repository: every functions/<name>/ that has a handler.ts, in name order. This is
// the one list: the build bundles each to dist/<name>/index.mjs, and the local runner, the bench, the tests and
// infra/package.sh take their list from here, so adding a function is adding its folder.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FUNCTIONS_DIR = fileURLToPath(new URL('./functions/', import.meta.url));

export const FUNCTION_NAMES = Object.freeze(
  readdirSync(FUNCTIONS_DIR)
    .filter((name) => existsSync(join(FUNCTIONS_DIR, name, 'handler.ts')))
    .sort(),
);
