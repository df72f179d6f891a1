import {
  CreateContinuousDeploymentPolicyCommand,
  DeleteContinuousDeploymentPolicyCommand,
  GetContinuousDeploymentPolicyConfigCommand,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  UpdateContinuousDeploymentPolicyCommand,
  UpdateDistributionCommand,
  UpdateDistributionWithStagingConfigCommand,
  type ContinuousDeploymentPolicyConfig,
  type TrafficConfig,
} from '@aws-sdk/client-cloudfront';
import { afterEach, describe, expect, it } from 'vitest';
import { cdWorld, createDistribution, failure, harness, setPolicyId, siteConfig, type Harness } from './helpers.js';

let h: Harness;
afterEach(async () => h?.close());

describe('continuous deployment policies', () => {
  it.each<[string, TrafficConfig]>([
    [
      'a header without the aws-cf-cd- prefix',
      { Type: 'SingleHeader', SingleHeaderConfig: { Header: 'x-staging', Value: 'true' } },
    ],
    ['a weight above 0.15', { Type: 'SingleWeight', SingleWeightConfig: { Weight: 0.2 } }],
    [
      'an IdleTTL below 300 s',
      {
        Type: 'SingleWeight',
        SingleWeightConfig: { Weight: 0.1, SessionStickinessConfig: { IdleTTL: 299, MaximumTTL: 600 } },
      },
    ],
    [
      'a MaximumTTL above 3600 s',
      {
        Type: 'SingleWeight',
        SingleWeightConfig: { Weight: 0.1, SessionStickinessConfig: { IdleTTL: 300, MaximumTTL: 3601 } },
      },
    ],
    [
      'an IdleTTL above MaximumTTL',
      {
        Type: 'SingleWeight',
        SingleWeightConfig: { Weight: 0.1, SessionStickinessConfig: { IdleTTL: 900, MaximumTTL: 600 } },
      },
    ],
  ])('refuses %s with InvalidArgument', async (_, traffic) => {
    h = await harness();
    const staging = await createDistribution(h, siteConfig('s', { staging: true }));
    const config: ContinuousDeploymentPolicyConfig = {
      Enabled: true,
      StagingDistributionDnsNames: { Quantity: 1, Items: [staging.domainName] },
      TrafficConfig: traffic,
    };
    expect(
      (
        await failure(
          h.cf.send(new CreateContinuousDeploymentPolicyCommand({ ContinuousDeploymentPolicyConfig: config })),
        )
      ).name,
    ).toBe('InvalidArgument');
  });

  it('refuses a policy naming a distribution that is not a staging distribution', async () => {
    h = await harness();
    const primary = await createDistribution(h, siteConfig('p'));
    const config: ContinuousDeploymentPolicyConfig = {
      Enabled: true,
      StagingDistributionDnsNames: { Quantity: 1, Items: [primary.domainName] },
      TrafficConfig: { Type: 'SingleWeight', SingleWeightConfig: { Weight: 0.1 } },
    };
    expect(
      (
        await failure(
          h.cf.send(new CreateContinuousDeploymentPolicyCommand({ ContinuousDeploymentPolicyConfig: config })),
        )
      ).name,
    ).toBe('InvalidArgument');
  });

  it('refuses a second policy for the same staging distribution', async () => {
    h = await harness();
    const { staging } = await cdWorld(h);
    const again = h.cf.send(
      new CreateContinuousDeploymentPolicyCommand({
        ContinuousDeploymentPolicyConfig: {
          Enabled: true,
          StagingDistributionDnsNames: { Quantity: 1, Items: [staging.domainName] },
          TrafficConfig: { Type: 'SingleWeight', SingleWeightConfig: { Weight: 0.05 } },
        },
      }),
    );
    expect(await failure(again)).toMatchObject({ name: 'StagingDistributionInUse', status: 409 });
  });

  it('returns a policy config as sent and changes its ETag on update', async () => {
    h = await harness();
    const { policyId, policyEtag, staging } = await cdWorld(h);
    const read = await h.cf.send(new GetContinuousDeploymentPolicyConfigCommand({ Id: policyId }));
    expect(read.ContinuousDeploymentPolicyConfig?.StagingDistributionDnsNames?.Items).toEqual([staging.domainName]);
    expect(read.ETag).toBe(policyEtag);
    const updated = await h.cf.send(
      new UpdateContinuousDeploymentPolicyCommand({
        Id: policyId,
        IfMatch: policyEtag,
        ContinuousDeploymentPolicyConfig: { ...read.ContinuousDeploymentPolicyConfig!, Enabled: false },
      }),
    );
    expect(updated.ETag).not.toBe(policyEtag);
    expect(
      (
        await failure(
          h.cf.send(
            new UpdateContinuousDeploymentPolicyCommand({
              Id: policyId,
              IfMatch: policyEtag,
              ContinuousDeploymentPolicyConfig: read.ContinuousDeploymentPolicyConfig!,
            }),
          ),
        )
      ).status,
    ).toBe(412);
  });
});

describe('attaching a policy to the primary', () => {
  it('attaches with the policy id, keeps it when the field is left out, and detaches with ""', async () => {
    h = await harness();
    const { primary, policyId } = await cdWorld(h);
    await setPolicyId(h, primary.id, policyId);
    expect(
      (await h.cf.send(new GetDistributionConfigCommand({ Id: primary.id }))).DistributionConfig
        ?.ContinuousDeploymentPolicyId,
    ).toBe(policyId);

    await setPolicyId(h, primary.id, undefined);
    expect(h.emulator.state().distributions.find((d) => d.id === primary.id)?.continuousDeploymentPolicyId).toBe(
      policyId,
    );

    await setPolicyId(h, primary.id, '');
    expect(
      h.emulator.state().distributions.find((d) => d.id === primary.id)?.continuousDeploymentPolicyId,
    ).toBeUndefined();
  });

  it('refuses a policy on an HTTP/3 distribution', async () => {
    h = await harness();
    const { policyId } = await cdWorld(h);
    const http3 = await createDistribution(h, siteConfig('h3', { httpVersion: 'http2and3' }));
    const refused = await failure(setPolicyId(h, http3.id, policyId));
    expect(refused.name).toBe('InvalidArgument');
    expect(refused.message).toMatch(/HTTP\/3/);
  });

  it('refuses a policy on a staging distribution and an unknown policy id', async () => {
    h = await harness();
    const { staging, primary, policyId } = await cdWorld(h);
    expect((await failure(setPolicyId(h, staging.id, policyId))).name).toBe('InvalidArgument');
    expect((await failure(setPolicyId(h, primary.id, '00000000-0000-0000-0000-000000000000'))).name).toBe(
      'NoSuchContinuousDeploymentPolicy',
    );
  });

  it('allows content changes while attached but refuses others until detached', async () => {
    h = await harness();
    const { primary, policyId } = await cdWorld(h);
    await setPolicyId(h, primary.id, policyId);
    let read = await h.cf.send(new GetDistributionConfigCommand({ Id: primary.id }));
    const comment = await h.cf.send(
      new UpdateDistributionCommand({
        Id: primary.id,
        IfMatch: read.ETag,
        DistributionConfig: { ...read.DistributionConfig!, Comment: 'new content', DefaultRootObject: 'home.html' },
      }),
    );
    read = await h.cf.send(new GetDistributionConfigCommand({ Id: primary.id }));
    expect(read.ETag).toBe(comment.ETag);
    const refused = await failure(
      h.cf.send(
        new UpdateDistributionCommand({
          Id: primary.id,
          IfMatch: read.ETag,
          DistributionConfig: { ...read.DistributionConfig!, PriceClass: 'PriceClass_All' },
        }),
      ),
    );
    expect(refused.name).toBe('IllegalUpdate');
    expect(refused.message).toContain('One or more fields updated are not supported for continuous deployment');
  });

  it('refuses to delete an attached policy, and to disable a staging distribution a policy names', async () => {
    h = await harness();
    const { primary, staging, policyId } = await cdWorld(h);
    await setPolicyId(h, primary.id, policyId);
    const etag = (await h.cf.send(new GetContinuousDeploymentPolicyConfigCommand({ Id: policyId }))).ETag;
    expect(
      await failure(h.cf.send(new DeleteContinuousDeploymentPolicyCommand({ Id: policyId, IfMatch: etag }))),
    ).toMatchObject({ name: 'ContinuousDeploymentPolicyInUse', status: 409 });

    const read = await h.cf.send(new GetDistributionConfigCommand({ Id: staging.id }));
    const disable = h.cf.send(
      new UpdateDistributionCommand({
        Id: staging.id,
        IfMatch: read.ETag,
        DistributionConfig: { ...read.DistributionConfig!, Enabled: false },
      }),
    );
    expect((await failure(disable)).name).toBe('StagingDistributionInUse');

    await setPolicyId(h, primary.id, '');
    await h.cf.send(new DeleteContinuousDeploymentPolicyCommand({ Id: policyId, IfMatch: etag }));
    expect(h.emulator.state().policies).toEqual([]);
  });

  it('puts the primary InProgress when its attached policy changes', async () => {
    h = await harness({ propagationMs: 1000 });
    const { primary, policyId } = await cdWorld(h);
    await setPolicyId(h, primary.id, policyId);
    h.emulator.settle();
    const read = await h.cf.send(new GetContinuousDeploymentPolicyConfigCommand({ Id: policyId }));
    await h.cf.send(
      new UpdateContinuousDeploymentPolicyCommand({
        Id: policyId,
        IfMatch: read.ETag,
        ContinuousDeploymentPolicyConfig: { ...read.ContinuousDeploymentPolicyConfig!, Enabled: false },
      }),
    );
    expect((await h.cf.send(new GetDistributionCommand({ Id: primary.id }))).Distribution?.Status).toBe('InProgress');
  });
});

describe('promoting the staging config', () => {
  it("copies the staging config onto the primary, keeps the primary's identity, and disables the policy", async () => {
    h = await harness({ propagationMs: 1000 });
    const { primary, staging, policyId, policyEtag } = await cdWorld(h);
    const attached = await setPolicyId(h, primary.id, policyId);
    h.emulator.settle();

    const promoted = await h.cf.send(
      new UpdateDistributionWithStagingConfigCommand({
        Id: primary.id,
        StagingDistributionId: staging.id,
        IfMatch: `${attached.ETag}, ${staging.etag}`,
      }),
    );
    const config = promoted.Distribution!.DistributionConfig!;
    expect(promoted.ETag).not.toBe(attached.ETag);
    expect(promoted.Distribution?.Status).toBe('InProgress');
    expect(config.Origins?.Items?.[0]?.OriginPath).toBe('/v2');
    expect(config.Comment).toBe('staging');
    expect(config).toMatchObject({
      CallerReference: 'production',
      Aliases: { Quantity: 1, Items: ['www.example.com'] },
      ContinuousDeploymentPolicyId: policyId,
      Staging: false,
    });

    const policy = await h.cf.send(new GetContinuousDeploymentPolicyConfigCommand({ Id: policyId }));
    expect(policy.ContinuousDeploymentPolicyConfig?.Enabled).toBe(false);
    expect(policy.ETag).not.toBe(policyEtag);
  });

  it('needs both current ETags, primary first', async () => {
    h = await harness();
    const { primary, staging, policyId } = await cdWorld(h);
    const attached = await setPolicyId(h, primary.id, policyId);
    const send = (ifMatch: string) =>
      h.cf.send(
        new UpdateDistributionWithStagingConfigCommand({
          Id: primary.id,
          StagingDistributionId: staging.id,
          IfMatch: ifMatch,
        }),
      );
    expect((await failure(send(attached.ETag!))).name).toBe('InvalidIfMatchVersion');
    expect((await failure(send(`${staging.etag}, ${attached.ETag}`))).status).toBe(412);
    expect((await failure(send(`${primary.etag}, ${staging.etag}`))).name).toBe('PreconditionFailed');
  });
});
