/** `npm run emulator` (local/emulator/cli.ts), run as a user runs it: a child process on 127.0.0.1. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
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
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
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

describe('npm run emulator', () => {
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
