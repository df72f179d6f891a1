/** `cfcd staging-template --primary <id>`: see ../staging-template.ts. */
import { readDistribution } from '../../shared/aws/cloudfront.js';
import { usesHttp3 } from '../../shared/domain/distribution-config.js';
import { ParamReader } from '../../shared/domain/params.js';
import { parseWithFlags } from '../action-flags.js';
import type { Context } from '../context.js';
import { RefusedError } from '../exit-codes.js';
import { type StagingTraffic, stagingTemplate, templateYaml } from '../template-from-primary.js';
import { COMMON_OPTIONS, type CommandSpec, UsageError, type Values, quoted, stringFlag } from '../args.js';

const options = {
  primary: { type: 'string', value: '<id>', description: 'the production distribution to reproduce' },
  origin: {
    type: 'string',
    value: '<origin id>',
    description: "the origin whose path the release changes (default: the default cache behavior's origin)",
  },
  traffic: {
    type: 'enum',
    values: ['header', 'weight'],
    default: 'header',
    description: 'how the policy routes viewers',
  },
  header: { type: 'string', value: '<name>', description: 'header routing: the header (default aws-cf-cd-staging)' },
  'header-value': { type: 'string', value: '<value>', description: 'header routing: its value (default true)' },
  // The routing flags' defaults hold for their traffic type only, so the code applies them (a flag given for the
  // other type is a mistake, which a table default would hide).
  weight: {
    type: 'number',
    min: 0,
    max: 0.15,
    value: '<share>',
    description: 'weight routing: share of viewers (default 0.05)',
  },
  'session-idle-ttl': {
    type: 'integer',
    min: 300,
    max: 3600,
    value: '<seconds>',
    description: 'weight routing: sticky session idle TTL (default 300)',
  },
  'session-maximum-ttl': {
    type: 'integer',
    min: 300,
    max: 3600,
    value: '<seconds>',
    description: 'weight routing: sticky session maximum TTL (default 600)',
  },
  'no-stickiness': { type: 'boolean', description: 'weight routing: no sticky sessions' },
  ...COMMON_OPTIONS,
} as const;

export const stagingTemplateSpec: CommandSpec<typeof options> = {
  name: 'staging-template',
  summary:
    'Write a staging stack template (CloudFormation YAML, or JSON with --json) ' +
    "that reproduces the primary's live config exactly — certificate, WAF, logging, behaviours, error responses, " +
    "policies, functions — with the release's origin path as the OriginPath parameter " +
    'and the continuous deployment policy beside it.',
  synopsis: '--primary <id> [--traffic header|weight] [--origin <origin id>] [options] > staging.yml',
  options,
  details: [
    "The template keeps the pipeline's contract (parameters PrimaryDistributionId, OriginDomainName,",
    'OriginAccessControlId; outputs StagingDistributionId, ContinuousDeploymentPolicyId), with the values read ' +
      'from the',
    'primary as defaults. Deploy a release by setting OriginPath (e.g. --parameter-overrides OriginPath=/v2).',
    'Exit codes: 0 written, 1 the read failed, 2 bad usage, 3 refused (the primary cannot be reproduced: a staging',
    'distribution, HTTP/3, or a config field cfcd cannot write as CloudFormation).',
  ].join('\n'),
};

const HEADER_FLAGS = ['header', 'header-value'] as const;
const WEIGHT_FLAGS = ['weight', 'session-idle-ttl', 'session-maximum-ttl', 'no-stickiness'] as const;

function trafficFromFlags(values: Values<typeof options>): StagingTraffic {
  const spec = stagingTemplateSpec;
  const type = values.traffic;
  const others = (type === 'header' ? WEIGHT_FLAGS : HEADER_FLAGS).filter(
    (f) => values[f] !== undefined && values[f] !== false,
  );
  if (others.length)
    throw new UsageError(`--${others[0]} applies to --traffic ${type === 'header' ? 'weight' : 'header'} only`, spec);
  if (type === 'header') {
    const header = stringFlag(values, 'header') ?? 'aws-cf-cd-staging';
    const value = stringFlag(values, 'header-value') ?? 'true';
    if (!/^aws-cf-cd-[A-Za-z0-9-]+$/.test(header))
      throw new UsageError(`--header must start with aws-cf-cd- (CloudFront's rule), got ${quoted(header)}`, spec);
    if (!/^[A-Za-z0-9._-]+$/.test(value))
      throw new UsageError(`--header-value may hold letters, digits, . _ and - only, got ${quoted(value)}`, spec);
    return { type, header, value };
  }
  const weight = values.weight ?? 0.05;
  if (values['no-stickiness']) return { type, weight, stickiness: undefined };
  const idleTTL = values['session-idle-ttl'] ?? 300;
  const maximumTTL = values['session-maximum-ttl'] ?? 600;
  if (idleTTL > maximumTTL)
    throw new UsageError(`--session-idle-ttl (${idleTTL}) must not exceed --session-maximum-ttl (${maximumTTL})`, spec);
  return { type, weight, stickiness: { idleTTL, maximumTTL } };
}

export async function runStagingTemplate(values: Values<typeof options>, ctx: Context): Promise<unknown> {
  const primaryId = parseWithFlags(stagingTemplateSpec, ['PrimaryDistributionId'], values, (p) =>
    new ParamReader(p, ['PrimaryDistributionId']).distributionId('PrimaryDistributionId'),
  );
  const traffic = trafficFromFlags(values);
  const originFlag = stringFlag(values, 'origin');

  const primary = await readDistribution(primaryId);
  const { config } = primary;
  if (config.Staging)
    throw new RefusedError(`${primaryId} is a staging distribution: pass the production distribution as --primary`);
  if (usesHttp3(config))
    throw new RefusedError(
      `${primaryId} has HttpVersion ${config.HttpVersion}: CloudFront continuous deployment does not support HTTP/3, ` +
        'so no staging can be promoted onto it. Set HttpVersion to http2 (or http2and1.1) first.',
    );
  const originIds = (config.Origins?.Items ?? []).map((o) => o.Id ?? '');
  const releaseOriginId = originFlag ?? config.DefaultCacheBehavior?.TargetOriginId ?? '';
  if (!originIds.includes(releaseOriginId)) {
    const known = `its origins are ${originIds.join(', ')}`;
    if (originFlag)
      throw new UsageError(`--origin: ${primaryId} has no origin ${quoted(originFlag)}; ${known}`, stagingTemplateSpec);
    throw new UsageError(
      `--origin is required: the default cache behavior of ${primaryId} targets ${JSON.stringify(releaseOriginId)} ` +
        `(an origin group); name the origin whose path the release changes (${known})`,
      stagingTemplateSpec,
    );
  }

  const { template, unmapped } = stagingTemplate({ primaryId, config, releaseOriginId, traffic, readAt: new Date() });
  if (unmapped.length)
    throw new RefusedError(
      `the config of ${primaryId} has fields cfcd cannot write as CloudFormation yet: ${unmapped.join(', ')}. ` +
        'A template without them would not reproduce the primary, and the first promotion would change them on it; ' +
        'nothing was written. Write the staging stack by hand to the contract in cfcd staging-template --help, ' +
        'with those fields as on the primary.',
    );
  if (!ctx.json) {
    const release = config.Origins?.Items?.find((o) => o.Id === releaseOriginId);
    const header = [
      `Staging stack for primary ${primaryId}, generated by cfcd staging-template.`,
      `Release: set OriginPath (origin ${releaseOriginId}; ` +
        `the primary serves ${JSON.stringify(release?.OriginPath ?? '')}).`,
      'Regenerate it after any change to the primary that a promotion must not undo.',
    ];
    ctx.terminal.stdout.write(templateYaml(template, header));
  }
  ctx.terminal.note(
    `staging template for ${primaryId}: release origin ${releaseOriginId}, ${traffic.type} routing. ` +
      "Deploy it as the staging stack with the release's path, e.g. --parameter-overrides OriginPath=/v2",
  );
  return template;
}
