import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  CopyDistributionCommand,
  DeleteDistributionCommand,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  UpdateDistributionCommand,
  waitUntilDistributionDeployed,
  type DistributionConfig,
} from '@aws-sdk/client-cloudfront';
import { afterEach, describe, expect, it } from 'vitest';
import { createDistribution, failure, harness, siteConfig, type Harness } from './helpers.js';

const run = promisify(execFile);
let h: Harness;
afterEach(async () => h?.close());

/** Every kind of field a real site config carries, so the round trip is tested on more than the basics. */
function richConfig(): DistributionConfig {
  return {
    CallerReference: 'rich-1',
    Comment: 'rich <config> & more',
    Enabled: true,
    HttpVersion: 'http2',
    IsIPV6Enabled: true,
    PriceClass: 'PriceClass_100',
    DefaultRootObject: 'index.html',
    WebACLId: '',
    Aliases: { Quantity: 2, Items: ['www.example.com', 'example.com'] },
    Origins: {
      Quantity: 2,
      Items: [
        {
          Id: 'site',
          DomainName: 'site-assets.s3.us-east-1.amazonaws.com',
          OriginPath: '/v1',
          OriginAccessControlId: 'E3OAC0000001',
          S3OriginConfig: { OriginAccessIdentity: '' },
          CustomHeaders: { Quantity: 1, Items: [{ HeaderName: 'x-origin', HeaderValue: 'cf' }] },
          ConnectionAttempts: 3,
          ConnectionTimeout: 10,
        },
        {
          Id: 'api',
          DomainName: 'api.example.com',
          OriginPath: '',
          CustomHeaders: { Quantity: 0 },
          CustomOriginConfig: {
            HTTPPort: 80,
            HTTPSPort: 443,
            OriginProtocolPolicy: 'https-only',
            OriginSslProtocols: { Quantity: 1, Items: ['TLSv1.2'] },
            OriginReadTimeout: 30,
            OriginKeepaliveTimeout: 5,
          },
        },
      ],
    },
    OriginGroups: { Quantity: 0 },
    DefaultCacheBehavior: {
      TargetOriginId: 'site',
      ViewerProtocolPolicy: 'redirect-to-https',
      AllowedMethods: { Quantity: 2, Items: ['GET', 'HEAD'], CachedMethods: { Quantity: 2, Items: ['GET', 'HEAD'] } },
      Compress: true,
      CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6',
      FunctionAssociations: {
        Quantity: 1,
        Items: [{ EventType: 'viewer-request', FunctionARN: 'arn:aws:cloudfront::123456789012:function/rewrite' }],
      },
      LambdaFunctionAssociations: { Quantity: 0 },
      TrustedKeyGroups: { Enabled: false, Quantity: 0 },
      SmoothStreaming: false,
      FieldLevelEncryptionId: '',
    },
    CacheBehaviors: {
      Quantity: 1,
      Items: [
        {
          PathPattern: '/api/*',
          TargetOriginId: 'api',
          ViewerProtocolPolicy: 'https-only',
          CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
          Compress: false,
        },
      ],
    },
    CustomErrorResponses: {
      Quantity: 1,
      Items: [{ ErrorCode: 404, ResponsePagePath: '/404.html', ResponseCode: '404', ErrorCachingMinTTL: 10 }],
    },
    Logging: { Enabled: true, IncludeCookies: false, Bucket: 'logs.s3.amazonaws.com', Prefix: 'cf/' },
    ViewerCertificate: {
      ACMCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc',
      SSLSupportMethod: 'sni-only',
      MinimumProtocolVersion: 'TLSv1.2_2021',
    },
    Restrictions: { GeoRestriction: { RestrictionType: 'blacklist', Quantity: 2, Items: ['KP', 'IR'] } },
  };
}

describe('CloudFront distributions', () => {
  it('returns the config exactly as sent, with service fields added to the distribution', async () => {
    h = await harness();
    const sent = richConfig();
    const created = await createDistribution(h, sent);
    expect(created.id).toMatch(/^E[A-Z0-9]{13}$/);
    expect(created.domainName).toMatch(/^d[a-z0-9]{13}\.cloudfront\.net$/);
    expect(created.arn).toBe(`arn:aws:cloudfront::123456789012:distribution/${created.id}`);

    const got = await h.cf.send(new GetDistributionConfigCommand({ Id: created.id }));
    expect(got.DistributionConfig).toEqual(sent);
    const full = await h.cf.send(new GetDistributionCommand({ Id: created.id }));
    expect(full.Distribution?.DistributionConfig).toEqual(sent);
    expect(full.Distribution?.ActiveTrustedSigners).toEqual({ Enabled: false, Quantity: 0 });
    expect(full.Distribution?.LastModifiedTime).toBeInstanceOf(Date);
  });

  it('changes the ETag on every write and refuses stale or missing If-Match', async () => {
    h = await harness();
    const d = await createDistribution(h, siteConfig('p'));
    const read = await h.cf.send(new GetDistributionConfigCommand({ Id: d.id }));
    expect(read.ETag).toBe(d.etag);
    const updated = await h.cf.send(
      new UpdateDistributionCommand({
        Id: d.id,
        IfMatch: read.ETag,
        DistributionConfig: { ...read.DistributionConfig!, Comment: 'v2' },
      }),
    );
    expect(updated.ETag).not.toBe(d.etag);

    const stale = await failure(
      h.cf.send(
        new UpdateDistributionCommand({ Id: d.id, IfMatch: d.etag, DistributionConfig: read.DistributionConfig! }),
      ),
    );
    expect(stale).toMatchObject({ name: 'PreconditionFailed', status: 412 });
    const missing = await failure(
      h.cf.send(new UpdateDistributionCommand({ Id: d.id, DistributionConfig: read.DistributionConfig! })),
    );
    expect(missing).toMatchObject({ name: 'InvalidIfMatchVersion', status: 400 });
    const unknown = await failure(h.cf.send(new GetDistributionCommand({ Id: 'E0000000000000' })));
    expect(unknown).toMatchObject({ name: 'NoSuchDistribution', status: 404 });
  });

  it('refuses a changed CallerReference and a Quantity that disagrees with Items', async () => {
    h = await harness();
    const d = await createDistribution(h, siteConfig('p'));
    const illegal = await failure(
      h.cf.send(new UpdateDistributionCommand({ Id: d.id, IfMatch: d.etag, DistributionConfig: siteConfig('other') })),
    );
    expect(illegal.name).toBe('IllegalUpdate');
    const config = siteConfig('p', { aliases: ['a.example.com'] });
    config.Aliases!.Quantity = 2;
    const inconsistent = await failure(
      h.cf.send(new UpdateDistributionCommand({ Id: d.id, IfMatch: d.etag, DistributionConfig: config })),
    );
    expect(inconsistent.name).toBe('InconsistentQuantities');
  });

  it('is InProgress for propagationMs after a change, then Deployed', async () => {
    h = await harness({ propagationMs: 60_000 });
    const d = await createDistribution(h, siteConfig('p'));
    const status = async () => (await h.cf.send(new GetDistributionCommand({ Id: d.id }))).Distribution?.Status;
    expect(await status()).toBe('InProgress');
    h.advance(59_999);
    expect(await status()).toBe('InProgress');
    h.advance(1);
    expect(await status()).toBe('Deployed');

    const read = await h.cf.send(new GetDistributionConfigCommand({ Id: d.id }));
    await h.cf.send(
      new UpdateDistributionCommand({
        Id: d.id,
        IfMatch: read.ETag,
        DistributionConfig: { ...read.DistributionConfig!, Comment: 'again' },
      }),
    );
    expect(await status()).toBe('InProgress');
    h.emulator.settle();
    expect(await status()).toBe('Deployed');
  });

  it("satisfies the SDK's own waitUntilDistributionDeployed waiter", async () => {
    h = await harness({ propagationMs: 60_000 });
    const d = await createDistribution(h, siteConfig('p'));
    const waiting = waitUntilDistributionDeployed(
      { client: h.cf, maxWaitTime: 20, minDelay: 1, maxDelay: 1 },
      { Id: d.id },
    );
    // The waiter's first poll sees InProgress; the clock then moves past the propagation window.
    await new Promise((r) => setTimeout(r, 50));
    expect(h.emulator.state().distributions[0]?.status).toBe('InProgress');
    h.advance(60_000);
    const result = await waiting;
    expect(result.state).toBe('SUCCESS');
  });

  it('copies a primary into a staging distribution without its aliases', async () => {
    h = await harness();
    const primary = await createDistribution(h, siteConfig('p', { aliases: ['www.example.com'] }));
    const copy = await h.cf.send(
      new CopyDistributionCommand({
        PrimaryDistributionId: primary.id,
        CallerReference: 'copy-1',
        Staging: true,
        IfMatch: primary.etag,
        Enabled: true,
      }),
    );
    const config = copy.Distribution!.DistributionConfig!;
    expect(copy.Distribution!.Id).not.toBe(primary.id);
    expect(config).toMatchObject({ CallerReference: 'copy-1', Staging: true, Enabled: true, Aliases: { Quantity: 0 } });
    expect(config.Origins).toEqual(siteConfig('p').Origins);
    const stale = await failure(
      h.cf.send(
        new CopyDistributionCommand({
          PrimaryDistributionId: primary.id,
          CallerReference: 'copy-2',
          Staging: true,
          IfMatch: 'EWRONG',
        }),
      ),
    );
    expect(stale.name).toBe('PreconditionFailed');
  });

  it('deletes only a disabled, Deployed distribution', async () => {
    h = await harness({ propagationMs: 1000 });
    const d = await createDistribution(h, siteConfig('p'));
    expect((await failure(h.cf.send(new DeleteDistributionCommand({ Id: d.id, IfMatch: d.etag })))).name).toBe(
      'DistributionNotDisabled',
    );
    const read = await h.cf.send(new GetDistributionConfigCommand({ Id: d.id }));
    const disabled = await h.cf.send(
      new UpdateDistributionCommand({
        Id: d.id,
        IfMatch: read.ETag,
        DistributionConfig: { ...read.DistributionConfig!, Enabled: false },
      }),
    );
    expect((await failure(h.cf.send(new DeleteDistributionCommand({ Id: d.id, IfMatch: disabled.ETag })))).name).toBe(
      'DistributionNotDisabled',
    );
    h.advance(1000);
    await h.cf.send(new DeleteDistributionCommand({ Id: d.id, IfMatch: disabled.ETag }));
    expect(h.emulator.state().distributions).toEqual([]);
  });

  it('answers the AWS CLI, an independent client, with the same distribution', async () => {
    h = await harness();
    const d = await createDistribution(h, siteConfig('p', { aliases: ['www.example.com'] }));
    const hasCli = await run('aws', ['--version']).then(
      () => true,
      () => false,
    );
    if (!hasCli) {
      console.warn('skipping the AWS CLI check: `aws` is not on PATH');
      return;
    }
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_REGION: 'us-east-1',
      AWS_PAGER: '',
    };
    delete env.AWS_ENDPOINT_URL;
    const { stdout } = await run(
      'aws',
      ['cloudfront', 'get-distribution', '--id', d.id, '--endpoint-url', h.emulator.url, '--output', 'json'],
      { env },
    );
    const out = JSON.parse(stdout) as {
      ETag: string;
      Distribution: {
        Id: string;
        Status: string;
        DistributionConfig: { Aliases: { Items: string[] }; Origins: { Items: { OriginPath: string }[] } };
      };
    };
    expect(out.ETag).toBe(d.etag);
    expect(out.Distribution.Id).toBe(d.id);
    expect(out.Distribution.Status).toBe('Deployed');
    expect(out.Distribution.DistributionConfig.Aliases.Items).toEqual(['www.example.com']);
    expect(out.Distribution.DistributionConfig.Origins.Items[0]?.OriginPath).toBe('/v1');

    const missing = await run(
      'aws',
      ['cloudfront', 'get-distribution', '--id', 'E0000000000000', '--endpoint-url', h.emulator.url],
      { env },
    ).catch((e: { stderr: string }) => e);
    expect('stderr' in missing ? missing.stderr : '').toContain('NoSuchDistribution');
  });
});
