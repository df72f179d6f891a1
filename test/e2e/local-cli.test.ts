import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = `${ROOT}node_modules/.bin/tsx`;

/** Runs `npm start`'s command line (local/pipeline/cli.ts) with `args`; resolves its exit code and output. */
function start(args: string[], timeout = 20_000, script = 'local/pipeline/cli.ts') {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(TSX, [script, ...args], { cwd: ROOT, timeout }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm start: usage errors', () => {
  it.each([
    [['--seed', '1.5'], '--seed must be a whole number from 0 to 4294967295, got "1.5"'],
    [['--bogus'], 'unknown option --bogus'],
    [['--seed'], '--seed needs a value'],
    [['--propagation-ms', '99999999'], '--propagation-ms must be a whole number of milliseconds from 0 to 30000'],
    [['--latency-ms=-1'], '--latency-ms must be a whole number of milliseconds from 0 to 2000, got "-1"'],
    [['--interactive', '--reject'], '--interactive and --reject exclude each other'],
    [['--reject=yes'], '--reject takes no value'],
    [['cycle1'], 'unexpected argument "cycle1" (every option starts with --)'],
  ])('%j answers one line naming the flag, the usage on stderr, exit 2, no stack trace', async (args, message) => {
    const { code, stdout, stderr } = await start(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const [first, ...rest] = stderr.trimEnd().split('\n');
    expect(first).toContain(`npm start: ${message}`);
    expect(rest[0]).toMatch(/^usage: npm start -- /);
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it.each([['-h'], ['--help']])('%s prints the usage on stdout and exits 0 without starting anything', async (flag) => {
    const { code, stdout, stderr } = await start([flag]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: npm start -- /);
    expect(stdout).not.toContain('emulator on');
    expect(stderr).toBe('');
  });
});

describe('npm run chaos: usage errors', () => {
  it.each([
    [['--seed', '1.5'], '--seed must be a whole number from 0 to 4294967295, got "1.5"'],
    [['--cycles', '0'], '--cycles must be a whole number from 1 to 10000, got "0"'],
    [['--recovery', 'pray'], '--recovery must be one of mixed, retry, rerun, got "pray"'],
    [['--bogus'], 'unknown option --bogus'],
  ])(
    '%j answers one line naming the flag, the usage on stderr, exit 2, before building anything',
    async (args, message) => {
      const { code, stdout, stderr } = await start([...args, '--build'], 20_000, 'local/chaos/cli.ts');
      expect(code).toBe(2);
      expect(stdout).toBe('');
      const [first, second] = stderr.split('\n');
      expect(first).toBe(`npm run chaos: ${message}`);
      expect(second).toMatch(/^usage: npm run chaos -- /);
      expect(stderr).not.toMatch(/^\s+at /m);
    },
  );
});
