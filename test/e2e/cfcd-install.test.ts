/**
 * cfcd as an operator gets it from a checkout: `npm ci`, then `npx cfcd` or `npm run cfcd`. Runs the real npm in a
 * scratch copy of the sources (node_modules linked to this one's, no dist/, its own npm cache, offline): without a
 * build, one line says what to run (no stack trace); the `prepare` script — which `npm ci` runs once the dependencies
 * are in — builds, and then both ways run the built cfcd. No network: npm is offline and cfcd only prints.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaNode } from '../../local/pipeline/runtime-node.js';

/** cfcd runs on the operator's Node (22 or 24): here the Lambda runtime's Node 24 when installed. */
const CFCD_NODE = lambdaNode().path;

const repo = resolve(new URL('../..', import.meta.url).pathname);
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  version: string;
  bin: { cfcd: string };
  scripts: { prepare?: string };
};
const NOT_BUILT = 'cfcd is not built: run npm run build (npm ci does it, unless scripts are off)\n';
/** What a stack trace or Node's module-not-found report looks like. */
const STACK = /^\s+at |MODULE_NOT_FOUND|node:internal/m;

let root: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'cfcd-install-'));
  for (const path of ['package.json', 'tsconfig.json', 'esbuild.config.mjs', 'cli', 'shared', 'functions'])
    cpSync(join(repo, path), join(root, path), { recursive: true });
  // The build's list of functions and their runtime (read from the template's Runtime lines).
  for (const file of ['bundles.mjs', 'pipeline.yml']) cpSync(join(repo, 'infra', file), join(root, 'infra', file));
  symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'));
  // The outer npm's settings (npm test, npx vitest) stay out; a cache of its own, so npx installs this copy afresh.
  env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  Object.assign(env, {
    // npm and npx run on a Node the package supports (engines: 22 or 24), as an operator's would.
    PATH: `${dirname(CFCD_NODE)}${delimiter}${process.env.PATH ?? ''}`,
    npm_config_cache: join(root, '.npm-cache'),
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
  });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

function run(command: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd: root, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 60_000 });
}

describe('cfcd from a checkout', () => {
  it('the bin is a committed launcher, and npm ci builds (prepare)', () => {
    expect(pkg.bin.cfcd).toBe('cli/cfcd.mjs');
    expect(existsSync(join(repo, pkg.bin.cfcd))).toBe(true);
    expect(pkg.scripts.prepare).toBe('npm run build');
  });

  it('without a build, `npm run cfcd` and the bin say what to run in one line, exit 1, no stack trace', () => {
    expect(existsSync(join(root, 'dist'))).toBe(false);
    const script = run('npm', ['run', 'cfcd', '--', '--help']);
    expect(script.status).toBe(1);
    expect(script.stderr).toContain(NOT_BUILT);
    expect(script.stderr.split('\n').filter((l) => l.startsWith('cfcd'))).toHaveLength(1);
    expect(`${script.stdout}${script.stderr}`).not.toMatch(STACK);
    const bin = run(CFCD_NODE, [join(root, pkg.bin.cfcd), 'status']);
    expect({ status: bin.status, stdout: bin.stdout, stderr: bin.stderr }).toEqual({
      status: 1,
      stdout: '',
      stderr: NOT_BUILT,
    });
  });

  it('after the prepare script that npm ci runs, `npx cfcd` and `npm run cfcd` run the built cfcd', () => {
    const prepare = run('npm', ['run', 'prepare']);
    expect(prepare.stderr).not.toMatch(STACK);
    expect(prepare.status).toBe(0);
    expect(existsSync(join(root, 'dist', 'cli', 'cfcd.mjs'))).toBe(true);

    // npx installs the local package into its cache and runs its bin; scripts off, so it does not build again.
    const npx = run('npx', ['cfcd', '--help'], { npm_config_ignore_scripts: 'true' });
    expect(npx.stderr).toBe('');
    expect(npx.status).toBe(0);
    expect(npx.stdout).toMatch(/^cfcd: CloudFront continuous deployment/);
    const script = run('npm', ['run', '--silent', 'cfcd', '--', '-V']);
    expect({ status: script.status, stdout: script.stdout, stderr: script.stderr }).toEqual({
      status: 0,
      stdout: `${pkg.version}\n`,
      stderr: '',
    });
  });

  it('with dist/ gone again (rm -rf dist, a fresh clone with scripts off), npx says what to run in one line', () => {
    renameSync(join(root, 'dist'), join(root, 'dist-aside'));
    const npx = run('npx', ['cfcd', 'status'], { npm_config_ignore_scripts: 'true' });
    expect({ status: npx.status, stderr: npx.stderr }).toEqual({ status: 1, stderr: NOT_BUILT });
  });
});
