/**
 * The local functions run on the Lambda runtime's Node major (infra/pipeline.yml's Runtime) whenever its npm package
 * is installed, so the e2e suite, the chaos run and `npm start` exercise the bundles on the Node that runs them in
 * AWS. A probe bundle keeps this independent of the build: any bundle runs in the same worker.
 */
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LAMBDA_RUNTIME } from '../../infra/bundles.mjs';
import { LocalLambda } from '../../local/pipeline/lambda.js';
import { RUNTIME_NODE_PACKAGE } from '../../local/pipeline/runtime-node.js';

const installed = (() => {
  try {
    createRequire(import.meta.url).resolve(`${RUNTIME_NODE_PACKAGE}/package.json`);
    return true;
  } catch {
    return false;
  }
})();

const distDir = mkdtempSync(join(tmpdir(), 'runtime-probe-'));
mkdirSync(join(distDir, 'probe'));
writeFileSync(join(distDir, 'probe', 'index.mjs'), 'export const handler = async () => ({ node: process.version });\n');
afterAll(() => rmSync(distDir, { recursive: true, force: true }));

describe.skipIf(!installed || process.env.LOCAL_LAMBDA_NODE)(
  `local functions on ${LAMBDA_RUNTIME.runtime} (${RUNTIME_NODE_PACKAGE} installed)`,
  () => {
    it("run their bundle on the runtime's Node major, not the test runner's", async () => {
      const lambda = await LocalLambda.start('probe', {}, distDir);
      try {
        const invoked = await lambda.invoke({});
        expect(invoked.result).toEqual({ node: lambda.nodeVersion });
        expect(lambda.nodeVersion).toMatch(new RegExp(`^v${LAMBDA_RUNTIME.nodeMajor}\\.`));
      } finally {
        await lambda.stop();
      }
    });
  },
);
