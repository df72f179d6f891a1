/**
 * infra/stack-trace.mjs on a real minified bundle: a function built the way esbuild.config.mjs builds them throws,
 * and the minified positions of its stack trace map back to the TypeScript lines.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const script = resolve(new URL('../../infra/stack-trace.mjs', import.meta.url).pathname);
let dir: string;
let trace: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stack-trace-'));
  writeFileSync(
    join(dir, 'boom.ts'),
    [
      'export function check(value: number): number {',
      '  if (value > 1) {',
      "    throw new Error('value too large');",
      '  }',
      '  return value;',
      '}',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'handler.ts'), "import { check } from './boom.js';\ncheck(2);\n");
  await build({
    entryPoints: [join(dir, 'handler.ts')],
    outfile: join(dir, 'dist', 'index.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    minify: true,
    sourcemap: true,
    logLevel: 'silent',
  });
  // As Lambda runs it: no --enable-source-maps, so the trace names minified positions.
  const run = spawnSync(process.execPath, [join(dir, 'dist', 'index.mjs')], { encoding: 'utf8' });
  trace = run.stderr;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function stackTrace(args: string[], input: string) {
  return spawnSync(process.execPath, [script, ...args], { input, encoding: 'utf8' });
}

describe('infra/stack-trace.mjs', () => {
  it('maps each minified index.mjs position of a trace to the TypeScript line that threw', () => {
    expect(trace).toMatch(/index\.mjs:\d+:\d+/);
    const run = stackTrace(['--map', join(dir, 'dist', 'index.mjs.map')], trace);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/index\.mjs:\d+:\d+ \[[^\]]*boom\.ts:3:\d+\]/);
    expect(run.stdout).toContain('value too large');
  });

  it('leaves lines without a bundle position as they are', () => {
    const run = stackTrace(['--map', join(dir, 'dist', 'index.mjs.map')], 'Error: nothing here\n');
    expect(run.stdout).toBe('Error: nothing here\n');
  });

  it('answers a usage error in one line and exit 2, and a missing build with exit 1', () => {
    const bogus = stackTrace(['--bogus'], '');
    expect(bogus.status).toBe(2);
    expect(bogus.stderr.split('\n')[0]).toMatch(/^stack-trace: .*--bogus/);
    expect(bogus.stderr).not.toMatch(/\n\s+at /);
    const none = stackTrace([], '');
    expect(none.status).toBe(2);
    const missing = stackTrace(['--map', join(dir, 'no-such.map')], '');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('does not exist: run npm run build first');
  });
});
