/**
 * `cfcd staging-template`: a staging CloudFormation template that reproduces the primary's live config exactly, so
 * that promoting a release changes only what the release changes (its origin path) and never what a hand-written
 * template happened to say about certificates, WAF, logging, behaviours or error pages.
 *
 * The API's DistributionConfig and CloudFormation's AWS::CloudFront::Distribution DistributionConfig say the same
 * things in two shapes: the API wraps lists as {Quantity, Items}, nests CachedMethods in AllowedMethods, and spells
 * some names differently (IsIPV6Enabled / IPV6Enabled, CustomHeaders / OriginCustomHeaders, ACMCertificateArn /
 * AcmCertificateArn…). The rules below map one to the other field by field and refuse any field they do not know —
 * a field left out of the template would be changed on the primary by the first promotion. Pure: no I/O.
 */
import { Document, Scalar } from 'yaml';
import type { DistributionConfig } from '@aws-sdk/client-cloudfront';

/** A CloudFormation value: plain JSON, or an intrinsic function such as `{Ref: "OriginPath"}`. */
type Value = unknown;

/** Lets a field's rule also set fields beside it (AllowedMethods → AllowedMethods and CachedMethods). */
class Spread {
  constructor(readonly fields: Record<string, Value>) {}
}

/** Maps one API value at `path` to its CloudFormation value; undefined leaves the property out. */
type Rule = (value: unknown, path: string, problems: string[]) => Value | Spread | undefined;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A string, number or boolean, as it is. */
const scalar: Rule = (v, path, problems) => {
  if (v === undefined || ['string', 'number', 'boolean'].includes(typeof v)) return v;
  problems.push(`${path}: expected a plain value, got ${JSON.stringify(v)}`);
  return undefined;
};

/** Derived by CloudFront (or, for CallerReference, by CloudFormation): not written. */
const derived: Rule = () => undefined;

/** An object with the same fields in both shapes, some renamed (`[cfnName, rule]`); any other field is a problem. */
function object(fields: Record<string, Rule | [string, Rule]>): Rule {
  return (v, path, problems) => {
    if (v === undefined) return undefined;
    if (!isRecord(v)) {
      problems.push(`${path}: expected an object, got ${JSON.stringify(v)}`);
      return undefined;
    }
    const out: Record<string, Value> = {};
    for (const [key, value] of Object.entries(v)) {
      if (value === undefined) continue;
      const field = fields[key];
      if (!field) {
        problems.push(`${path}.${key}`);
        continue;
      }
      const [name, rule] = Array.isArray(field) ? field : [key, field];
      const mapped = rule(value, `${path}.${key}`, problems);
      if (mapped instanceof Spread) Object.assign(out, mapped.fields);
      else if (mapped !== undefined) out[name] = mapped;
    }
    return out;
  };
}

/**
 * The items of an API list `{Quantity, Items}` (Items may be left out when Quantity is 0); `beside` are the other
 * fields the caller handles itself.
 */
function items(v: unknown, path: string, problems: string[], beside: string[] = []): unknown[] {
  if (!isRecord(v)) {
    problems.push(`${path}: expected {Quantity, Items}, got ${JSON.stringify(v)}`);
    return [];
  }
  for (const k of Object.keys(v)) if (![...beside, 'Quantity', 'Items'].includes(k)) problems.push(`${path}.${k}`);
  return Array.isArray(v.Items) ? v.Items : [];
}

/** An API list `{Quantity, Items}` as a CloudFormation list; left out when empty. */
function list(item: Rule, beside: string[] = []): Rule {
  return (v, path, problems) => {
    if (v === undefined) return undefined;
    const mapped = items(v, path, problems, beside).map((x, i) => item(x, `${path}.Items[${i}]`, problems));
    return mapped.length ? mapped : undefined;
  };
}

/** A list CloudFormation keeps in the API's `{Quantity, Items}` shape (origin groups and their parts). */
function wrapped(item: Rule, keepEmpty = false): Rule {
  return (v, path, problems) => {
    if (v === undefined) return undefined;
    const mapped = items(v, path, problems).map((x, i) => item(x, `${path}.Items[${i}]`, problems));
    return mapped.length || keepEmpty ? { Quantity: mapped.length, Items: mapped } : undefined;
  };
}

/** AllowedMethods {Quantity, Items, CachedMethods {Quantity, Items}} → AllowedMethods [..] and CachedMethods [..]. */
const allowedMethods: Rule = (v, path, problems) => {
  const allowed = list(scalar, ['CachedMethods'])(v, path, problems);
  const cached = isRecord(v) ? list(scalar)(v.CachedMethods, `${path}.CachedMethods`, problems) : undefined;
  return new Spread({
    ...(allowed !== undefined ? { AllowedMethods: allowed } : {}),
    ...(cached !== undefined ? { CachedMethods: cached } : {}),
  });
};

/** TrustedSigners / TrustedKeyGroups {Enabled, Quantity, Items} → the list of ids (Enabled is whether it has any). */
const idList: Rule = list(scalar, ['Enabled']);

/** Logging {Enabled, IncludeCookies, Bucket, Prefix}: CloudFormation has no Enabled, a Logging property is on. */
const logging: Rule = (v, path, problems) => {
  if (!isRecord(v) || v.Enabled !== true) return undefined;
  const { Enabled: _on, ...rest } = v;
  return object({ IncludeCookies: scalar, Bucket: scalar, Prefix: scalar })(rest, path, problems);
};

/** The API's ResponseCode is a string ("200"); CloudFormation's an integer. */
const responseCode: Rule = (v) => (v === undefined || v === '' ? undefined : Number(v));

const geoRestriction: Rule = (v, path, problems) => {
  if (!isRecord(v)) return scalar(v, path, problems);
  const locations = list(scalar)({ Quantity: v.Quantity, Items: v.Items }, path, problems);
  for (const k of Object.keys(v).filter((k) => !['RestrictionType', 'Quantity', 'Items'].includes(k)))
    problems.push(`${path}.${k}`);
  return { RestrictionType: v.RestrictionType, ...(locations ? { Locations: locations } : {}) };
};

const certificateFields = object({
  CloudFrontDefaultCertificate: scalar,
  IAMCertificateId: ['IamCertificateId', scalar],
  ACMCertificateArn: ['AcmCertificateArn', scalar],
  SSLSupportMethod: ['SslSupportMethod', scalar],
  MinimumProtocolVersion: scalar,
});

/**
 * CloudFormation takes one of AcmCertificateArn, IamCertificateId or CloudFrontDefaultCertificate. The API also
 * answers what follows from that choice: CloudFrontDefaultCertificate false beside a certificate, Certificate and
 * CertificateSource (the same facts again), and for the default certificate the SSL method and protocol version
 * CloudFront sets itself ("vip", "TLSv1", whatever was asked). Those are left for CloudFront to derive again.
 */
const viewerCertificate: Rule = (v, path, problems) => {
  if (!isRecord(v)) return certificateFields(v, path, problems);
  const { Certificate: _c, CertificateSource: _s, ...rest } = v;
  if (rest.CloudFrontDefaultCertificate === true) {
    const { SSLSupportMethod: _m, MinimumProtocolVersion: _p, ...only } = rest;
    return certificateFields(only, path, problems);
  }
  const { CloudFrontDefaultCertificate: _off, ...certificate } = rest;
  return certificateFields(certificate, path, problems);
};

const cacheBehaviorFields = {
  TargetOriginId: scalar,
  TrustedSigners: idList,
  TrustedKeyGroups: idList,
  ViewerProtocolPolicy: scalar,
  AllowedMethods: allowedMethods,
  SmoothStreaming: scalar,
  Compress: scalar,
  LambdaFunctionAssociations: list(object({ LambdaFunctionARN: scalar, EventType: scalar, IncludeBody: scalar })),
  FunctionAssociations: list(object({ FunctionARN: scalar, EventType: scalar })),
  FieldLevelEncryptionId: scalar,
  RealtimeLogConfigArn: scalar,
  CachePolicyId: scalar,
  OriginRequestPolicyId: scalar,
  ResponseHeadersPolicyId: scalar,
  GrpcConfig: object({ Enabled: scalar }),
  ForwardedValues: object({
    QueryString: scalar,
    Cookies: object({ Forward: scalar, WhitelistedNames: list(scalar) }),
    Headers: list(scalar),
    QueryStringCacheKeys: list(scalar),
  }),
  MinTTL: scalar,
  DefaultTTL: scalar,
  MaxTTL: scalar,
};

const origin = object({
  Id: scalar,
  DomainName: scalar,
  OriginPath: scalar,
  CustomHeaders: ['OriginCustomHeaders', list(object({ HeaderName: scalar, HeaderValue: scalar }))],
  S3OriginConfig: object({ OriginAccessIdentity: scalar, OriginReadTimeout: scalar }),
  CustomOriginConfig: object({
    HTTPPort: scalar,
    HTTPSPort: scalar,
    OriginProtocolPolicy: scalar,
    OriginSslProtocols: ['OriginSSLProtocols', list(scalar)],
    OriginReadTimeout: scalar,
    OriginKeepaliveTimeout: scalar,
    IpAddressType: scalar,
    OriginMtlsConfig: object({ ClientCertificateArn: scalar }),
  }),
  VpcOriginConfig: object({
    VpcOriginId: scalar,
    OwnerAccountId: scalar,
    OriginReadTimeout: scalar,
    OriginKeepaliveTimeout: scalar,
  }),
  ConnectionAttempts: scalar,
  ConnectionTimeout: scalar,
  ResponseCompletionTimeout: scalar,
  OriginShield: object({ Enabled: scalar, OriginShieldRegion: scalar }),
  OriginAccessControlId: scalar,
});

/** The whole DistributionConfig. Aliases, the policy id and Staging are the staging's own (none, none, true). */
const distributionConfig = object({
  CallerReference: derived,
  Aliases: derived,
  ContinuousDeploymentPolicyId: derived,
  Staging: derived,
  DefaultRootObject: scalar,
  Origins: list(origin),
  OriginGroups: wrapped(
    object({
      Id: scalar,
      FailoverCriteria: object({ StatusCodes: wrapped(scalar, true) }),
      Members: wrapped(object({ OriginId: scalar }), true),
      SelectionCriteria: scalar,
    }),
  ),
  DefaultCacheBehavior: object(cacheBehaviorFields),
  CacheBehaviors: list(object({ PathPattern: scalar, ...cacheBehaviorFields })),
  CustomErrorResponses: list(
    object({ ErrorCode: scalar, ResponsePagePath: scalar, ResponseCode: responseCode, ErrorCachingMinTTL: scalar }),
  ),
  Comment: scalar,
  Logging: logging,
  PriceClass: scalar,
  Enabled: scalar,
  ViewerCertificate: viewerCertificate,
  Restrictions: object({ GeoRestriction: geoRestriction }),
  WebACLId: scalar,
  HttpVersion: scalar,
  IsIPV6Enabled: ['IPV6Enabled', scalar],
  AnycastIpListId: scalar,
  TenantConfig: object({
    ParameterDefinitions: (v, path, problems) =>
      Array.isArray(v)
        ? v.map((d, i) =>
            object({
              Name: scalar,
              Definition: object({
                StringSchema: object({ Comment: scalar, DefaultValue: scalar, Required: scalar }),
              }),
            })(d, `${path}[${i}]`, problems),
          )
        : scalar(v, path, problems),
  }),
  ConnectionMode: scalar,
  ViewerMtlsConfig: object({
    Mode: scalar,
    TrustStoreConfig: object({
      TrustStoreId: scalar,
      AdvertiseTrustStoreCaNames: scalar,
      IgnoreCertificateExpiry: scalar,
    }),
  }),
  ConnectionFunctionAssociation: object({ Id: scalar }),
  CacheTagConfig: object({ HeaderName: scalar }),
});

/** The CloudFormation DistributionConfig properties of a config, and the API fields with no known mapping. */
export function cloudFormationDistributionConfig(config: DistributionConfig): {
  properties: Record<string, Value>;
  unmapped: string[];
} {
  const problems: string[] = [];
  const properties = distributionConfig(config, 'DistributionConfig', problems) as Record<string, Value>;
  return { properties, unmapped: problems };
}

export type StagingTraffic =
  | { type: 'header'; header: string; value: string }
  | { type: 'weight'; weight: number; stickiness: { idleTTL: number; maximumTTL: number } | undefined };

export interface StagingTemplateInput {
  primaryId: string;
  config: DistributionConfig;
  /** The origin the release changes: its OriginPath becomes the template's OriginPath parameter. */
  releaseOriginId: string;
  traffic: StagingTraffic;
  /** When the config was read, for the template's description. */
  readAt: Date;
}

/** The staging stack template: parameters (the pipeline's contract), the staging, the policy, the outputs. */
export function stagingTemplate(input: StagingTemplateInput): {
  template: Record<string, unknown>;
  unmapped: string[];
} {
  const { primaryId, config, releaseOriginId, traffic } = input;
  const { properties, unmapped } = cloudFormationDistributionConfig(config);
  const release = config.Origins?.Items?.find((o) => o.Id === releaseOriginId);
  const origins = (properties.Origins as Record<string, Value>[] | undefined) ?? [];
  for (const o of origins) {
    if (o.Id !== releaseOriginId) continue;
    o.DomainName = { Ref: 'OriginDomainName' };
    o.OriginPath = { Ref: 'OriginPath' };
    if (release?.OriginAccessControlId) o.OriginAccessControlId = { Ref: 'OriginAccessControlId' };
  }
  const parameters: Record<string, unknown> = {
    PrimaryDistributionId: {
      Type: 'String',
      Description: 'The production distribution this staging reproduces (the pipeline passes it; tags the staging).',
      Default: primaryId,
      AllowedPattern: '^E[A-Z0-9]{8,20}$',
    },
    OriginDomainName: {
      Type: 'String',
      Description:
        `Domain name of origin ${releaseOriginId} (the pipeline passes it): ` +
        `must stay the primary's, ${release?.DomainName}.`,
      Default: release?.DomainName ?? '',
    },
    OriginAccessControlId: {
      Type: 'String',
      Description: release?.OriginAccessControlId
        ? `The origin access control of origin ${releaseOriginId} (the pipeline passes it): ` +
          `must stay the primary's, ${release.OriginAccessControlId}.`
        : `Passed by the pipeline; unused: origin ${releaseOriginId} of the primary has no origin access control.`,
      Default: release?.OriginAccessControlId ?? '',
    },
    OriginPath: {
      Type: 'String',
      Description:
        `The release: the origin path of origin ${releaseOriginId} this staging serves ` +
        `(the primary serves ${JSON.stringify(release?.OriginPath ?? '')}). ` +
        'The only thing a promotion of this staging changes on the primary.',
      Default: release?.OriginPath ?? '',
      AllowedPattern: '^(/[A-Za-z0-9._~!$&()*+,;=:@%/-]*[A-Za-z0-9._~!$&()*+,;=:@%-])?$',
      ConstraintDescription: 'empty, or starts with / and does not end with /',
    },
    ...trafficParameters(traffic),
  };
  const template = {
    AWSTemplateFormatVersion: '2010-09-09',
    Description:
      'Staging stack for CloudFront continuous deployment, generated by cfcd staging-template ' +
      `from the live config of primary ${primaryId} (read ${input.readAt.toISOString()}): ` +
      'the staging distribution reproduces the primary exactly (Staging true, no aliases), ' +
      "apart from the release's origin path, " +
      `and a ${traffic.type === 'header' ? 'header' : 'weight'}-based continuous deployment policy routes to it.`,
    Parameters: parameters,
    Resources: {
      Staging: {
        Type: 'AWS::CloudFront::Distribution',
        Properties: {
          DistributionConfig: { Staging: true, ...properties },
          // The pipeline's Lambda roles may act on staging distributions tagged for their primary only.
          Tags: [{ Key: 'cloudfront-cd-primary', Value: { Ref: 'PrimaryDistributionId' } }],
        },
      },
      Policy: {
        Type: 'AWS::CloudFront::ContinuousDeploymentPolicy',
        Properties: {
          ContinuousDeploymentPolicyConfig: {
            // Every promotion disables the policy behind CloudFormation's back; enable-cd re-enables it.
            Enabled: true,
            StagingDistributionDnsNames: [{ 'Fn::GetAtt': ['Staging', 'DomainName'] }],
            TrafficConfig: trafficConfig(traffic),
          },
        },
      },
    },
    Outputs: {
      StagingDistributionId: {
        Description: 'The staging distribution (read by the pipeline as StagingStack.StagingDistributionId).',
        Value: { Ref: 'Staging' },
      },
      ContinuousDeploymentPolicyId: {
        Description:
          'The continuous deployment policy (read by the pipeline as StagingStack.ContinuousDeploymentPolicyId).',
        Value: { Ref: 'Policy' },
      },
      StagingDomainName: {
        Description: "The staging distribution's own domain name (not reachable by viewers directly).",
        Value: { 'Fn::GetAtt': ['Staging', 'DomainName'] },
      },
    },
  };
  return { template, unmapped };
}

function trafficParameters(traffic: StagingTraffic): Record<string, unknown> {
  if (traffic.type === 'header')
    return {
      StagingHeaderName: {
        Type: 'String',
        Description: 'The request header that routes a request to staging. CloudFront requires the aws-cf-cd- prefix.',
        Default: traffic.header,
        AllowedPattern: '^aws-cf-cd-[A-Za-z0-9-]+$',
      },
      StagingHeaderValue: {
        Type: 'String',
        Description: 'The header value that routes a request to staging.',
        Default: traffic.value,
        AllowedPattern: '^[A-Za-z0-9._-]+$',
      },
    };
  return {
    StagingWeight: {
      Type: 'Number',
      Description: "Share of viewer requests routed to staging, 0 to 0.15 (CloudFront's limit).",
      Default: traffic.weight,
      MinValue: 0,
      MaxValue: 0.15,
    },
    ...(traffic.stickiness
      ? {
          SessionIdleTTL: {
            Type: 'Number',
            Description: 'Seconds a viewer stays on the side it was routed to while idle (300-3600).',
            Default: traffic.stickiness.idleTTL,
            MinValue: 300,
            MaxValue: 3600,
          },
          SessionMaximumTTL: {
            Type: 'Number',
            Description: 'Longest a sticky session lasts, in seconds (300-3600, at least SessionIdleTTL).',
            Default: traffic.stickiness.maximumTTL,
            MinValue: 300,
            MaxValue: 3600,
          },
        }
      : {}),
  };
}

function trafficConfig(traffic: StagingTraffic): Record<string, unknown> {
  if (traffic.type === 'header')
    return {
      Type: 'SingleHeader',
      SingleHeaderConfig: { Header: { Ref: 'StagingHeaderName' }, Value: { Ref: 'StagingHeaderValue' } },
    };
  return {
    Type: 'SingleWeight',
    SingleWeightConfig: {
      Weight: { Ref: 'StagingWeight' },
      ...(traffic.stickiness
        ? { SessionStickinessConfig: { IdleTTL: { Ref: 'SessionIdleTTL' }, MaximumTTL: { Ref: 'SessionMaximumTTL' } } }
        : {}),
    },
  };
}

export interface PrimaryTemplateInput {
  primaryId: string;
  config: DistributionConfig;
  /** The origin whose path promotions change: its OriginPath becomes the template's OriginPath parameter. */
  releaseOriginId: string;
  /** The logical id the primary has in its stack: a template under another id would make a new distribution. */
  logicalId: string;
  /** When the config was read, for the template's description. */
  readAt: Date;
}

/**
 * The primary's own stack template, from its live config: what its IaC must say after a promotion, which changed the
 * primary behind CloudFormation's back (a stack update from the old template would put the previous release back).
 * It keeps the primary's aliases and its continuous deployment policy (a parameter: "" once abort detached it), and
 * retains the distribution on deletion and replacement, which a resource import also requires.
 */
export function primaryTemplate(input: PrimaryTemplateInput): {
  template: Record<string, unknown>;
  unmapped: string[];
} {
  const { primaryId, config, releaseOriginId, logicalId } = input;
  const { properties, unmapped } = cloudFormationDistributionConfig(config);
  const aliases = list(scalar)(config.Aliases, 'DistributionConfig.Aliases', unmapped);
  const release = config.Origins?.Items?.find((o) => o.Id === releaseOriginId);
  const origins = (properties.Origins as Record<string, Value>[] | undefined) ?? [];
  for (const o of origins) if (o.Id === releaseOriginId) o.OriginPath = { Ref: 'OriginPath' };
  const policyId = config.ContinuousDeploymentPolicyId ?? '';
  const template = {
    AWSTemplateFormatVersion: '2010-09-09',
    Description:
      'The primary distribution of CloudFront continuous deployment, generated by cfcd primary-template ' +
      `from the live config of ${primaryId} (read ${input.readAt.toISOString()}): ` +
      'what its stack must say after a promotion, so that a stack update does not undo the promotion.',
    Parameters: {
      OriginPath: {
        Type: 'String',
        Description:
          `The origin path of origin ${releaseOriginId}, which each promotion changes ` +
          `(the primary serves ${JSON.stringify(release?.OriginPath ?? '')}). ` +
          'After the next promotion, update the stack with the promoted path, or write this template again.',
        Default: release?.OriginPath ?? '',
        AllowedPattern: '^(/[A-Za-z0-9._~!$&()*+,;=:@%/-]*[A-Za-z0-9._~!$&()*+,;=:@%-])?$',
        ConstraintDescription: 'empty, or starts with / and does not end with /',
      },
      ContinuousDeploymentPolicyId: {
        Type: 'String',
        Description:
          'The continuous deployment policy attached to the primary (enable-cd attaches it, abort may detach it): ' +
          'must stay what the primary has, "" for none.',
        Default: policyId,
      },
    },
    Conditions: {
      HasPolicy: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'ContinuousDeploymentPolicyId' }, ''] }] },
    },
    Resources: {
      [logicalId]: {
        Type: 'AWS::CloudFront::Distribution',
        // Promotions change this distribution outside CloudFormation: a stack deletion or a replacement must not
        // take the site down with it. A resource import needs a DeletionPolicy too.
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          DistributionConfig: {
            ...(aliases ? { Aliases: aliases } : {}),
            ContinuousDeploymentPolicyId: {
              'Fn::If': ['HasPolicy', { Ref: 'ContinuousDeploymentPolicyId' }, { Ref: 'AWS::NoValue' }],
            },
            ...properties,
          },
        },
      },
    },
    Outputs: {
      PrimaryDistributionId: { Description: 'The primary distribution.', Value: { Ref: logicalId } },
      PrimaryDomainName: {
        Description: "The primary's own domain name.",
        Value: { 'Fn::GetAtt': [logicalId, 'DomainName'] },
      },
    },
  };
  return { template, unmapped };
}

/**
 * A generated template as YAML, `header` as its opening comment lines. `AWSTemplateFormatVersion` stays quoted: a bare
 * 2010-09-09 reads as a date to YAML 1.1 parsers, and CloudFormation wants the string.
 */
export function templateYaml(template: object, header: readonly string[]): string {
  const doc = new Document(template);
  doc.commentBefore = header.map((l) => ` ${l}`).join('\n');
  const version = doc.get('AWSTemplateFormatVersion', true) as Scalar;
  version.type = Scalar.QUOTE_DOUBLE;
  return doc.toString({ lineWidth: 0 });
}
