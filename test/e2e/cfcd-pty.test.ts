/**
 * cfcd's confirmation in a real pseudo-terminal: util-linux `script` runs the built CLI on a pty (so stdin and stdout
 * are terminals, as for a person), and the test types the answer. No, then yes; and what happens when the live state
 * changes between the plan shown and the answer.
 */
import { cfcdWorld } from './cfcd-world.js';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  GetContinuousDeploymentPolicyCommand,
  GetDistributionCommand,
  UpdateContinuousDeploymentPolicyCommand,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../local/emulator/index.js';
import type { LocalClients } from '../../local/pipeline/aws.js';
import { type LocalSite, SITE_BUCKET } from '../../local/pipeline/site.js';
import { lambdaNode } from '../../local/pipeline/runtime-node.js';

/** cfcd runs on the operator's Node (22 or 24): here the Lambda runtime's Node 24 when installed. */
const CFCD_NODE = lambdaNode().path;

const CLI = join(process.cwd(), 'dist/cli/cfcd.mjs');

/** util-linux `script` (the BSD one, on macOS, takes other flags): without it these tests are skipped, and say so. */
const utilLinuxScript = /util-linux/.test(spawnSync('script', ['--version'], { encoding: 'utf8' }).stdout ?? '');

let emulator: Emulator;
let clients: LocalClients;
let site: LocalSite;
let stagingId: string;
let policyId: string;

beforeEach(async () => {
  ({ emulator, clients, site, stagingId, policyId } = await cfcdWorld(5));
});
afterEach(async () => {
  await emulator.close();
});

const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

/**
 * Runs cfcd on a pseudo-terminal; when the prompt appears, runs `meanwhile` (another writer, say), then types
 * `answer` and Enter. Resolves with the exit code and everything the terminal showed.
 */
function onTerminal(
  args: string[],
  answer: string,
  options: { env?: Record<string, string>; meanwhile?: () => Promise<void> } = {},
) {
  return new Promise<{ code: number | null; screen: string }>((resolve, reject) => {
    const command = [CFCD_NODE, CLI, ...args].map(quote).join(' ');
    // -q quiet, -e the child's exit code, -f flush at once, -c the command; the typescript file is not wanted.
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      env: { ...process.env, ...emulator.env, TERM: 'xterm', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    let asked = false;
    child.stdout.on('data', async (d) => {
      screen += d;
      if (asked || !screen.includes('[y/N]')) return;
      asked = true;
      await options.meanwhile?.();
      child.stdin.write(`${answer}\r`);
    });
    child.stderr.on('data', (d) => {
      screen += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, screen }));
  });
}

const plain = (screen: string) => screen.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replaceAll('\r', '');
const promoted = () => emulator.requestLog().some((r) => r.operation === 'UpdateDistributionWithStagingConfig');
const writes = () => emulator.requestLog().filter((r) => !/^(Get|List|Head)/.test(r.operation));
const enableCdArgs = () => [
  'enable-cd',
  '--primary',
  site.primaryId,
  '--staging',
  stagingId,
  '--policy',
  policyId,
  '--bucket',
  SITE_BUCKET,
];

describe.skipIf(!utilLinuxScript)('cfcd asks before applying, on a terminal (util-linux script)', () => {
  it('answering no changes nothing (exit 1); answering yes applies (exit 0)', async () => {
    const no = await onTerminal(enableCdArgs(), 'n');
    expect(no.code).toBe(1);
    // Routing viewers to the staging waits for its cache invalidation: a later pass decides it, hence "carry on".
    expect(plain(no.screen)).toMatch(
      /1\. grant-bucket-read: .*\n\s+2\. invalidate-cache: .*\nHeld\s+routing viewers to staging .*[\s\S]*Apply these 2 changes and carry on\? \[y\/N\] n/,
    );
    expect(plain(no.screen)).toMatch(/cfcd enable-cd: you answered no; nothing was changed/);
    expect(writes()).toEqual([]);

    const yes = await onTerminal(enableCdArgs(), 'y');
    expect(yes.code).toBe(0);
    expect(plain(yes.screen)).toMatch(
      new RegExp(`✓ invalidate-cache: distribution ${stagingId}, [\\s\\S]*✓ attach-policy: primary ${site.primaryId}`),
    );
    expect(plain(yes.screen)).toMatch(/✓ enable-cd done in/);
    expect(
      (await clients.cloudFront.send(new GetDistributionCommand({ Id: site.primaryId }))).Distribution
        ?.DistributionConfig?.ContinuousDeploymentPolicyId,
    ).toBe(policyId);
  });

  it('colours the terminal, and not with NO_COLOR', async () => {
    const coloured = await onTerminal(enableCdArgs(), 'n');
    expect(coloured.screen).toMatch(/\x1b\[1mcfcd enable-cd: the plan\x1b\[22m/);
    const uncoloured = await onTerminal(enableCdArgs(), 'n', { env: { NO_COLOR: '1' } });
    expect(uncoloured.screen).not.toMatch(/\x1b\[1m/);
    expect(uncoloured.screen).toContain('cfcd enable-cd: the plan');
  });

  it('refuses (exit 3, no write) when another writer changed what the confirmed plan was made from', async () => {
    // A plan that is the whole story of its pass (nothing held for later passes): the staging's caches were
    // invalidated by an earlier enable-cd, and someone detached the policy by hand, leaving it enabled.
    expect((await onTerminal(enableCdArgs(), 'y')).code).toBe(0);
    const primary = await clients.cloudFront.send(new GetDistributionCommand({ Id: site.primaryId }));
    await clients.cloudFront.send(
      new UpdateDistributionCommand({
        Id: site.primaryId,
        IfMatch: primary.ETag,
        DistributionConfig: { ...primary.Distribution!.DistributionConfig!, ContinuousDeploymentPolicyId: '' },
      }),
    );
    emulator.settle();
    // The policy is disabled by someone else while the person reads the plan: enabling it was not confirmed.
    const run = await onTerminal(enableCdArgs(), 'y', {
      env: { NO_COLOR: '1' },
      meanwhile: async () => {
        const p = await clients.cloudFront.send(new GetContinuousDeploymentPolicyCommand({ Id: policyId }));
        const config = p.ContinuousDeploymentPolicy?.ContinuousDeploymentPolicyConfig;
        await clients.cloudFront.send(
          new UpdateContinuousDeploymentPolicyCommand({
            Id: policyId,
            IfMatch: p.ETag,
            ContinuousDeploymentPolicyConfig: { ...config!, Enabled: false },
          }),
        );
        emulator.clearRequestLog();
      },
    });
    expect(plain(run.screen)).toMatch(/1\. attach-policy: .*\n[\s\S]*Apply this change\? \[y\/N\] y/);
    expect(run.code).toBe(3);
    expect(plain(run.screen)).toMatch(
      /refused: the live state changed since you confirmed the plan; the action now plans: .*enable-policy/,
    );
    expect(writes()).toEqual([]);
  });

  it('promotes only the staging config that was shown: a staging changed meanwhile is refused, not promoted', async () => {
    const enabled = await onTerminal(enableCdArgs(), 'y');
    expect(enabled.code).toBe(0);
    emulator.settle();
    const run = await onTerminal(['promote', '--primary', site.primaryId, '--staging', stagingId], 'y', {
      env: { NO_COLOR: '1' },
      meanwhile: async () => {
        // A newer release's staging stack deploy lands while the person reads the plan.
        const s = await clients.cloudFront.send(new GetDistributionCommand({ Id: stagingId }));
        await clients.cloudFront.send(
          new UpdateDistributionCommand({
            Id: stagingId,
            IfMatch: s.ETag,
            DistributionConfig: { ...s.Distribution!.DistributionConfig!, Comment: 'release v3' },
          }),
        );
        emulator.settle();
      },
    });
    expect(run.code).toBe(3);
    expect(plain(run.screen)).toMatch(
      /refused: staging \w+ has ETag \w+, but the config the reviewer approved had ETag/,
    );
    expect(promoted()).toBe(false);
  });
});
