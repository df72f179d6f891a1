import { describe, expect, it } from 'vitest';
import {
  ACTIONS,
  flagOf,
  flagParameters,
  parameterOptions,
  paramsFromFlags,
  parseWithFlags,
  userParametersOf,
} from '../../../cli/action-flags.js';
import { type CommandSpec, UsageError, parseCommandLine } from '../../../cli/args.js';
import { ParamReader } from '../../../shared/domain/params.js';
import { POLICY_ID, PRIMARY_ID, STAGING_ID } from '../fixtures.js';

/** The command line of an action's apply command, as cfcd builds it from the action's parameters. */
function commandOf(name: keyof typeof ACTIONS): CommandSpec {
  return { name, summary: '', synopsis: '', options: parameterOptions(ACTIONS[name]) };
}

/** The UsageError `fn` throws. */
function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('no error');
}

describe('flagOf', () => {
  it.each([
    ['PrimaryDistributionId', 'primary'],
    ['StagingDistributionId', 'staging'],
    ['ContinuousDeploymentPolicyId', 'policy'],
    ['StaticResourceBucketName', 'bucket'],
    ['ExpectedStagingETag', 'expected-staging-etag'],
    ['MaxStaging5xxErrorRate', 'max-staging-5xx-error-rate'],
    ['MaxWaitMinutes', 'max-wait-minutes'],
    ['MinStagingRequests', 'min-staging-requests'],
    ['RevertRecordBucket', 'record-bucket'],
    ['RevertRecord', 'record'],
    ['PipelineExecutionId', 'pipeline-execution-id'],
    ['Mode', 'mode'],
  ])('%s is --%s', (parameter, flag) => {
    expect(flagOf(parameter)).toBe(flag);
  });
});

describe('parameterOptions', () => {
  it("makes one string flag of each of the action's UserParameters, in the action's order", () => {
    const options = parameterOptions(ACTIONS.promote);
    expect(Object.keys(options)).toEqual([
      'primary',
      'staging',
      'policy',
      'expected-staging-etag',
      'max-wait-minutes',
      'min-staging-requests',
      'max-staging-5xx-error-rate',
      'max-error-rate-increase',
      'metrics-window-minutes',
      'invalidation-paths',
      'release-bucket',
      'keep-releases',
      'record-bucket',
      'ramp-header',
    ]);
    expect(Object.values(options).every((o) => o.type === 'string')).toBe(true);
    expect(options.primary).toEqual({
      type: 'string',
      value: '<id>',
      description: 'the production distribution (keeps the aliases)',
    });
  });

  it("describes every flag of the ramp and of enable-cd, the ramp's --alarm-names and enable-cd's --ramp-header among them", () => {
    for (const name of ['ramp', 'enable-cd'] as const) {
      const undescribed = Object.entries(parameterOptions(ACTIONS[name]))
        .filter(([, o]) => o.description?.startsWith('UserParameters '))
        .map(([flag]) => flag);
      expect(undescribed, name).toEqual([]);
    }
    expect(parameterOptions(ACTIONS.ramp)['alarm-names']).toEqual({
      type: 'string',
      value: '<names>',
      description: expect.stringContaining("one in ALARM rolls the ramp's step back at once"),
    });
    expect(parameterOptions(ACTIONS['enable-cd'])['ramp-header']).toEqual({
      type: 'string',
      value: '"<name>: <value>"',
      description: "a ramp owns the weights: the header routing a ramp's policy starts from and goes back to",
    });
  });

  it('gives enable-cd --allowed-origin-domains, parsed and checked by its own parser', () => {
    expect(parameterOptions(ACTIONS['enable-cd'])['allowed-origin-domains']).toMatchObject({ value: '<json array>' });
    const spec = commandOf('enable-cd');
    const ids = ['--primary', PRIMARY_ID, '--staging', STAGING_ID, '--policy', POLICY_ID];
    const allowed = ['--allowed-origin-domains', '["*.example.com"]'];
    const values = parseCommandLine(spec, [...ids, ...allowed]);
    expect(paramsFromFlags(ACTIONS['enable-cd'], spec, values)).toMatchObject({
      allowedOriginDomains: ['*.example.com'],
    });
    const bad = parseCommandLine(spec, [...ids, '--allowed-origin-domains', '["https://a.example.com"]']);
    expect(usageError(() => paramsFromFlags(ACTIONS['enable-cd'], spec, bad)).message).toMatch(
      /^--allowed-origin-domains: item 0 "https:\/\/a.example.com" is not a domain name/,
    );
  });

  it("gives abort its mode and pipeline execution, and no flag of the others' parameters", () => {
    const flags = Object.keys(parameterOptions(ACTIONS.abort));
    expect(flags).toEqual(['primary', 'mode', 'policy', 'pipeline-name', 'pipeline-execution-id', 'max-wait-minutes']);
  });
});

describe('flags back to UserParameters', () => {
  it('turns the flags given into the UserParameters a pipeline would pass, leaving out empty and foreign ones', () => {
    const spec = commandOf('enable-cd');
    const values = parseCommandLine(spec, [
      '--primary',
      PRIMARY_ID,
      '--staging',
      STAGING_ID,
      '--policy',
      POLICY_ID,
      '--bucket=',
      '--max-wait-minutes',
      '30',
    ]);
    expect(userParametersOf(ACTIONS['enable-cd'], values)).toEqual({
      PrimaryDistributionId: PRIMARY_ID,
      StagingDistributionId: STAGING_ID,
      ContinuousDeploymentPolicyId: POLICY_ID,
      MaxWaitMinutes: '30',
    });
    expect(flagParameters(['PrimaryDistributionId'], { primary: PRIMARY_ID, staging: STAGING_ID })).toEqual({
      PrimaryDistributionId: PRIMARY_ID,
    });
  });

  it("parses them with the action's own parser", () => {
    const values = parseCommandLine(commandOf('abort'), ['--primary', PRIMARY_ID, '--mode', 'detach']);
    expect(paramsFromFlags(ACTIONS.abort, commandOf('abort'), values)).toEqual({
      primaryId: PRIMARY_ID,
      mode: 'detach',
      policyId: undefined,
      execution: undefined,
      maxWaitMinutes: 60,
    });
  });

  it.each([
    [['--primary', 'nope'], /^--primary: "nope" is not a valid CloudFront distribution id/],
    [[], /^--primary is required/],
    [['--primary', PRIMARY_ID, '--mode', 'nuke'], /^--mode must be one of disable, detach, teardown, got "nuke"$/],
    [['--primary', PRIMARY_ID, '--max-wait-minutes', '0'], /^--max-wait-minutes must be between 1 and 1440, got 0$/],
    // The parser's message names another parameter: that one becomes its flag too.
    [['--primary', PRIMARY_ID, '--policy', POLICY_ID], /^--policy is only used with --mode teardown /],
    [['--primary', PRIMARY_ID, '--pipeline-name', 'p'], /^--pipeline-execution-id is required when --pipeline-name/],
  ])("%j: the action's check, naming the flag instead of the UserParameters field", (args, message) => {
    const spec = commandOf('abort');
    const err = usageError(() => paramsFromFlags(ACTIONS.abort, spec, parseCommandLine(spec, args)));
    expect(err.message).toMatch(message);
    expect(err.message).not.toMatch(/UserParameters|PrimaryDistributionId|Mode\b/);
    expect(err.command).toBe(spec);
  });

  it('parseWithFlags reads any set of parameters with ParamReader, and lets other errors through as they are', () => {
    const spec = commandOf('enable-cd');
    const read = (values: Record<string, unknown>) =>
      parseWithFlags(spec, ['StaticResourceBucketName'], values, (p) =>
        new ParamReader(p, ['StaticResourceBucketName']).optionalBucketName('StaticResourceBucketName'),
      );
    expect(read({ bucket: 'site-assets' })).toBe('site-assets');
    expect(usageError(() => read({ bucket: 'Not_A_Bucket' })).message).toMatch(
      /^--bucket: "Not_A_Bucket" is not a valid S3 bucket name/,
    );
    const boom = new Error('boom');
    expect(() =>
      parseWithFlags(spec, [], {}, () => {
        throw boom;
      }),
    ).toThrow(boom);
  });
});
