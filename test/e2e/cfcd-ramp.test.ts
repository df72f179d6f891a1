/**
 * `cfcd ramp` end to end: the built CLI against the emulator. Its flags come from the ramp's UserParameters and are
 * checked by the ramp's own parser; a dry run plans with the ramp's own planner. (A whole ladder takes whole minutes
 * of metrics per step: test/e2e/ramp.test.ts runs it on the Lambda bundle with virtual time.)
 */
import { GetContinuousDeploymentPolicyCommand } from '@aws-sdk/client-cloudfront';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../local/emulator/index.js';
import type { LocalClients } from '../../local/pipeline/aws.js';
import { type LocalSite, SITE_BUCKET } from '../../local/pipeline/site.js';
import { runCfcd } from './cfcd-process.js';
import { cfcdWorld } from './cfcd-world.js';

let emulator: Emulator;
let clients: LocalClients;
let site: LocalSite;
let stagingId: string;
let policyId: string;

beforeEach(async () => {
  ({ emulator, clients, site, stagingId, policyId } = await cfcdWorld(5));
  const enable = await cfcd(
    'enable-cd',
    ...['--primary', site.primaryId, '--staging', stagingId, '--policy', policyId, '--bucket', SITE_BUCKET, '--yes'],
  );
  if (enable.code !== 0) throw new Error(`cfcd enable-cd failed: ${enable.stderr}`);
  emulator.clearRequestLog();
});
afterEach(async () => {
  await emulator.close();
});

const cfcd = (...args: string[]) => runCfcd(args, { env: emulator.env });
const writes = () =>
  emulator
    .requestLog()
    .map((r) => r.operation)
    .filter((op) => !/^(Get|List|Head|Describe)/.test(op));
const rampFlags = (...extra: string[]) => [
  '--primary',
  site.primaryId,
  '--staging',
  stagingId,
  '--max-staging-5xx-error-rate',
  '5',
  ...extra,
];
async function trafficType(): Promise<string | undefined> {
  const out = await clients.cloudFront.send(new GetContinuousDeploymentPolicyCommand({ Id: policyId }));
  return out.ContinuousDeploymentPolicy?.ContinuousDeploymentPolicyConfig?.TrafficConfig?.Type;
}

describe('cfcd ramp', () => {
  it('lists its options in --help, the ladder among them', async () => {
    const help = await cfcd('ramp', '--help');
    expect(help.code).toBe(0);
    for (const flag of ['--steps', '--step-minutes', '--probes', '--probe-base-url', '--expected-staging-etag'])
      expect(help.stdout).toContain(flag);
  });

  it('refuses bad --steps in one line naming the flag, exit 2, calling nothing', async () => {
    for (const steps of ['[]', '[5, 1]', '[1, 20]', '["1"]']) {
      const run = await cfcd('ramp', ...rampFlags('--steps', steps, '--yes'));
      expect(run.code, steps).toBe(2);
      expect(run.stderr, steps).toMatch(/--steps/);
    }
    expect(emulator.requestLog()).toEqual([]);
  });

  it('plans the first step from the live state without writing: the ladder starts at its first weight', async () => {
    const before = emulator.state();
    const plan = await cfcd('plan', 'ramp', ...rampFlags('--steps', '[1, 5, 15]', '--json'));
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout)).toMatchObject({
      dryRun: true,
      action: 'ramp',
      changes: [{ kind: 'set-weight', reason: expect.stringContaining('the ladder starts at 1%') }],
      next: { kind: 'wait', phase: 'propagating' },
    });
    expect(writes()).toEqual([]);
    expect(emulator.state()).toEqual(before);
  });

  it('stops at failed probes with exit 3, no write, and the policy still on header routing', async () => {
    emulator.setReleaseFailure('/v2', 1, 503);
    const probeBase = `${emulator.url}/_viewer/${site.primaryDomain}`;
    const run = await cfcd(
      'ramp',
      ...rampFlags('--steps', '[1, 5]', '--probes', '["/"]', '--probe-base-url', probeBase, '--yes'),
    );
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('smoke probes failed');
    expect(run.stderr).toContain('/: HTTP 503, expected 200');
    expect(writes()).toEqual([]);
    expect(await trafficType()).toBe('SingleHeader');
  });
});
