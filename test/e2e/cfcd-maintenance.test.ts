import {
  GetContinuousDeploymentPolicyConfigCommand,
  GetDistributionConfigCommand,
  UpdateContinuousDeploymentPolicyCommand,
  UpdateDistributionCommand,
  type DistributionConfig,
} from '@aws-sdk/client-cloudfront';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../local/emulator/index.js';
import type { LocalClients } from '../../local/pipeline/aws.js';
import type { LocalSite } from '../../local/pipeline/site.js';
import { cfcdWorld } from './cfcd-world.js';
import { runCfcd } from './cfcd-process.js';

let emulator: Emulator;
let clients: LocalClients;
let site: LocalSite;
let stagingId: string;
let policyId: string;

beforeEach(async () => {
  ({ emulator, clients, site, stagingId, policyId } = await cfcdWorld(29));
});
afterEach(async () => {
  await emulator.close();
});

function cfcd(...args: string[]) {
  return runCfcd(args, { env: emulator.env });
}

async function primaryConfig() {
  return clients.cloudFront.send(new GetDistributionConfigCommand({ Id: site.primaryId }));
}

async function update(change: (c: DistributionConfig) => DistributionConfig) {
  const read = await primaryConfig();
  return clients.cloudFront.send(
    new UpdateDistributionCommand({
      Id: site.primaryId,
      IfMatch: read.ETag,
      DistributionConfig: change(read.DistributionConfig!),
    }),
  );
}

async function setPolicyEnabled(enabled: boolean) {
  const read = await clients.cloudFront.send(new GetContinuousDeploymentPolicyConfigCommand({ Id: policyId }));
  await clients.cloudFront.send(
    new UpdateContinuousDeploymentPolicyCommand({
      Id: policyId,
      IfMatch: read.ETag,
      ContinuousDeploymentPolicyConfig: { ...read.ContinuousDeploymentPolicyConfig!, Enabled: enabled },
    }),
  );
}

const tls = (c: DistributionConfig): DistributionConfig => ({
  ...c,
  ViewerCertificate: { ...c.ViewerCertificate, MinimumProtocolVersion: 'TLSv1.2_2021' },
});

/** The primary with the policy attached and disabled, as after a promotion or a rollback. */
async function attachedDisabled() {
  await update((c) => ({ ...c, ContinuousDeploymentPolicyId: policyId }));
  await setPolicyEnabled(false);
  emulator.settle();
}

describe('cfcd suspend and resume', () => {
  it('detaches, lets the TLS change through, and re-attaches the same disabled policy', async () => {
    await attachedDisabled();
    await expect(update(tls)).rejects.toMatchObject({ name: 'IllegalUpdate' });

    const suspended = await cfcd('suspend', '--primary', site.primaryId, '--yes', '--json');
    expect(suspended.code, suspended.stderr).toBe(0);
    expect(JSON.parse(suspended.stdout)).toMatchObject({
      action: 'suspend',
      result: 'succeeded',
      ContinuousDeploymentPolicyId: policyId,
      writes: ['detach-policy'],
    });
    expect((await primaryConfig()).DistributionConfig?.ContinuousDeploymentPolicyId).toBeFalsy();

    await update(tls);
    emulator.settle();

    const resumed = await cfcd('resume', '--primary', site.primaryId, '--staging', stagingId, '--yes', '--json');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ action: 'resume', writes: ['attach-policy'] });
    const after = (await primaryConfig()).DistributionConfig;
    expect(after).toMatchObject({
      ContinuousDeploymentPolicyId: policyId,
      ViewerCertificate: { MinimumProtocolVersion: 'TLSv1.2_2021' },
    });
    const policy = await clients.cloudFront.send(new GetContinuousDeploymentPolicyConfigCommand({ Id: policyId }));
    expect(policy.ContinuousDeploymentPolicyConfig?.Enabled).toBe(false);
  });

  it('re-runs are harmless: a second suspend and a second resume write nothing', async () => {
    await attachedDisabled();
    expect((await cfcd('suspend', '--primary', site.primaryId, '--yes')).code).toBe(0);
    const again = await cfcd('suspend', '--primary', site.primaryId, '--yes', '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ writes: [] });
    expect(JSON.parse(again.stdout).summary).toMatch(/already suspended/);
    expect((await cfcd('resume', '--primary', site.primaryId, '--policy', policyId, '--yes')).code).toBe(0);
    const twice = await cfcd('resume', '--primary', site.primaryId, '--policy', policyId, '--yes', '--json');
    expect(JSON.parse(twice.stdout)).toMatchObject({ writes: [] });
  });

  it('refuses while a canary is under review (policy enabled), naming abort and promote, and writes nothing', async () => {
    await update((c) => ({ ...c, ContinuousDeploymentPolicyId: policyId }));
    emulator.settle();
    emulator.clearRequestLog();
    const run = await cfcd('suspend', '--primary', site.primaryId, '--yes');
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/canary under review/);
    expect(run.stderr).toContain(`cfcd abort --primary ${site.primaryId}`);
    expect(run.stderr).toContain('cfcd promote');
    expect(emulator.requestLog().filter((r) => !/^(Get|List)/.test(r.operation))).toEqual([]);
  });

  it('asks on no terminal only with --yes', async () => {
    await attachedDisabled();
    const run = await cfcd('suspend', '--primary', site.primaryId);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/pass --yes/);
  });
});
