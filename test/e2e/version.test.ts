/**
 * The package version stamped into the built bundles (esbuild.config.mjs defines it; shared/version.ts): a function's
 * job-started line and `cfcd --version` say package.json's version, so a log line or an operator's terminal tells
 * which release ran. These run the bundles of `npm run build`, not the sources (which read package.json themselves).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../infra/bundles.mjs';
import { type Harness, startHarness } from './harness.js';
import { lambdaNode } from '../../local/pipeline/runtime-node.js';

/** cfcd runs on the operator's Node (22 or 24): here the Lambda runtime's Node 24 when installed. */
const CFCD_NODE = lambdaNode().path;

const VERSION = (JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { version: string }).version;
const CLI = join(process.cwd(), 'dist/cli/cfcd.mjs');

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('end to end: the version stamped into the bundles', () => {
  it("a function's job-started line carries package.json's version", async () => {
    h = await startHarness({ propagationMs: 0 });
    const outputs = await h.deployStaging();
    expect(await h.job('enable-cd', h.enableCdParams(outputs))).toMatchObject({ ok: true });
    const started = h.logs.filter((l) => l.event === 'job-started');
    expect(started.length).toBeGreaterThan(0);
    for (const line of started) expect(line.version).toBe(VERSION);
  });

  it("the build leaves dist/<name>/VERSION, package.json's version, for infra/package.sh to zip and check", () => {
    for (const name of FUNCTION_NAMES)
      expect(readFileSync(join(process.cwd(), 'dist', name, 'VERSION'), 'utf8'), name).toBe(`${VERSION}\n`);
  });

  it("cfcd --version and -V print package.json's version alone, exit 0; with another argument, a usage error", () => {
    for (const flag of ['--version', '-V']) {
      const run = spawnSync(CFCD_NODE, [CLI, flag], { encoding: 'utf8' });
      expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({
        status: 0,
        stdout: `${VERSION}\n`,
        stderr: '',
      });
    }
    const extra = spawnSync(CFCD_NODE, [CLI, '--version', 'status'], { encoding: 'utf8' });
    expect(extra.status).toBe(2);
    expect(extra.stderr).toBe('cfcd --version takes no other argument\n');
  });
});
