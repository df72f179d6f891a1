/** `npm run emulator` (local/emulator/cli.ts), run as a user runs it: a child process on 127.0.0.1. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloudFrontClient, CreateDistributionCommand, GetDistributionCommand } from '@aws-sdk/client-cloudfront';
import { afterEach, describe, expect, it } from 'vitest';
import { siteConfig } from './helpers.js';

const CLI = fileURLToPath(new URL('../../local/emulator/cli.ts', import.meta.url));
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
});

/** Starts the CLI and resolves with its URL once it listens. */
async function start(args: string[]): Promise<{ url: string; child: ChildProcess; stdout: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.setEncoding('utf8');
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the emulator exited with ${code} before listening: ${out}`)));
  });
  return { url, child, stdout: () => out };
}

/** Runs the CLI to its exit: code, stdout, stderr. */
async function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** One line naming the problem, then the usage; no stack trace. */
function expectUsageError(r: { code: number | null; stdout: string; stderr: string }, first: RegExp) {
  expect(r.code).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(first);
  expect(lines[1]).toMatch(/^usage: npm run emulator -- /);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toMatch(/Error|TypeError|RangeError/);
  expect(r.stdout).toBe('');
}

describe('npm run emulator: bad usage answers one line and the usage, exit 2', () => {
  it.each([
    [['--bogus'], /^npm run emulator: unknown option --bogus$/],
    [['extra'], /^npm run emulator: unexpected argument "extra" \(every option starts with --\)$/],
    [['--port'], /^npm run emulator: --port needs a value$/],
    [['--port', '80000'], /^npm run emulator: --port must be a whole number from 0 to 65535, got "80000"$/],
    [['--port', '-1'], /^npm run emulator: --port needs a value \(write --port=VALUE for one starting with -\)$/],
    [['--port=-1'], /^npm run emulator: --port must be a whole number from 0 to 65535, got "-1"$/],
    [['--port', '12.5'], /^npm run emulator: --port must be a whole number from 0 to 65535, got "12.5"$/],
    [
      ['--latency-ms', '99999999'],
      /^npm run emulator: --latency-ms must be a whole number from 0 to 60000, got "99999999"$/,
    ],
    [
      ['--propagation-ms', 'soon'],
      /^npm run emulator: --propagation-ms must be a whole number from 0 to 3600000, got "soon"$/,
    ],
    [
      ['--invalidation-ms', '-5'],
      /^npm run emulator: --invalidation-ms needs a value \(write --invalidation-ms=VALUE for one starting with -\)$/,
    ],
    [
      ['--invalidation-ms', '4000000'],
      /^npm run emulator: --invalidation-ms must be a whole number from 0 to 3600000, got "4000000"$/,
    ],
    [['--seed', '1.5'], /^npm run emulator: --seed must be a whole number from 0 to 4294967295, got "1.5"$/],
  ])('%j', async (args, first) => {
    expectUsageError(await run(args), first);
  });

  it('names a port that is already in use', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as { port: number };
    try {
      expectUsageError(await run(['--port', String(port)]), new RegExp(`^npm run emulator: port ${port} is in use`));
    } finally {
      busy.close();
    }
  });

  it('prints the usage on stdout and exits 0 with -h and --help', async () => {
    for (const flag of ['-h', '--help']) {
      const r = await run([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^usage: npm run emulator -- \[--site\] \[--state FILE\] \[--port N\]/);
      expect(r.stdout).toContain('--propagation-ms N   how long a change stays InProgress, 0–3600000 (default 5000)');
      expect(r.stdout).toContain(
        '--invalidation-ms N  how long an invalidation is InProgress, 0–3600000 (default 5000)',
      );
      expect(r.stderr).toBe('');
    }
  });
});

describe('npm run emulator', () => {
  it('stops cleanly on SIGTERM', async () => {
    const { child } = await start(['--port', '0']);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });

  it('shows a change InProgress by default, and says how to make propagation instant', async () => {
    const { url, stdout } = await start(['--port', '0']);
    expect(stdout()).toMatch(/propagation 5000 ms/);
    const cf = new CloudFrontClient({
      endpoint: url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      const created = await cf.send(new CreateDistributionCommand({ DistributionConfig: siteConfig('cli') }));
      expect(created.Distribution?.Status).toBe('InProgress');
      const read = await cf.send(new GetDistributionCommand({ Id: created.Distribution!.Id! }));
      expect(read.Distribution?.Status).toBe('InProgress');
    } finally {
      cf.destroy();
    }
    expect(stdout()).toContain('--propagation-ms 0');
  });

  it('makes changes Deployed at once with --propagation-ms 0', async () => {
    const { url } = await start(['--port', '0', '--propagation-ms', '0']);
    const cf = new CloudFrontClient({
      endpoint: url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      const created = await cf.send(new CreateDistributionCommand({ DistributionConfig: siteConfig('cli') }));
      expect(created.Distribution?.Status).toBe('Deployed');
    } finally {
      cf.destroy();
    }
  });
});

describe('npm run emulator --state FILE', () => {
  it('refuses a corrupt state file in one line naming it, and leaves it as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emulator-cli-state-'));
    try {
      const file = join(dir, 'state.json');
      writeFileSync(file, '{"format": "cloudfront-cd-emulator-state/1", "distributions": [');
      const r = await run(['--site', '--state', file]);
      expect(r.code).toBe(1);
      expect(r.stderr.trimEnd().split('\n')).toEqual([
        expect.stringMatching(new RegExp(`^npm run emulator failed: state file ${file} is not JSON \\(.+\\); fix it`)),
      ]);
      expect(r.stdout).toBe('');
      expect(readFileSync(file, 'utf8')).toBe('{"format": "cloudfront-cd-emulator-state/1", "distributions": [');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists --site and --state in the help', async () => {
    const r = await run(['--help']);
    expect(r.stdout).toMatch(/^usage: npm run emulator -- \[--site\] \[--state FILE\] \[--port N\]/);
    expect(r.stdout).toContain('--site ');
    expect(r.stdout).toContain('--state FILE ');
  });
});

describe('the docs state the defaults npm run emulator has', () => {
  /** `--flag N … (default D)` in the help, for every option with a default. */
  async function helpDefaults(): Promise<Record<string, string>> {
    const { stdout } = await run(['--help']);
    return Object.fromEntries(
      [...stdout.matchAll(/^\s+(--[a-z-]+) N\s.*\(default (\d+)\)$/gm)].map((m) => [m[1]!, m[2]!] as [string, string]),
    );
  }

  it.each([
    ['docs/local.md', /- \*\*The emulator\*\*[\s\S]*?\n {2}- /],
    ['local/emulator/README.md', /## `npm run emulator`[\s\S]*?\n## /],
  ])('%s', async (path, section) => {
    const text = section.exec(readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8'))?.[0];
    expect(text).toBeDefined();
    const stated = Object.fromEntries(
      [...text!.replace(/\s+/g, ' ').matchAll(/`(--[a-z-]+)`[^(`]*\(default ([^):]+)[):]/g)].map(
        (m) => [m[1]!, m[2]! === 'any free port' ? '0' : m[2]!] as [string, string],
      ),
    );
    const defaults = await helpDefaults();
    expect(Object.keys(defaults).sort()).toEqual([
      '--invalidation-ms',
      '--latency-ms',
      '--port',
      '--propagation-ms',
      '--seed',
    ]);
    expect(stated).toEqual(defaults);
  });
});
