/**
 * A continuation token is a bookmark, not an authority (issue 27): forged and stale tokens against the built bundles
 * (the local Lambda workers, as CodePipeline would deliver them) and against the built cfcd's `--resume`. Each case
 * is one the security review reproduced: a token that deleted an unrelated policy, reported a promotion that never
 * happened, turned the wait limit off, or promoted a staging nobody confirmed.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateContinuousDeploymentPolicyCommand,
  CreateDistributionCommand,
  GetContinuousDeploymentPolicyCommand,
  GetDistributionCommand,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../local/emulator/index.js';
import type { LocalClients } from '../../local/pipeline/aws.js';
import type { LocalLambda } from '../../local/pipeline/lambda.js';
import { codePipelineEvent } from '../../local/pipeline/local-codepipeline.js';
import { SITE_BUCKET, siteDistributionConfig } from '../../local/pipeline/site.js';
import { cfcdWorld, type CfcdWorld } from './cfcd-world.js';
import { type Harness, operations, startHarness } from './harness.js';
import { runCfcd } from './cfcd-process.js';

const token = (phase: string, data: Record<string, string> = {}, startedAt = Date.now()) =>
  JSON.stringify({ v: 1, phase, startedAt, data });

/** A second staging with its own enabled policy, attached nowhere: another team's, say. */
async function unrelatedPolicy(clients: LocalClients): Promise<string> {
  const staging = await clients.cloudFront.send(
    new CreateDistributionCommand({ DistributionConfig: siteDistributionConfig('other-team', '/v9', true) }),
  );
  const policy = await clients.cloudFront.send(
    new CreateContinuousDeploymentPolicyCommand({
      ContinuousDeploymentPolicyConfig: {
        StagingDistributionDnsNames: { Quantity: 1, Items: [staging.Distribution?.DomainName as string] },
        Enabled: true,
        TrafficConfig: { Type: 'SingleWeight', SingleWeightConfig: { Weight: 0.05 } },
      },
    }),
  );
  return policy.ContinuousDeploymentPolicy?.Id as string;
}

const policyExists = (clients: LocalClients, id: string) =>
  clients.cloudFront.send(new GetContinuousDeploymentPolicyCommand({ Id: id })).then(
    () => true,
    () => false,
  );

describe('forged tokens against the built bundles', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  /** Delivers one job of `fn` with `continuationToken`, as CodePipeline would, and returns its one report. */
  async function deliver(harness: Harness, fn: string, params: unknown, continuationToken: string) {
    const jobId = randomUUID();
    const lambda = harness.lambdas[fn] as LocalLambda;
    await lambda.invoke(codePipelineEvent(jobId, fn, JSON.stringify(params), continuationToken));
    const reports = harness.emulator.jobResults(jobId);
    expect(reports).toHaveLength(1);
    return reports[0] as NonNullable<(typeof reports)[0]>;
  }

  it('a teardown with a forged "detached" token deletes no unrelated policy and reports no success', async () => {
    h = await startHarness();
    const outputs = await h.deployStaging();
    expect(await h.job('enable-cd', h.enableCdParams(outputs))).toMatchObject({ ok: true });
    const other = await unrelatedPolicy(h.clients);
    h.emulator.clearRequestLog();

    const report = await deliver(
      h,
      'abort',
      { PrimaryDistributionId: h.site.primaryId, Mode: 'teardown' },
      token('detached', { policyId: other, written: 'disable-policy,detach-policy' }),
    );
    expect(report).toMatchObject({
      kind: 'failure',
      message: expect.stringContaining(`but the continuation token names policy ${other}`),
    });
    expect(operations(h.emulator).filter((op) => !/^(Get|List|PutJob)/.test(op))).toEqual([]);
    expect(await policyExists(h.clients, other)).toBe(true);
    // The real canary was not left running behind a success: it is still there, and the job failed.
    expect(await h.attachedPolicy()).toBe(outputs.ContinuousDeploymentPolicyId);
    expect(await h.policyEnabled(outputs.ContinuousDeploymentPolicyId)).toBe(true);
  });

  it('promote with a forged "promoted" token reports no success with its outputs and promotes nothing', async () => {
    h = await startHarness();
    const outputs = await h.deployStaging();
    expect(await h.job('enable-cd', h.enableCdParams(outputs))).toMatchObject({ ok: true });
    // Anyone who can read the primary can copy its ETag into a token.
    const primary = await h.clients.cloudFront.send(new GetDistributionCommand({ Id: h.site.primaryId }));
    h.emulator.clearRequestLog();

    const report = await deliver(
      h,
      'promote',
      { PrimaryDistributionId: h.site.primaryId, StagingDistributionId: outputs.StagingDistributionId },
      token('promoted', {
        changes: 'none worth reading',
        policyEnabled: 'false',
        note: 'all done',
        etagAfterPromote: primary.ETag as string,
        StagingRequests: '1000000',
      }),
    );
    expect(report).toMatchObject({
      kind: 'failure',
      message: expect.stringContaining('no promotion happened, whatever the continuation token says'),
    });
    expect(operations(h.emulator)).not.toContain('CreateInvalidation');
    expect(operations(h.emulator)).not.toContain('UpdateDistributionWithStagingConfig');
    expect(await h.viewer()).toBe('v1');
  });

  it('a token starting in the future is counted from the pass that saw it, so MaxWaitMinutes still applies', async () => {
    h = await startHarness({ propagationMs: 600_000 });
    const outputs = await h.deployStaging();
    const inTenYears = Date.now() + 10 * 365 * 24 * 3_600_000;
    const before = Date.now();
    const report = await deliver(
      h,
      'abort',
      { PrimaryDistributionId: h.site.primaryId, Mode: 'disable', MaxWaitMinutes: 1 },
      token('propagating', {}, inTenYears),
    );
    expect(outputs.StagingDistributionId).toBeTruthy();
    expect(report.kind).toBe('success');
    const next = JSON.parse((report as { continuationToken: string }).continuationToken) as { startedAt: number };
    expect(next.startedAt).toBeGreaterThanOrEqual(before);
    expect(next.startedAt).toBeLessThanOrEqual(Date.now());
  });
});

const HEADER = { 'aws-cf-cd-staging': 'true' };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('forged and stale tokens against cfcd --resume', () => {
  let world: CfcdWorld;
  let emulator: Emulator;
  afterEach(async () => {
    await emulator.close();
  });

  /** Spawns the built CLI with stdin not a terminal; `onStderr` sees its stderr as it comes (e.g. to press Ctrl-C). */
  function cfcd(args: string[], onStderr?: (text: string, interrupt: () => void) => void): Promise<Run> {
    return runCfcd(args, {
      env: emulator.env,
      ...(onStderr ? { onStderr: (text, child) => onStderr(text, () => child.kill('SIGINT')) } : {}),
    });
  }

  const enableCd = () =>
    cfcd([
      'enable-cd',
      '--primary',
      world.site.primaryId,
      '--staging',
      world.stagingId,
      '--policy',
      world.policyId,
      '--bucket',
      SITE_BUCKET,
      '--yes',
    ]);

  async function viewer(headers?: Record<string, string>): Promise<string> {
    const r = await emulator.viewer(world.site.primaryDomain, '/', headers ? { headers } : undefined);
    return r.status === 200 ? (/site (v\d+)/.exec(r.body)?.[1] ?? r.body) : `HTTP ${r.status}`;
  }

  /** A newer release lands on the staging: its origin path moves to `/v3`. */
  async function stagingToV3(): Promise<void> {
    const { cloudFront } = world.clients;
    const current = await cloudFront.send(new GetDistributionCommand({ Id: world.stagingId }));
    const config = current.Distribution?.DistributionConfig;
    if (!config?.Origins?.Items) throw new Error('the staging has no origins');
    const Items = config.Origins.Items.map((o) => ({ ...o, OriginPath: '/v3' }));
    await cloudFront.send(
      new UpdateDistributionCommand({
        Id: world.stagingId,
        IfMatch: current.ETag,
        DistributionConfig: { ...config, Origins: { ...config.Origins, Items } },
      }),
    );
    emulator.settle();
  }

  it('promote --resume after the staging changed refuses, and its printed command pins the confirmed ETag', async () => {
    world = await cfcdWorld(5);
    ({ emulator } = world);
    expect((await enableCd()).code).toBe(0);
    const reviewed = (await world.clients.cloudFront.send(new GetDistributionCommand({ Id: world.stagingId }))).ETag;
    // Confirm a promote of /v1 -> /v2; the gate waits for staging traffic, and Ctrl-C stops it there.
    let pressed = false;
    const args = ['promote', '--primary', world.site.primaryId, '--staging', world.stagingId];
    const run = await cfcd([...args, '--min-staging-requests', '5', '--yes'], (stderr, interrupt) => {
      if (pressed || !stderr.includes('waiting for')) return;
      pressed = true;
      interrupt();
    });
    expect(run.code, run.stderr).toBe(130);
    const resume = /To carry on: cfcd (.*)$/m.exec(run.stderr)?.[1] as string;
    expect(resume).toContain(`--expected-staging-etag ${reviewed}`);

    await stagingToV3();
    for (let i = 0; i < 5; i++) await viewer(HEADER);
    emulator.clearRequestLog();

    const resumed = await cfcd(resume.split(' '));
    expect(resumed.code, resumed.stderr).toBe(3);
    expect(resumed.stderr).toMatch(/staging was changed after it was reviewed/);
    // Without the flag, the token's own pin refuses just the same.
    const withoutFlag = resume.replace(/ --expected-staging-etag \S+/, '');
    const bare = await cfcd(withoutFlag.split(' '));
    expect(bare.code, bare.stderr).toBe(3);
    expect(bare.stderr).toMatch(/staging was changed after it was reviewed/);
    expect(operations(emulator)).not.toContain('UpdateDistributionWithStagingConfig');
    expect(await viewer()).toBe('v1');
  });

  it('a hand-made "waiting-to-promote" token with stdin not a terminal and no --yes is refused, naming --yes', async () => {
    world = await cfcdWorld(6);
    ({ emulator } = world);
    expect((await enableCd()).code).toBe(0);
    emulator.clearRequestLog();
    const handMade = Buffer.from(token('waiting-to-promote'), 'utf8').toString('base64url');
    const run = await cfcd([
      'promote',
      '--primary',
      world.site.primaryId,
      '--staging',
      world.stagingId,
      '--resume',
      handMade,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/stdin is not a terminal.*pass --yes/);
    expect(operations(emulator)).toEqual([]);
    expect(await viewer()).toBe('v1');
  });

  it('abort --resume with a forged "detached" token leaves the unrelated policy and the real canary as they are', async () => {
    world = await cfcdWorld(7);
    ({ emulator } = world);
    expect((await enableCd()).code).toBe(0);
    const other = await unrelatedPolicy(world.clients);
    const forged = Buffer.from(token('detached', { policyId: other }), 'utf8').toString('base64url');
    const run = await cfcd([
      'abort',
      '--primary',
      world.site.primaryId,
      '--mode',
      'teardown',
      '--resume',
      forged,
      '--yes',
    ]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain(`but the --resume token names policy ${other}`);
    expect(await policyExists(world.clients, other)).toBe(true);
    expect(await policyExists(world.clients, world.policyId)).toBe(true);
  });
});
