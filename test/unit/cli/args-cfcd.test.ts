/**
 * cfcd's command lines as runCli reads them, in-process: a flag with a value given twice, a staging that is the
 * primary, and an argument of any size are usage errors (exit 2, one line naming the flag, the echo cut), and nothing
 * reaches AWS — a local endpoint counts every request.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/program.js';

const PRIMARY = 'E2QWRUHAPOMQZL';
const OTHER = 'E1ABCDEFGHIJKL';
const POLICY = '0f8fad5b-d9cb-469f-a165-70867728950e';

let requests = 0;
let server: http.Server;
const saved = { ...process.env };

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    requests++;
    res.statusCode = 500;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
});
afterAll(async () => {
  process.env = saved;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Runs cfcd in-process; stdin is not a terminal. */
async function cfcd(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const stream = (key: keyof typeof out) => {
    const s = new PassThrough();
    s.on('data', (d: Buffer) => {
      out[key] += d.toString('utf8');
    });
    return s;
  };
  const code = await runCli(argv, {
    stdout: stream('stdout'),
    stderr: stream('stderr'),
    stdin: new PassThrough(),
    env: { NO_COLOR: '1' },
  });
  return { code, ...out };
}

describe('cfcd refuses, before any AWS call', () => {
  it.each([
    [
      'a repeated --primary (the last would win)',
      ['status', '--primary', PRIMARY, '--primary', OTHER],
      `cfcd status: --primary is given twice ("${PRIMARY}", "${OTHER}"); give it once`,
    ],
    [
      'a repeated --staging on a write',
      ['enable-cd', '--primary', PRIMARY, '--staging', OTHER, '--staging', 'E3ABCDEFGHIJKL', '--policy', POLICY],
      `cfcd enable-cd: --staging is given twice ("${OTHER}", "E3ABCDEFGHIJKL"); give it once`,
    ],
    [
      'a repeated --mode',
      ['abort', '--primary', PRIMARY, '--mode', 'disable', '--mode=teardown', '--yes'],
      'cfcd abort: --mode is given twice ("disable", "teardown"); give it once',
    ],
    [
      'status with --staging equal to --primary',
      ['status', '--primary', PRIMARY, '--staging', PRIMARY],
      `cfcd status: --staging must differ from --primary (both are ${PRIMARY})`,
    ],
    [
      'promote with --staging equal to --primary',
      ['plan', 'promote', '--primary', PRIMARY, '--staging', PRIMARY],
      `cfcd plan promote: --staging must differ from --primary (both are ${PRIMARY})`,
    ],
    [
      'enable-cd with --staging equal to --primary',
      ['enable-cd', '--primary', PRIMARY, '--staging', PRIMARY, '--policy', POLICY, '--yes'],
      `cfcd enable-cd: --staging must differ from --primary (both are ${PRIMARY})`,
    ],
  ])('%s', async (_name, argv, line) => {
    const run = await cfcd(...argv);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(line);
    expect(run.stdout).toBe('');
    expect(requests).toBe(0);
  });

  it.each([
    [['z'.repeat(100_000)], 'cfcd: unknown command "zzz'],
    [['plan', 'z'.repeat(100_000)], 'cfcd plan: unknown action "zzz'],
    [['status', `--${'z'.repeat(100_000)}`], 'cfcd status: unknown option --zzz'],
    [['status', 'z'.repeat(100_000)], 'cfcd status: unexpected argument "zzz'],
    [['status', '--primary', PRIMARY, '--region', 'z'.repeat(100_000)], 'cfcd status: --region: "zzz'],
    [['status', '--primary', 'z'.repeat(100_000)], 'cfcd status: --primary: "zzz'],
    [['cleanup', '--delete', 'z'.repeat(100_000)], 'cfcd cleanup: --delete: "zzz'],
    [
      ['staging-template', '--primary', PRIMARY, '--traffic', 'header', '--header', 'z'.repeat(100_000)],
      'cfcd staging-template: --header must start with aws-cf-cd- (CloudFront\'s rule), got "zzz',
    ],
    [
      ['staging-template', '--primary', PRIMARY, '--traffic', 'header', '--header-value', '/'.repeat(100_000)],
      'cfcd staging-template: --header-value may hold letters, digits, . _ and - only, got "///',
    ],
  ])('a 100 KB argument is echoed cut to 80 characters: %#', async (argv, start) => {
    const run = await cfcd(...argv);
    expect(run.code).toBe(2);
    const first = run.stderr.split('\n')[0] as string;
    expect(first.startsWith(start), first.slice(0, 60)).toBe(true);
    expect(first.length).toBeLessThan(300); // the cut echo plus the list of commands, which grows
    expect(run.stderr.length).toBeLessThan(1000);
    expect(requests).toBe(0);
  });

  it('with --json, the error document carries the cut echo too', async () => {
    const run = await cfcd('status', '--json', `--${'z'.repeat(100_000)}`);
    expect(run.code).toBe(2);
    expect(run.stdout.length).toBeLessThan(1000);
    expect(JSON.parse(run.stdout)).toEqual({
      error: { kind: 'usage', message: expect.stringMatching(/^unknown option --z{78}…$/) },
    });
  });
});
