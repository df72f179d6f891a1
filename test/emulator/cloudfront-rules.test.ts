/** CloudFront's continuous-deployment rules (issue 15): what the emulator refuses, as CloudFront does. */
import {
  CopyDistributionCommand,
  CreateContinuousDeploymentPolicyCommand,
  CreateDistributionCommand,
  DeleteDistributionCommand,
  GetContinuousDeploymentPolicyConfigCommand,
  GetDistributionConfigCommand,
  ListContinuousDeploymentPoliciesCommand,
  ListCachePoliciesCommand,
  ListOriginAccessControlsCommand,
  UpdateContinuousDeploymentPolicyCommand,
  UpdateDistributionCommand,
  UpdateDistributionWithStagingConfigCommand,
  type DistributionConfig,
} from '@aws-sdk/client-cloudfront';
import { afterEach, describe, expect, it } from 'vitest';
import { setText } from '../../local/emulator/xml.js';
import {
  cdWorld,
  createDistribution,
  failure,
  harness,
  headerTraffic,
  setPolicyId,
  siteConfig,
  type Harness,
} from './helpers.js';
import { account, call, distributionXml, policyXml, servicesOf } from './in-process.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
  // The in-process tests start no emulator.
  h = undefined as unknown as Harness;
});

/** Reads a distribution's config, applies `change`, and writes it back with the fresh ETag. */
async function update(id: string, change: (c: DistributionConfig) => DistributionConfig) {
  const read = await h.cf.send(new GetDistributionConfigCommand({ Id: id }));
  return h.cf.send(
    new UpdateDistributionCommand({ Id: id, IfMatch: read.ETag, DistributionConfig: change(read.DistributionConfig!) }),
  );
}

async function setPolicyEnabled(policyId: string, enabled: boolean) {
  const read = await h.cf.send(new GetContinuousDeploymentPolicyConfigCommand({ Id: policyId }));
  return h.cf.send(
    new UpdateContinuousDeploymentPolicyCommand({
      Id: policyId,
      IfMatch: read.ETag,
      ContinuousDeploymentPolicyConfig: { ...read.ContinuousDeploymentPolicyConfig!, Enabled: enabled },
    }),
  );
}

const restricted: [string, (c: DistributionConfig) => DistributionConfig][] = [
  ['PriceClass', (c) => ({ ...c, PriceClass: 'PriceClass_100' })],
  ['HttpVersion', (c) => ({ ...c, HttpVersion: 'http1.1' })],
  ['IsIPV6Enabled', (c) => ({ ...c, IsIPV6Enabled: !c.IsIPV6Enabled })],
  ['WebACLId', (c) => ({ ...c, WebACLId: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/site/1' })],
  [
    'ViewerCertificate',
    (c) => ({
      ...c,
      ViewerCertificate: {
        ACMCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/x',
        SSLSupportMethod: 'sni-only',
      },
    }),
  ],
];

describe('maintenance continuous deployment forbids (issue 29)', () => {
  const rotate = (c: DistributionConfig): DistributionConfig => ({
    ...c,
    ViewerCertificate: {
      ACMCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/rotated',
      SSLSupportMethod: 'sni-only',
      MinimumProtocolVersion: 'TLSv1.2_2021',
    },
    WebACLId: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/site/1',
  });

  it('refuses a certificate, TLS and first web ACL change while the disabled policy is attached', async () => {
    h = await harness();
    const { primary, policyId } = await cdWorld(h);
    await setPolicyId(h, primary.id, policyId);
    await setPolicyEnabled(policyId, false);
    expect(await failure(update(primary.id, rotate))).toMatchObject({ name: 'IllegalUpdate', status: 400 });
    const tlsOnly = (c: DistributionConfig) => ({
      ...c,
      ViewerCertificate: { ...c.ViewerCertificate, MinimumProtocolVersion: 'TLSv1.2_2021' as const },
    });
    const refused = await failure(update(primary.id, tlsOnly));
    expect(refused).toMatchObject({ name: 'IllegalUpdate', status: 400 });
    expect(refused.message).toContain('(ViewerCertificate)');
  });

  it('accepts them once the policy is detached, and re-attaches the same policy afterwards', async () => {
    h = await harness();
    const { primary, policyId } = await cdWorld(h);
    await setPolicyId(h, primary.id, policyId);
    await setPolicyEnabled(policyId, false);
    await setPolicyId(h, primary.id, '');
    await update(primary.id, rotate);
    await setPolicyId(h, primary.id, policyId);
    const read = await h.cf.send(new GetDistributionConfigCommand({ Id: primary.id }));
    expect(read.DistributionConfig).toMatchObject({
      ContinuousDeploymentPolicyId: policyId,
      ViewerCertificate: { MinimumProtocolVersion: 'TLSv1.2_2021' },
    });
  });

  it.each([
    ['ConnectionMode tenant-only', { ConnectionMode: 'tenant-only' as const }],
    ['a TenantConfig', { TenantConfig: { ParameterDefinitions: [] } }],
  ])('refuses to attach a policy to a multi-tenant primary (%s) with InvalidArgument', async (_, extra) => {
    h = await harness();
    const { primary, policyId } = await cdWorld(h);
    await update(primary.id, (c) => ({ ...c, ...extra }));
    const refused = await failure(setPolicyId(h, primary.id, policyId));
    expect(refused.name).toBe('InvalidArgument');
    expect(refused.message).toContain('only supports standard distributions');
  });
});

describe('while continuous deployment is set up, either distribution changes only what it may carry', () => {
  it.each(restricted)('refuses a %s change on the primary with IllegalUpdate', async (field, change) => {
    h = await harness();
    const { primary, policyId } = await cdWorld(h);
    await setPolicyId(h, primary.id, policyId);
    const refused = await failure(update(primary.id, change));
    expect(refused).toMatchObject({ name: 'IllegalUpdate', status: 400 });
    expect(refused.message).toBe(`One or more fields updated are not supported for continuous deployment (${field}).`);
  });

  it.each(restricted)('refuses a %s change on the staging an attached policy names', async (field, change) => {
    h = await harness();
    const { primary, staging, policyId } = await cdWorld(h);
    await setPolicyId(h, primary.id, policyId);
    const refused = await failure(update(staging.id, change));
    expect(refused.name).toBe('IllegalUpdate');
    expect(refused.message).toContain(field);
  });

  it('refuses Aliases on the primary while attached, and keeps content changes open on both', async () => {
    h = await harness();
    const { primary, staging, policyId } = await cdWorld(h);
    await setPolicyId(h, primary.id, policyId);
    expect(
      (await failure(update(primary.id, (c) => ({ ...c, Aliases: { Quantity: 1, Items: ['new.example.com'] } })))).name,
    ).toBe('IllegalUpdate');
    await update(staging.id, (c) => ({
      ...c,
      Comment: 'release v3',
      DefaultRootObject: 'home.html',
      Origins: { Quantity: 1, Items: [{ ...c.Origins!.Items![0]!, OriginPath: '/v3' }] },
    }));
    await update(primary.id, (c) => ({ ...c, Comment: 'still production' }));
    expect(h.emulator.state().distributions.find((d) => d.id === staging.id)?.origins[0]?.originPath).toBe('/v3');
  });

  it('keeps refusing staging changes after a promotion, while the disabled policy stays attached', async () => {
    h = await harness();
    const { primary, staging, policyId } = await cdWorld(h);
    const attached = await setPolicyId(h, primary.id, policyId);
    await h.cf.send(
      new UpdateDistributionWithStagingConfigCommand({
        Id: primary.id,
        StagingDistributionId: staging.id,
        IfMatch: `${attached.ETag}, ${staging.etag}`,
      }),
    );
    expect((await failure(update(staging.id, (c) => ({ ...c, PriceClass: 'PriceClass_200' })))).name).toBe(
      'IllegalUpdate',
    );
  });

  it('lets a staging whose policy is attached nowhere change anything', async () => {
    h = await harness();
    const { staging } = await cdWorld(h);
    const changed = await update(staging.id, (c) => ({ ...c, PriceClass: 'PriceClass_100', HttpVersion: 'http1.1' }));
    expect(changed.Distribution?.DistributionConfig?.PriceClass).toBe('PriceClass_100');
  });

  it('refuses to disable either side while the policy is enabled, and allows it once it is disabled', async () => {
    h = await harness();
    const { primary, staging, policyId } = await cdWorld(h);
    await setPolicyId(h, primary.id, policyId);
    const off = (c: DistributionConfig) => ({ ...c, Enabled: false });
    expect(await failure(update(staging.id, off))).toMatchObject({ name: 'StagingDistributionInUse', status: 409 });
    expect((await failure(update(primary.id, off))).name).toBe('IllegalUpdate');

    await setPolicyEnabled(policyId, false);
    const stagingOff = await update(staging.id, off);
    expect(stagingOff.Distribution?.DistributionConfig?.Enabled).toBe(false);
    expect((await update(primary.id, off)).Distribution?.DistributionConfig?.Enabled).toBe(false);
  });
});

describe('a staging torn down under a disabled policy', () => {
  it('can be deleted, leaving the attached policy naming a distribution that is gone (the orphan cleanup finds)', async () => {
    h = await harness();
    const { primary, staging, policyId } = await cdWorld(h);
    await setPolicyId(h, primary.id, policyId);
    await setPolicyEnabled(policyId, false);
    const disabled = await update(staging.id, (c) => ({ ...c, Enabled: false }));
    await h.cf.send(new DeleteDistributionCommand({ Id: staging.id, IfMatch: disabled.ETag }));
    const policies = (await h.cf.send(new ListContinuousDeploymentPoliciesCommand({}))).ContinuousDeploymentPolicyList;
    expect(
      policies?.Items?.[0]?.ContinuousDeploymentPolicy?.ContinuousDeploymentPolicyConfig?.StagingDistributionDnsNames
        ?.Items,
    ).toEqual([staging.domainName]);
    expect(h.emulator.state().distributions.map((d) => d.id)).toEqual([primary.id]);
    // Detaching still works: it is how cleanup gets rid of it.
    await setPolicyId(h, primary.id, '');
  });

  it('is refused with ResourceInUse while the policy naming it is enabled', async () => {
    h = await harness();
    const primary = await createDistribution(h, siteConfig('p'));
    const staging = await createDistribution(h, siteConfig('s', { staging: true, enabled: false }));
    await h.cf.send(
      new CreateContinuousDeploymentPolicyCommand({
        ContinuousDeploymentPolicyConfig: {
          Enabled: true,
          StagingDistributionDnsNames: { Quantity: 1, Items: [staging.domainName] },
          TrafficConfig: headerTraffic,
        },
      }),
    );
    expect(
      await failure(h.cf.send(new DeleteDistributionCommand({ Id: staging.id, IfMatch: staging.etag }))),
    ).toMatchObject({ name: 'ResourceInUse', status: 409 });
    expect(
      h.emulator
        .state()
        .distributions.map((d) => d.id)
        .sort(),
    ).toEqual([primary.id, staging.id].sort());
  });
});

describe('HTTP/3 on either side', () => {
  it('refuses to attach a policy whose staging supports HTTP/3', async () => {
    h = await harness();
    const primary = await createDistribution(h, siteConfig('p'));
    const staging = await createDistribution(h, siteConfig('s', { staging: true, httpVersion: 'http3' }));
    const created = await h.cf.send(
      new CreateContinuousDeploymentPolicyCommand({
        ContinuousDeploymentPolicyConfig: {
          Enabled: true,
          StagingDistributionDnsNames: { Quantity: 1, Items: [staging.domainName] },
          TrafficConfig: headerTraffic,
        },
      }),
    );
    const refused = await failure(setPolicyId(h, primary.id, created.ContinuousDeploymentPolicy!.Id!));
    expect(refused.name).toBe('InvalidArgument');
    expect(refused.message).toContain(`You cannot use continuous deployment with a distribution that supports HTTP/3`);
    expect(refused.message).toContain(`staging ${staging.id}`);
  });

  it('refuses to point an attached policy at an HTTP/3 staging', async () => {
    h = await harness();
    const { primary, policyId } = await cdWorld(h);
    await setPolicyId(h, primary.id, policyId);
    const http3 = await createDistribution(h, siteConfig('s3', { staging: true, httpVersion: 'http2and3' }));
    const read = await h.cf.send(new GetContinuousDeploymentPolicyConfigCommand({ Id: policyId }));
    const repoint = h.cf.send(
      new UpdateContinuousDeploymentPolicyCommand({
        Id: policyId,
        IfMatch: read.ETag,
        ContinuousDeploymentPolicyConfig: {
          ...read.ContinuousDeploymentPolicyConfig!,
          StagingDistributionDnsNames: { Quantity: 1, Items: [http3.domainName] },
        },
      }),
    );
    expect(await failure(repoint)).toMatchObject({
      name: 'InvalidArgument',
      message: expect.stringContaining('HTTP/3'),
    });
  });

  it('refuses to promote a staging that supports HTTP/3, writing nothing', () => {
    // No API path leaves an attached policy naming an HTTP/3 staging (attach and re-point refuse it, and the staging
    // cannot change HttpVersion while attached), so the state is made directly on the account.
    const a = account();
    const cf = servicesOf(a).cloudFront;
    call(cf, 'POST', '/2020-05-31/distribution', distributionXml('p'));
    call(cf, 'POST', '/2020-05-31/distribution', distributionXml('s', { staging: true }));
    const [primary, staging] = [...a.distributions.values()];
    call(cf, 'POST', '/2020-05-31/continuous-deployment-policy', policyXml(staging!.domainName));
    setText(primary!.config, 'ContinuousDeploymentPolicyId', [...a.policies.keys()][0]!);
    setText(staging!.config, 'HttpVersion', 'http3');
    const before = structuredClone(primary!.config);
    const promoted = call(
      cf,
      'PUT',
      `/2020-05-31/distribution/${primary!.id}/promote-staging-config?StagingDistributionId=${staging!.id}`,
      '',
      { 'if-match': `${primary!.etag}, ${staging!.etag}` },
    );
    expect(promoted.op).toBe('UpdateDistributionWithStagingConfig');
    expect(promoted.error).toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('HTTP/3') });
    expect(primary!.config).toEqual(before);
  });
});

describe('staging distributions', () => {
  it('refuses Aliases on a staging distribution, at creation and on update', async () => {
    h = await harness();
    const create = h.cf.send(
      new CreateDistributionCommand({
        DistributionConfig: siteConfig('s', { staging: true, aliases: ['staging.example.com'] }),
      }),
    );
    expect(await failure(create)).toMatchObject({
      name: 'InvalidArgument',
      message: expect.stringContaining('Aliases'),
    });
    const staging = await createDistribution(h, siteConfig('s', { staging: true }));
    const add = update(staging.id, (c) => ({ ...c, Aliases: { Quantity: 1, Items: ['staging.example.com'] } }));
    expect((await failure(add)).name).toBe('InvalidArgument');
  });

  it('enforces 20 staging distributions per account with TooManyDistributions, on Create and on Copy', async () => {
    h = await harness();
    for (let i = 0; i < 20; i++) await createDistribution(h, siteConfig(`s${i}`, { staging: true }));
    expect(
      (
        await failure(
          h.cf.send(new CreateDistributionCommand({ DistributionConfig: siteConfig('s20', { staging: true }) })),
        )
      ).name,
    ).toBe('TooManyDistributions');
    const primary = await createDistribution(h, siteConfig('p'));
    const copy = h.cf.send(
      new CopyDistributionCommand({
        PrimaryDistributionId: primary.id,
        CallerReference: 'c',
        Staging: true,
        IfMatch: primary.etag,
      }),
    );
    expect(await failure(copy)).toMatchObject({ name: 'TooManyDistributions', status: 400 });
    expect(h.emulator.state().distributions.filter((d) => d.staging)).toHaveLength(20);
  });

  it('enforces 20 continuous deployment policies per account', async () => {
    h = await harness();
    const policy = async (i: number) => {
      const staging = await createDistribution(h, siteConfig(`s${i}`, { staging: true }));
      return h.cf.send(
        new CreateContinuousDeploymentPolicyCommand({
          ContinuousDeploymentPolicyConfig: {
            Enabled: false,
            StagingDistributionDnsNames: { Quantity: 1, Items: [staging.domainName] },
            TrafficConfig: headerTraffic,
          },
        }),
      );
    };
    for (let i = 0; i < 20; i++) await policy(i);
    // Twenty is also the staging quota, so a 21st policy can only name a staging in use: the quota answers first.
    const stagingDomain = h.emulator.state().distributions.find((d) => d.staging)!.domainName;
    const twentyFirst = h.cf.send(
      new CreateContinuousDeploymentPolicyCommand({
        ContinuousDeploymentPolicyConfig: {
          Enabled: false,
          StagingDistributionDnsNames: { Quantity: 1, Items: [stagingDomain] },
          TrafficConfig: headerTraffic,
        },
      }),
    );
    expect(await failure(twentyFirst)).toMatchObject({ name: 'TooManyContinuousDeploymentPolicies', status: 400 });
    expect(h.emulator.state().policies).toHaveLength(20);
  });
});

describe('CopyDistribution', () => {
  it('makes an enabled copy when Enabled is left out, even of a disabled primary', async () => {
    h = await harness();
    const primary = await createDistribution(h, siteConfig('p', { enabled: false }));
    const copy = await h.cf.send(
      new CopyDistributionCommand({
        PrimaryDistributionId: primary.id,
        CallerReference: 'c',
        Staging: true,
        IfMatch: primary.etag,
      }),
    );
    expect(copy.Distribution?.DistributionConfig).toMatchObject({ Enabled: true, Staging: true });
  });

  it.each([
    ['without the Staging header', undefined],
    ['with Staging false', false],
  ])('refuses a copy %s: its only valid value is true', async (_, staging) => {
    h = await harness();
    const primary = await createDistribution(h, siteConfig('p'));
    const copy = h.cf.send(
      new CopyDistributionCommand({
        PrimaryDistributionId: primary.id,
        CallerReference: 'c',
        IfMatch: primary.etag,
        ...(staging === undefined ? {} : { Staging: staging }),
      }),
    );
    expect(await failure(copy)).toMatchObject({ name: 'InvalidArgument', message: expect.stringContaining('Staging') });
    expect(h.emulator.state().distributions).toHaveLength(1);
  });
});

describe('requests the emulator does not implement', () => {
  it('answers a CloudFront-shaped NotImplemented (501), never an S3 error', async () => {
    h = await harness();
    const d = await createDistribution(h, siteConfig('p'));
    expect(await failure(h.cf.send(new ListCachePoliciesCommand({})))).toMatchObject({
      name: 'NotImplemented',
      status: 501,
    });
    expect(await failure(h.cf.send(new ListOriginAccessControlsCommand({})))).toMatchObject({
      name: 'NotImplemented',
      status: 501,
    });
    for (const path of [`/2020-05-31/distribution/${d.id}/config/extra`, '/2020-05-31/distribution/', '/2020-05-31']) {
      const res = await fetch(`${h.emulator.url}${path}`);
      expect(res.status, path).toBe(501);
      const body = await res.text();
      expect(body).toContain('<ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">');
      expect(body).toContain('<Code>NotImplemented</Code>');
    }
  });
});

describe('bodies CloudFront cannot read', () => {
  const send = (method: string, path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${h.emulator.url}/2020-05-31/${path}`, { method, body, headers }).then(async (r) => ({
      status: r.status,
      code: /<Code>(\w+)<\/Code>/.exec(await r.text())?.[1],
    }));

  it('answers MalformedXML, MalformedInput and MissingBody as CloudFront does, each a code the SDK reads', async () => {
    h = await harness();
    const d = await createDistribution(h, siteConfig('p'));
    expect(await send('POST', 'distribution', 'not <xml')).toEqual({ status: 400, code: 'MalformedXML' });
    expect(await send('POST', 'distribution', '<Wrong/>')).toEqual({ status: 400, code: 'MalformedInput' });
    expect(await send('PUT', `distribution/${d.id}/config`, '', { 'if-match': d.etag })).toEqual({
      status: 400,
      code: 'MissingBody',
    });
    // The policy operations declare no MissingBody: an empty body is a null member there.
    expect(await send('POST', 'continuous-deployment-policy', '')).toEqual({ status: 400, code: 'MalformedXML' });
  });
});
