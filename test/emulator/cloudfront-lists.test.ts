import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import {
  CreateContinuousDeploymentPolicyCommand,
  DeleteDistributionCommand,
  ListContinuousDeploymentPoliciesCommand,
  ListDistributionsCommand,
  UpdateDistributionCommand,
  GetDistributionConfigCommand,
  paginateListDistributions,
  type DistributionConfig,
} from '@aws-sdk/client-cloudfront';
import { afterEach, describe, expect, it } from 'vitest';
import { cdWorld, createDistribution, failure, harness, setPolicyId, siteConfig, type Harness } from './helpers.js';

const run = promisify(execFile);
let h: Harness;
afterEach(async () => h?.close());

const hasAwsCli = (() => {
  try {
    execFileSync('aws', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

async function distributions(n: number) {
  const made = [];
  for (let i = 0; i < n; i++) made.push(await createDistribution(h, siteConfig(`d${i}`, { staging: i % 2 === 1 })));
  return made;
}

async function policies(n: number) {
  const made: { policyId: string; stagingDomain: string }[] = [];
  for (let i = 0; i < n; i++) {
    const staging = await createDistribution(h, siteConfig(`s${i}`, { staging: true }));
    const created = await h.cf.send(
      new CreateContinuousDeploymentPolicyCommand({
        ContinuousDeploymentPolicyConfig: {
          Enabled: i === 0,
          StagingDistributionDnsNames: { Quantity: 1, Items: [staging.domainName] },
          TrafficConfig: { Type: 'SingleWeight', SingleWeightConfig: { Weight: 0.05 } },
        },
      }),
    );
    made.push({ policyId: created.ContinuousDeploymentPolicy!.Id!, stagingDomain: staging.domainName });
  }
  return made;
}

describe('ListDistributions', () => {
  it('answers an empty list for a new account', async () => {
    h = await harness();
    const out = await h.cf.send(new ListDistributionsCommand({}));
    expect(out.DistributionList).toMatchObject({ Marker: '', MaxItems: 100, IsTruncated: false, Quantity: 0 });
    expect(out.DistributionList?.Items ?? []).toEqual([]);
  });

  it('pages with Marker and MaxItems: NextMarker is the last id of a truncated page', async () => {
    h = await harness();
    const made = await distributions(5);
    const first = (await h.cf.send(new ListDistributionsCommand({ MaxItems: 2 }))).DistributionList!;
    expect(first).toMatchObject({ Marker: '', MaxItems: 2, IsTruncated: true, Quantity: 2 });
    expect(first.NextMarker).toBe(first.Items?.[1]?.Id);
    const second = (await h.cf.send(new ListDistributionsCommand({ MaxItems: 2, Marker: first.NextMarker })))
      .DistributionList!;
    expect(second).toMatchObject({ Marker: first.NextMarker, IsTruncated: true, Quantity: 2 });
    const last = (await h.cf.send(new ListDistributionsCommand({ MaxItems: 2, Marker: second.NextMarker })))
      .DistributionList!;
    expect(last).toMatchObject({ IsTruncated: false, Quantity: 1 });
    expect(last.NextMarker).toBeUndefined();
    const seen = [first, second, last].flatMap((p) => p.Items!.map((d) => d.Id));
    expect(seen).toEqual(made.map((d) => d.id).sort());
  });

  it("walks the whole account with the SDK's own paginator, even when an item goes away between pages", async () => {
    h = await harness();
    const made = await distributions(7);
    const ids: string[] = [];
    for await (const page of paginateListDistributions({ client: h.cf, pageSize: 3 }, {})) {
      for (const d of page.DistributionList?.Items ?? []) ids.push(d.Id!);
      if (ids.length === 3) {
        // The page's last distribution is deleted before the next page is asked for (it is the marker).
        const gone = made.find((d) => d.id === ids[2])!;
        const read = await h.cf.send(new GetDistributionConfigCommand({ Id: gone.id }));
        const disabled = await h.cf.send(
          new UpdateDistributionCommand({
            Id: gone.id,
            IfMatch: read.ETag,
            DistributionConfig: { ...read.DistributionConfig!, Enabled: false },
          }),
        );
        await h.cf.send(new DeleteDistributionCommand({ Id: gone.id, IfMatch: disabled.ETag }));
      }
    }
    expect(ids).toEqual(made.map((d) => d.id).sort());
  });

  it('summarises each distribution with what an orphan hunt needs, and the model-required defaults', async () => {
    h = await harness({ propagationMs: 60_000 });
    const minimal: DistributionConfig = {
      CallerReference: 'minimal',
      Comment: 'bare',
      Enabled: true,
      Origins: { Quantity: 1, Items: [{ Id: 'o', DomainName: 'o.example.com', CustomOriginConfig: undefined }] },
      DefaultCacheBehavior: { TargetOriginId: 'o', ViewerProtocolPolicy: 'allow-all' },
    };
    const bare = await createDistribution(h, minimal);
    const staging = await createDistribution(h, siteConfig('stg', { staging: true, originPath: '/v2' }));
    const items = (await h.cf.send(new ListDistributionsCommand({}))).DistributionList!.Items!;
    const byId = Object.fromEntries(items.map((d) => [d.Id, d]));
    expect(byId[staging.id]).toMatchObject({
      ARN: staging.arn,
      DomainName: staging.domainName,
      Status: 'InProgress',
      Staging: true,
      Enabled: true,
      Comment: 'staging',
      HttpVersion: 'http2',
      Aliases: { Quantity: 0 },
    });
    expect(byId[staging.id]?.Origins?.Items?.[0]?.OriginPath).toBe('/v2');
    expect(byId[staging.id]?.LastModifiedTime).toBeInstanceOf(Date);
    expect(byId[bare.id]).toMatchObject({
      Staging: false,
      PriceClass: 'PriceClass_All',
      WebACLId: '',
      HttpVersion: 'http2',
      IsIPV6Enabled: false,
      CacheBehaviors: { Quantity: 0 },
      CustomErrorResponses: { Quantity: 0 },
      ViewerCertificate: { CloudFrontDefaultCertificate: true },
      Restrictions: { GeoRestriction: { RestrictionType: 'none', Quantity: 0 } },
    });
    h.advance(60_000);
    expect(
      (await h.cf.send(new ListDistributionsCommand({}))).DistributionList!.Items!.every(
        (d) => d.Status === 'Deployed',
      ),
    ).toBe(true);
  });

  it.each(['0', '1001', 'ten'])('refuses MaxItems %s with InvalidArgument', async (maxItems) => {
    h = await harness();
    const res = await fetch(`${h.emulator.url}/2020-05-31/distribution?MaxItems=${maxItems}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>InvalidArgument</Code>');
    if (maxItems === '0')
      expect((await failure(h.cf.send(new ListDistributionsCommand({ MaxItems: 0 })))).name).toBe('InvalidArgument');
  });

  it.skipIf(!hasAwsCli)('is read by the AWS CLI (botocore), which follows NextMarker on its own', async () => {
    h = await harness();
    const made = await distributions(5);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...h.emulator.env,
      AWS_PAGER: '',
    };
    const { stdout } = await run(
      'aws',
      ['cloudfront', 'list-distributions', '--page-size', '2', '--endpoint-url', h.emulator.url, '--output', 'json'],
      { env },
    );
    const out = JSON.parse(stdout) as { DistributionList: { Items: { Id: string; Staging: boolean }[] } };
    expect(out.DistributionList.Items.map((d) => d.Id)).toEqual(made.map((d) => d.id).sort());
  });
});

describe('ListContinuousDeploymentPolicies', () => {
  it("pages with Marker and MaxItems and shows each policy's staging DNS names", async () => {
    h = await harness();
    const made = await policies(3);
    const first = (await h.cf.send(new ListContinuousDeploymentPoliciesCommand({ MaxItems: 2 })))
      .ContinuousDeploymentPolicyList!;
    expect(first).toMatchObject({ MaxItems: 2, Quantity: 2 });
    expect(first.NextMarker).toBe(first.Items?.[1]?.ContinuousDeploymentPolicy?.Id);
    const second = (
      await h.cf.send(new ListContinuousDeploymentPoliciesCommand({ MaxItems: 2, Marker: first.NextMarker }))
    ).ContinuousDeploymentPolicyList!;
    expect(second).toMatchObject({ Quantity: 1 });
    expect(second.NextMarker).toBeUndefined();
    const listed = [...first.Items!, ...second.Items!].map((s) => s.ContinuousDeploymentPolicy!);
    expect(listed.map((p) => p.Id)).toEqual(made.map((p) => p.policyId).sort());
    for (const p of listed) {
      const want = made.find((m) => m.policyId === p.Id)!;
      expect(p.ContinuousDeploymentPolicyConfig?.StagingDistributionDnsNames).toEqual({
        Quantity: 1,
        Items: [want.stagingDomain],
      });
      expect(p.LastModifiedTime).toBeInstanceOf(Date);
    }
    expect(listed.filter((p) => p.ContinuousDeploymentPolicyConfig?.Enabled).map((p) => p.Id)).toEqual([
      made[0]!.policyId,
    ]);
  });

  it('answers an empty list, and the whole list in one page by default', async () => {
    h = await harness();
    const empty = (await h.cf.send(new ListContinuousDeploymentPoliciesCommand({}))).ContinuousDeploymentPolicyList!;
    expect(empty).toMatchObject({ MaxItems: 100, Quantity: 0 });
    const { primary, policyId } = await cdWorld(h);
    await setPolicyId(h, primary.id, policyId);
    const one = (await h.cf.send(new ListContinuousDeploymentPoliciesCommand({}))).ContinuousDeploymentPolicyList!;
    expect(one.Items?.map((s) => s.ContinuousDeploymentPolicy?.Id)).toEqual([policyId]);
    expect(one.NextMarker).toBeUndefined();
  });
});
