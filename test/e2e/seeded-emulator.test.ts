/**
 * `npm run emulator -- --site --state FILE` as a newcomer uses it: start it, copy the export lines and the cfcd
 * commands it prints, run each with the built CLI (dist/cli/cfcd.mjs, `npm run build`), stop it, start it again,
 * and find the site where the commands left it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CodePipelineClient, GetPipelineStateCommand } from '@aws-sdk/client-codepipeline';
import { afterEach, describe, expect, it } from 'vitest';
import { lambdaNode } from '../../local/pipeline/runtime-node.js';

const EMULATOR = fileURLToPath(new URL('../../local/emulator/cli.ts', import.meta.url));
const CFCD = join(process.cwd(), 'dist/cli/cfcd.mjs');
const CFCD_NODE = lambdaNode().path;

const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  /** stdout up to the blank line after the last cfcd command. */
  text: string;
  env: Record<string, string>;
  commands: string[][];
}

/** Starts the emulator and resolves once it has printed everything about the site. */
async function startEmulator(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', EMULATOR, ...args], {
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.setEncoding('utf8');
  const text = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      if (/\ncfcd promote [^\n]*\n\n/.test(out)) resolve(out);
    });
    child.once('exit', (code) => reject(new Error(`the emulator exited with ${code}: ${out}`)));
  });
  const env = Object.fromEntries(
    [...text.matchAll(/^export (\w+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!] as [string, string]),
  );
  const commands = [...text.matchAll(/^cfcd (.+)$/gm)].map((m) => m[1]!.split(' '));
  return { child, text, env, commands };
}

async function stop(child: ChildProcess): Promise<{ code: number | null; stdout: string }> {
  let stdout = '';
  child.stdout!.on('data', (c: string) => (stdout += c));
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout };
}

function cfcd(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(CFCD_NODE, [CFCD, ...args], {
      env: { ...process.env, ...env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const idOf = (text: string, what: string) => new RegExp(`^#   ${what} +(\\S+)`, 'm').exec(text)?.[1];

async function pipelineStages(env: Record<string, string>): Promise<string[]> {
  const client = new CodePipelineClient({
    endpoint: env.AWS_ENDPOINT_URL!,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  try {
    const state = await client.send(new GetPipelineStateCommand({ name: 'site-release' }));
    return (state.stageStates ?? []).map((s) => s.stageName ?? '');
  } finally {
    client.destroy();
  }
}

describe('npm run emulator -- --site --state FILE', () => {
  it('prints cfcd commands that work as printed, and a restart finds the site where they left it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seeded-emulator-'));
    dirs.push(dir);
    const file = join(dir, 'state.json');
    const args = ['--site', '--state', file, '--propagation-ms', '150', '--invalidation-ms', '150'];

    const first = await startEmulator(args);
    expect(first.text).toContain('seeded now');
    const ids = { primary: idOf(first.text, 'primary'), staging: idOf(first.text, 'staging') };
    const policy = idOf(first.text, 'policy');
    expect(ids.primary).toMatch(/^E[A-Z0-9]{13}$/);
    expect(ids.staging).toMatch(/^E[A-Z0-9]{13}$/);
    expect(policy).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.env).toMatchObject({ AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test' });
    expect(await pipelineStages(first.env)).toEqual(['Source', 'Release']);

    expect(first.commands.map((c) => c.slice(0, c[0] === 'plan' ? 2 : 1).join(' '))).toEqual([
      'status',
      'plan enable-cd',
      'enable-cd',
      'abort',
      'enable-cd',
      'promote',
    ]);
    const outputs: string[] = [];
    for (const command of first.commands) {
      const run = await cfcd(command, first.env);
      expect({ command: command.join(' '), code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
      outputs.push(run.stdout);
    }
    expect(outputs[0]).toContain(`Primary  ${ids.primary}  Deployed`);
    expect(outputs[0]).toContain('Policy   none attached');
    expect(outputs[1]).toContain('origin path "/v1" → "/v2"');
    expect(outputs[2]).toMatch(/✓ enable-cd done .*continuous deployment is live/);
    expect(outputs[3]).toMatch(/✓ abort done .*all traffic is on primary/);
    expect(outputs[4]).toMatch(/✓ enable-cd done/);
    expect(outputs[5]).toMatch(/✓ promote done .*primary \S+ serves the config of staging/);

    const stopped = await stop(first.child);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain(`state saved to ${file}`);

    const second = await startEmulator(args);
    expect(second.text).toContain(`state restored from ${file}`);
    expect(second.text).toContain('--site seeds only an empty emulator');
    expect(second.text).not.toContain('seeded now');
    expect({ primary: idOf(second.text, 'primary'), staging: idOf(second.text, 'staging') }).toEqual(ids);
    expect(idOf(second.text, 'policy')).toBe(policy);
    expect(await pipelineStages(second.env)).toEqual(['Source', 'Release']);
    const status = await cfcd(second.commands[0]!, second.env);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`Policy   ${policy}  disabled`);
    expect(status.stdout).toContain('Staging  same config as the primary');
  }, 120_000);
});
