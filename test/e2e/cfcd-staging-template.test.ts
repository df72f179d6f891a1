/**
 * `cfcd staging-template` round trip: a primary with everything a hand-written staging template gets wrong
 * (certificate, WAF, logging, behaviours with functions and Lambda@Edge, an origin group, error pages, geo
 * restriction, IPv6, a price class), the template cfcd writes from its live config, that template deployed in the
 * emulator the way CloudFormation would (its properties turned into the API's DistributionConfig, with CloudFront's
 * defaults for what a template leaves out), and then: the staging carries the primary's config apart from the
 * OriginPath parameter, passes enable-cd, and a promotion changes nothing on the primary but the origin path.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CachedMethods,
  CreateContinuousDeploymentPolicyCommand,
  CreateDistributionCommand,
  type DistributionConfig,
  GetDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import { parse } from 'yaml';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cloudFormationDistributionConfig } from '../../cli/template-from-primary.js';
import { type Emulator, startEmulator } from '../../local/emulator/index.js';
import { type LocalClients, localClients } from '../../local/pipeline/aws.js';
import { carriesSameConfig, diffConfigs } from '../../shared/domain/config-diff.js';
import { preflightProblems } from '../../shared/domain/preflight.js';
import { SchemaValidator } from '../infra/schema-validator.js';
import { PLAIN_LOGGING_AND_CERTIFICATE } from '../unit/fixtures.js';
import { runCfcd } from './cfcd-process.js';

/** cfcd runs on the operator's Node (22 or 24): here the Lambda runtime's Node 24 when installed. */

/** What GetDistributionConfig returns for a production distribution that uses everything, defaults included. */
function richPrimary(): DistributionConfig {
  const noSigners = { Enabled: false, Quantity: 0 };
  const getHead: CachedMethods = { Quantity: 2, Items: ['HEAD', 'GET'] };
  return {
    CallerReference: 'rich-primary',
    Aliases: { Quantity: 2, Items: ['www.example.org', 'example.org'] },
    DefaultRootObject: 'index.html',
    Origins: {
      Quantity: 3,
      Items: [
        {
          Id: 'site-bucket',
          DomainName: 'site-assets.s3.us-east-1.amazonaws.com',
          OriginPath: '/v1',
          CustomHeaders: { Quantity: 0 },
          S3OriginConfig: { OriginAccessIdentity: '', OriginReadTimeout: 30 },
          ConnectionAttempts: 3,
          ConnectionTimeout: 10,
          OriginShield: { Enabled: false },
          OriginAccessControlId: 'E3OACLOCAL0001',
        },
        {
          Id: 'api',
          DomainName: 'api.example.org',
          OriginPath: '',
          CustomHeaders: { Quantity: 1, Items: [{ HeaderName: 'X-Origin-Verify', HeaderValue: 'c2VjcmV0' }] },
          CustomOriginConfig: {
            HTTPPort: 80,
            HTTPSPort: 443,
            OriginProtocolPolicy: 'https-only',
            OriginSslProtocols: { Quantity: 1, Items: ['TLSv1.2'] },
            OriginReadTimeout: 30,
            OriginKeepaliveTimeout: 5,
          },
          ConnectionAttempts: 3,
          ConnectionTimeout: 10,
          OriginShield: { Enabled: true, OriginShieldRegion: 'us-east-1' },
          OriginAccessControlId: '',
        },
        {
          Id: 'fallback',
          DomainName: 'fallback-assets.s3.eu-west-1.amazonaws.com',
          OriginPath: '/static',
          CustomHeaders: { Quantity: 0 },
          S3OriginConfig: { OriginAccessIdentity: '' },
          ConnectionAttempts: 2,
          ConnectionTimeout: 5,
          OriginShield: { Enabled: false },
          OriginAccessControlId: 'E3OACLOCAL0002',
        },
      ],
    },
    OriginGroups: {
      Quantity: 1,
      Items: [
        {
          Id: 'site-with-fallback',
          FailoverCriteria: { StatusCodes: { Quantity: 2, Items: [500, 503] } },
          Members: { Quantity: 2, Items: [{ OriginId: 'site-bucket' }, { OriginId: 'fallback' }] },
          SelectionCriteria: 'default',
        },
      ],
    },
    DefaultCacheBehavior: {
      TargetOriginId: 'site-bucket',
      TrustedSigners: noSigners,
      TrustedKeyGroups: noSigners,
      ViewerProtocolPolicy: 'redirect-to-https',
      AllowedMethods: { ...getHead, CachedMethods: getHead },
      SmoothStreaming: false,
      Compress: true,
      LambdaFunctionAssociations: { Quantity: 0 },
      FunctionAssociations: {
        Quantity: 1,
        Items: [
          { FunctionARN: 'arn:aws:cloudfront::123456789012:function/rewrite-index', EventType: 'viewer-request' },
        ],
      },
      FieldLevelEncryptionId: '',
      CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6',
      ResponseHeadersPolicyId: '67f7725c-6f97-4210-82d7-5512b31e9d03',
    },
    CacheBehaviors: {
      Quantity: 2,
      Items: [
        {
          PathPattern: '/api/*',
          TargetOriginId: 'api',
          TrustedSigners: noSigners,
          TrustedKeyGroups: { Enabled: true, Quantity: 1, Items: ['K2JCJMDEHXQW5F'] },
          ViewerProtocolPolicy: 'https-only',
          AllowedMethods: {
            Quantity: 7,
            Items: ['HEAD', 'DELETE', 'POST', 'GET', 'OPTIONS', 'PUT', 'PATCH'],
            CachedMethods: getHead,
          },
          SmoothStreaming: false,
          Compress: false,
          LambdaFunctionAssociations: {
            Quantity: 1,
            Items: [
              {
                LambdaFunctionARN: 'arn:aws:lambda:us-east-1:123456789012:function:auth:3',
                EventType: 'origin-request',
                IncludeBody: true,
              },
            ],
          },
          FunctionAssociations: { Quantity: 0 },
          FieldLevelEncryptionId: '',
          CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
          OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
        },
        {
          PathPattern: '/legacy/*',
          TargetOriginId: 'site-with-fallback',
          TrustedSigners: noSigners,
          TrustedKeyGroups: noSigners,
          ViewerProtocolPolicy: 'allow-all',
          AllowedMethods: { ...getHead, CachedMethods: getHead },
          SmoothStreaming: false,
          Compress: true,
          LambdaFunctionAssociations: { Quantity: 0 },
          FunctionAssociations: { Quantity: 0 },
          FieldLevelEncryptionId: '',
          ForwardedValues: {
            QueryString: true,
            Cookies: { Forward: 'whitelist', WhitelistedNames: { Quantity: 1, Items: ['session'] } },
            Headers: { Quantity: 1, Items: ['Accept-Language'] },
            QueryStringCacheKeys: { Quantity: 1, Items: ['lang'] },
          },
          MinTTL: 0,
          DefaultTTL: 86400,
          MaxTTL: 31536000,
        },
      ],
    },
    CustomErrorResponses: {
      Quantity: 2,
      Items: [
        { ErrorCode: 404, ResponsePagePath: '/404.html', ResponseCode: '404', ErrorCachingMinTTL: 60 },
        { ErrorCode: 503, ResponsePagePath: '/maintenance.html', ResponseCode: '503', ErrorCachingMinTTL: 5 },
      ],
    },
    Comment: 'www.example.org production',
    Logging: { Enabled: true, IncludeCookies: false, Bucket: 'site-logs.s3.amazonaws.com', Prefix: 'cloudfront/' },
    PriceClass: 'PriceClass_200',
    Enabled: true,
    ViewerCertificate: {
      CloudFrontDefaultCertificate: false,
      ACMCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
      SSLSupportMethod: 'sni-only',
      MinimumProtocolVersion: 'TLSv1.2_2021',
      Certificate: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
      CertificateSource: 'acm',
    },
    Restrictions: { GeoRestriction: { RestrictionType: 'blacklist', Quantity: 2, Items: ['KP', 'IR'] } },
    WebACLId: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/site/a1b2c3d4',
    HttpVersion: 'http2',
    IsIPV6Enabled: true,
    Staging: false,
  };
}

type Cfn = Record<string, unknown>;
const isObject = (v: unknown): v is Cfn => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Resolves `{Ref: parameter}` against the stack's parameter values; other intrinsics are left to the caller. */
function resolveRefs(value: unknown, parameters: Record<string, unknown>): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveRefs(v, parameters));
  if (!isObject(value)) return value;
  if (typeof value.Ref === 'string' && value.Ref in parameters) return parameters[value.Ref];
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveRefs(v, parameters)]));
}

/** A CloudFormation list as the API's `{Quantity, Items}` (CloudFront answers `{Quantity: 0}` for none). */
const wrap = <T>(items: T[] | undefined) =>
  items?.length ? { Quantity: items.length, Items: items } : { Quantity: 0 };

/** A behaviour's CloudFormation properties as the API's CacheBehavior, with CloudFront's defaults for the rest. */
function apiBehavior(b: Cfn): Cfn {
  const { AllowedMethods, CachedMethods, TrustedSigners, TrustedKeyGroups, ForwardedValues, ...rest } = b;
  const signers = (ids: unknown) => {
    const list = (ids as string[] | undefined) ?? [];
    return { Enabled: list.length > 0, ...wrap(list) };
  };
  const fv = ForwardedValues as Cfn | undefined;
  const cookies = fv?.Cookies as Cfn | undefined;
  return {
    ...rest,
    TrustedSigners: signers(TrustedSigners),
    TrustedKeyGroups: signers(TrustedKeyGroups),
    AllowedMethods: {
      ...wrap((AllowedMethods as string[] | undefined) ?? ['HEAD', 'GET']),
      CachedMethods: wrap((CachedMethods as string[] | undefined) ?? ['HEAD', 'GET']),
    },
    LambdaFunctionAssociations: wrap(rest.LambdaFunctionAssociations as unknown[]),
    FunctionAssociations: wrap(rest.FunctionAssociations as unknown[]),
    ...(fv
      ? {
          ForwardedValues: {
            QueryString: fv.QueryString,
            Cookies: { Forward: cookies?.Forward, WhitelistedNames: wrap(cookies?.WhitelistedNames as string[]) },
            Headers: wrap(fv.Headers as string[]),
            QueryStringCacheKeys: wrap(fv.QueryStringCacheKeys as string[]),
          },
        }
      : {}),
  };
}

/**
 * What CloudFormation sends CloudFront for an AWS::CloudFront::Distribution's DistributionConfig, and what
 * CloudFront then stores: the API's shapes and names, a CallerReference of CloudFormation's making, and CloudFront's
 * answer for what the template leaves out (empty lists, logging off, the certificate's derived fields).
 */
function apiConfig(properties: Cfn): DistributionConfig {
  const {
    Origins,
    OriginGroups,
    DefaultCacheBehavior,
    CacheBehaviors,
    CustomErrorResponses,
    Logging,
    ViewerCertificate,
    Restrictions,
    IPV6Enabled,
    ...rest
  } = properties;
  const origins = (Origins as Cfn[]).map(({ OriginCustomHeaders, CustomOriginConfig, ...o }) => {
    const custom = CustomOriginConfig as Cfn | undefined;
    return {
      ...o,
      CustomHeaders: wrap(OriginCustomHeaders as unknown[]),
      ...(custom
        ? {
            CustomOriginConfig: (({ OriginSSLProtocols, ...c }) => ({
              ...c,
              OriginSslProtocols: wrap(OriginSSLProtocols as string[]),
            }))(custom),
          }
        : {}),
    };
  });
  const certificate = ViewerCertificate as Cfn | undefined;
  const geo = (Restrictions as Cfn | undefined)?.GeoRestriction as Cfn | undefined;
  const logging = Logging as Cfn | undefined;
  return {
    ...rest,
    CallerReference: `cfn-${randomUUID()}`,
    Aliases: { Quantity: 0 },
    Origins: wrap(origins),
    OriginGroups: (OriginGroups as DistributionConfig['OriginGroups']) ?? { Quantity: 0 },
    DefaultCacheBehavior: apiBehavior(DefaultCacheBehavior as Cfn),
    CacheBehaviors: wrap((CacheBehaviors as Cfn[] | undefined)?.map(apiBehavior)),
    CustomErrorResponses: wrap(
      (CustomErrorResponses as Cfn[] | undefined)?.map((r) => ({ ...r, ResponseCode: String(r.ResponseCode) })),
    ),
    Logging: logging
      ? { Enabled: true, ...logging }
      : { Enabled: false, IncludeCookies: false, Bucket: '', Prefix: '' },
    ViewerCertificate: certificate?.AcmCertificateArn
      ? {
          CloudFrontDefaultCertificate: false,
          ACMCertificateArn: certificate.AcmCertificateArn,
          SSLSupportMethod: certificate.SslSupportMethod,
          MinimumProtocolVersion: certificate.MinimumProtocolVersion,
          Certificate: certificate.AcmCertificateArn,
          CertificateSource: 'acm',
        }
      : {
          CloudFrontDefaultCertificate: true,
          SSLSupportMethod: 'vip',
          MinimumProtocolVersion: 'TLSv1',
          CertificateSource: 'cloudfront',
        },
    Restrictions: {
      GeoRestriction: { RestrictionType: geo?.RestrictionType ?? 'none', ...wrap(geo?.Locations as string[]) },
    },
    IsIPV6Enabled: IPV6Enabled as boolean,
  } as unknown as DistributionConfig;
}

let emulator: Emulator;
let clients: LocalClients;
let primaryId: string;
let primaryDomain: string;

beforeEach(async () => {
  emulator = await startEmulator({ propagationMs: 30, seed: 9 });
  clients = localClients(emulator.url);
  const created = await clients.cloudFront.send(new CreateDistributionCommand({ DistributionConfig: richPrimary() }));
  primaryId = created.Distribution?.Id as string;
  primaryDomain = created.Distribution?.DomainName as string;
  emulator.settle();
});
afterEach(async () => {
  await emulator.close();
});

const scratch = mkdtempSync(join(tmpdir(), 'cfcd-staging-template-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function cfcd(...args: string[]) {
  return runCfcd(args, { env: emulator.env });
}

async function readConfig(id: string): Promise<DistributionConfig> {
  const out = await clients.cloudFront.send(new GetDistributionCommand({ Id: id }));
  return out.Distribution?.DistributionConfig as DistributionConfig;
}

/** Deploys the template's two resources as a CloudFormation stack would; returns the stack's outputs. */
async function deployStack(template: Cfn, overrides: Record<string, unknown> = {}) {
  const declared = template.Parameters as Record<string, { Default?: unknown }>;
  const parameters = { ...Object.fromEntries(Object.entries(declared).map(([k, p]) => [k, p.Default])), ...overrides };
  const resources = resolveRefs(template.Resources, parameters) as Record<string, { Properties: Cfn }>;
  const config = apiConfig(resources.Staging?.Properties.DistributionConfig as Cfn);
  const staging = await clients.cloudFront.send(new CreateDistributionCommand({ DistributionConfig: config }));
  const policyConfig = resources.Policy?.Properties.ContinuousDeploymentPolicyConfig as Cfn;
  const traffic = policyConfig.TrafficConfig as Cfn;
  const weight = traffic.SingleWeightConfig as Cfn | undefined;
  const sticky = weight?.SessionStickinessConfig as Cfn | undefined;
  const policy = await clients.cloudFront.send(
    new CreateContinuousDeploymentPolicyCommand({
      ContinuousDeploymentPolicyConfig: {
        Enabled: policyConfig.Enabled as boolean,
        // Fn::GetAtt Staging.DomainName
        StagingDistributionDnsNames: { Quantity: 1, Items: [staging.Distribution?.DomainName as string] },
        TrafficConfig: {
          Type: traffic.Type as 'SingleHeader' | 'SingleWeight',
          ...(traffic.SingleHeaderConfig
            ? { SingleHeaderConfig: traffic.SingleHeaderConfig as { Header: string; Value: string } }
            : {}),
          ...(weight
            ? {
                SingleWeightConfig: {
                  Weight: Number(weight.Weight),
                  ...(sticky
                    ? {
                        SessionStickinessConfig: {
                          IdleTTL: Number(sticky.IdleTTL),
                          MaximumTTL: Number(sticky.MaximumTTL),
                        },
                      }
                    : {}),
                },
              }
            : {}),
        },
      },
    }),
  );
  emulator.settle();
  return { stagingId: staging.Distribution?.Id as string, policyId: policy.ContinuousDeploymentPolicy?.Id as string };
}

const cfnLint = spawnSync('cfn-lint', ['--version']).status === 0;

describe('cfcd staging-template', () => {
  it("writes a template whose staging, deployed as CloudFormation would, carries the primary's config apart from OriginPath", async () => {
    const run = await cfcd('staging-template', '--primary', primaryId);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^# Staging stack for primary \w+, generated by cfcd staging-template\./);
    const template = parse(run.stdout) as Cfn;
    expect(template.AWSTemplateFormatVersion).toBe('2010-09-09');
    const resources = template.Resources as Record<string, { Type: string; Properties: Cfn }>;
    const validator = new SchemaValidator();
    for (const [id, r] of Object.entries(resources))
      expect(validator.validateResource(id, r.Type, r.Properties), id).toEqual([]);
    const distribution = resources.Staging?.Properties.DistributionConfig as Cfn;
    expect(distribution).toMatchObject({ Staging: true, WebACLId: richPrimary().WebACLId, IPV6Enabled: true });
    expect(distribution).not.toHaveProperty('Aliases');
    expect(Object.keys(template.Parameters as Cfn)).toEqual([
      'PrimaryDistributionId',
      'OriginDomainName',
      'OriginAccessControlId',
      'OriginPath',
      'StagingHeaderName',
      'StagingHeaderValue',
    ]);

    const primary = await readConfig(primaryId);
    const same = await deployStack(template);
    expect(diffConfigs(primary, await readConfig(same.stagingId))).toEqual([]);
    expect(carriesSameConfig(primary, await readConfig(same.stagingId))).toBe(true);

    const release = await deployStack(template, { OriginPath: '/v2' });
    const staging = await readConfig(release.stagingId);
    expect(diffConfigs(primary, staging)).toEqual(['origin site-bucket: origin path "/v1" → "/v2"']);
    expect(preflightProblems(primary, staging)).toEqual([]);
    expect(staging.Aliases?.Quantity).toBe(0);

    // The pipeline's own actions accept it, and a promotion changes nothing on the primary but the origin path.
    const ids = ['--primary', primaryId, '--staging', release.stagingId];
    expect((await cfcd('enable-cd', ...ids, '--policy', release.policyId, '--yes')).code).toBe(0);
    const status = JSON.parse((await cfcd('status', '--primary', primaryId, '--json')).stdout);
    expect(status).toMatchObject({
      staging: { id: release.stagingId },
      promoteChanges: ['origin site-bucket: origin path "/v1" → "/v2"'],
      warnings: [],
    });
    expect((await cfcd('promote', ...ids, '--yes')).code).toBe(0);
    const after = await readConfig(primaryId);
    expect(diffConfigs(primary, after)).toEqual(['origin site-bucket: origin path "/v1" → "/v2"']);
    expect(after.Aliases).toEqual(primary.Aliases);
    expect(after.ViewerCertificate).toEqual(primary.ViewerCertificate);
    expect(after.CacheBehaviors).toEqual(primary.CacheBehaviors);
    expect(primaryDomain).toMatch(/cloudfront\.net$/);
  });

  it('round-trips a plain primary too: default certificate, logging off, no behaviours, no error pages', async () => {
    const rich = richPrimary();
    const plainConfig: DistributionConfig = {
      ...rich,
      CallerReference: 'plain-primary',
      Aliases: { Quantity: 0 },
      Origins: { Quantity: 1, Items: [rich.Origins!.Items![0]!] },
      OriginGroups: { Quantity: 0 },
      CacheBehaviors: { Quantity: 0 },
      CustomErrorResponses: { Quantity: 0 },
      ...PLAIN_LOGGING_AND_CERTIFICATE,
      Restrictions: { GeoRestriction: { RestrictionType: 'none', Quantity: 0 } },
      WebACLId: '',
    };
    const created = await clients.cloudFront.send(new CreateDistributionCommand({ DistributionConfig: plainConfig }));
    const id = created.Distribution?.Id as string;
    const run = await cfcd('staging-template', '--primary', id, '--json');
    const template = JSON.parse(run.stdout) as Cfn;
    const properties = (template.Resources as Record<string, { Properties: Cfn }>).Staging?.Properties
      .DistributionConfig as Cfn;
    expect(properties.ViewerCertificate).toEqual({ CloudFrontDefaultCertificate: true });
    for (const absent of ['Logging', 'CacheBehaviors', 'CustomErrorResponses', 'OriginGroups', 'Aliases'])
      expect(properties, absent).not.toHaveProperty(absent);
    const { stagingId } = await deployStack(template, { OriginPath: '/v2' });
    expect(diffConfigs(await readConfig(id), await readConfig(stagingId))).toEqual([
      'origin site-bucket: origin path "/v1" → "/v2"',
    ]);
  });

  it.skipIf(!cfnLint)('writes a template cfn-lint finds no error in (header and weight)', async () => {
    for (const traffic of [[], ['--traffic', 'weight', '--weight', '0.1']]) {
      const run = await cfcd('staging-template', '--primary', primaryId, ...traffic);
      const file = join(scratch, `staging-${traffic.length ? 'weight' : 'header'}.yml`);
      writeFileSync(file, run.stdout);
      const lint = spawnSync('cfn-lint', ['--format', 'json', file], { encoding: 'utf8', timeout: 120_000 });
      const findings = JSON.parse(lint.stdout || '[]') as { Level: string; Rule: { Id: string }; Message: string }[];
      const errors = findings.filter((f) => f.Level === 'Error').map((f) => `${f.Rule.Id} ${f.Message}`);
      expect(errors, file).toEqual([]);
    }
  });

  it('makes the path of the origin named by --origin the release, and names an origin that does not exist', async () => {
    const run = await cfcd('staging-template', '--primary', primaryId, '--origin', 'fallback', '--json');
    expect(run.code).toBe(0);
    const template = JSON.parse(run.stdout) as Cfn;
    expect(template.Parameters).toMatchObject({
      OriginPath: { Default: '/static' },
      OriginDomainName: { Default: 'fallback-assets.s3.eu-west-1.amazonaws.com' },
      OriginAccessControlId: { Default: 'E3OACLOCAL0002' },
    });
    const { stagingId } = await deployStack(template, { OriginPath: '/static-v2' });
    expect(diffConfigs(await readConfig(primaryId), await readConfig(stagingId))).toEqual([
      'origin fallback: origin path "/static" → "/static-v2"',
    ]);
    const missing = await cfcd('staging-template', '--primary', primaryId, '--origin', 'nope');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /^cfcd staging-template: --origin: \w+ has no origin "nope"; its origins are site-bucket, api, fallback/,
    );
  });

  it('writes weighted routing from flags, and the template as JSON with --json', async () => {
    const run = await cfcd(
      'staging-template',
      '--primary',
      primaryId,
      '--traffic',
      'weight',
      '--weight',
      '0.1',
      '--session-idle-ttl',
      '600',
      '--session-maximum-ttl',
      '1200',
      '--json',
    );
    expect(run.code).toBe(0);
    const template = JSON.parse(run.stdout) as Cfn;
    expect(template.Parameters).toMatchObject({
      StagingWeight: { Default: 0.1 },
      SessionIdleTTL: { Default: 600 },
      SessionMaximumTTL: { Default: 1200 },
    });
    expect((template.Resources as Record<string, { Properties: Cfn }>).Policy?.Properties).toEqual({
      ContinuousDeploymentPolicyConfig: {
        Enabled: true,
        StagingDistributionDnsNames: [{ 'Fn::GetAtt': ['Staging', 'DomainName'] }],
        TrafficConfig: {
          Type: 'SingleWeight',
          SingleWeightConfig: {
            Weight: { Ref: 'StagingWeight' },
            SessionStickinessConfig: { IdleTTL: { Ref: 'SessionIdleTTL' }, MaximumTTL: { Ref: 'SessionMaximumTTL' } },
          },
        },
      },
    });
    const { policyId } = await deployStack(template, { OriginPath: '/v2' });
    expect(JSON.parse((await cfcd('cleanup', '--json')).stdout).policies).toEqual([
      expect.objectContaining({
        id: policyId,
        traffic: { type: 'weight', weight: 0.1, stickiness: { idleTTL: 600, maximumTTL: 1200 } },
      }),
    ]);
    const noSticky = JSON.parse(
      (await cfcd('staging-template', '--primary', primaryId, '--traffic', 'weight', '--no-stickiness', '--json'))
        .stdout,
    );
    expect(noSticky.Parameters).not.toHaveProperty('SessionIdleTTL');
  });

  it('refuses what it cannot reproduce: a staging as primary, HTTP/3, a field without a CloudFormation mapping', async () => {
    const { stagingId } = await deployStack(
      JSON.parse((await cfcd('staging-template', '--primary', primaryId, '--json')).stdout),
    );
    const asPrimary = await cfcd('staging-template', '--primary', stagingId);
    expect(asPrimary.code).toBe(3);
    expect(asPrimary.stderr).toMatch(/refused: \w+ is a staging distribution/);
    expect(asPrimary.stdout).toBe('');

    const http3 = await clients.cloudFront.send(
      new CreateDistributionCommand({
        DistributionConfig: {
          ...richPrimary(),
          CallerReference: 'h3',
          Aliases: { Quantity: 0 },
          HttpVersion: 'http2and3',
        },
      }),
    );
    const refused = await cfcd('staging-template', '--primary', http3.Distribution?.Id as string);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/HttpVersion http2and3: CloudFront continuous deployment does not support HTTP\/3/);

    // A field the SDK may one day return that the mapping does not know is named, never dropped silently.
    const future = { ...richPrimary(), FutureSetting: { Enabled: true } } as DistributionConfig;
    expect(cloudFormationDistributionConfig(future).unmapped).toEqual(['DistributionConfig.FutureSetting']);
    expect(cloudFormationDistributionConfig(richPrimary()).unmapped).toEqual([]);
  });
});
