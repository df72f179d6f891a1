import { describe, expect, it } from 'vitest';
import { InputError } from '../../../../shared/domain/errors.js';
import { DEFAULT_BAKE_MINUTES, DEFAULT_MIN_REQUESTS, parseBakeParams } from '../../../../functions/bake/params.js';
import { PRIMARY_ID, STAGING_ID } from '../../fixtures.js';

const KEY = `cfcd-revert/${PRIMARY_ID}/2026-12-07T10-00-00-000Z-E2QWRUHAPOMQZL.json`;
const base = {
  PrimaryDistributionId: PRIMARY_ID,
  StagingDistributionId: STAGING_ID,
  RevertRecordBucket: 'pipeline-artifacts',
  RevertRecord: KEY,
  MaxErrorRateIncrease: '1',
};
const parse = (extra: Record<string, unknown> = {}) => parseBakeParams(JSON.stringify({ ...base, ...extra }));

describe('the bake parameters', () => {
  it('defaults to a 15-minute bake, 100 requests, success when inconclusive, and the bake plus 45 minutes to wait', () => {
    expect(parse()).toEqual({
      primaryId: PRIMARY_ID,
      stagingId: STAGING_ID,
      policyId: undefined,
      record: { bucket: 'pipeline-artifacts', key: KEY },
      recordBucket: 'pipeline-artifacts',
      bakeMinutes: DEFAULT_BAKE_MINUTES,
      maxErrorRateIncrease: 1,
      maxPrimary5xxErrorRate: undefined,
      minRequests: DEFAULT_MIN_REQUESTS,
      inconclusive: 'succeed',
      maxWaitMinutes: 60,
      invalidationPaths: ['/*'],
      contentBucket: undefined,
      alarms: [],
    });
  });

  it('reads AlarmNames as the watch does: ARNs in their region, plain names in the function region', () => {
    expect(
      parse({ AlarmNames: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:checkout errors,site-5xx' }).alarms,
    ).toEqual([
      { name: 'checkout errors', region: 'eu-west-1' },
      { name: 'site-5xx', region: undefined },
    ]);
    expect(parse({ AlarmNames: '' }).alarms).toEqual([]);
  });

  it('takes an alarm as the threshold a bake needs', () => {
    expect(parse({ MaxErrorRateIncrease: '', AlarmNames: 'site-5xx' })).toMatchObject({
      maxErrorRateIncrease: undefined,
      maxPrimary5xxErrorRate: undefined,
      alarms: [{ name: 'site-5xx', region: undefined }],
    });
  });

  it('reads every threshold, numbers as strings too (pipeline variables)', () => {
    expect(
      parse({
        BakeMinutes: 0,
        MaxPrimary5xxErrorRate: '2.5',
        MinRequests: '10',
        InconclusiveBake: 'fail',
        MaxWaitMinutes: '30',
        StaticResourceBucketName: 'site-assets',
        InvalidationPaths: '["/index.html"]',
      }),
    ).toMatchObject({
      bakeMinutes: 0,
      maxPrimary5xxErrorRate: 2.5,
      minRequests: 10,
      inconclusive: 'fail',
      maxWaitMinutes: 30,
      contentBucket: 'site-assets',
      invalidationPaths: ['/index.html'],
    });
  });

  it('bakes nothing of its own when promote did not promote (RevertRecord none)', () => {
    expect(parse({ RevertRecord: 'none' }).record).toBeUndefined();
  });

  it.each([
    [{ BakeMinutes: -1 }, 'BakeMinutes', 'must be between 0 and 240, got -1'],
    [{ BakeMinutes: 241 }, 'BakeMinutes', 'must be between 0 and 240'],
    [{ BakeMinutes: 1.5 }, 'BakeMinutes', 'must be an integer'],
    [{ MaxErrorRateIncrease: -0.1 }, 'MaxErrorRateIncrease', 'must be between 0 and 100'],
    [{ MaxPrimary5xxErrorRate: 101 }, 'MaxPrimary5xxErrorRate', 'must be between 0 and 100'],
    [{ MaxErrorRateIncrease: '' }, 'MaxErrorRateIncrease', 'a bake without a threshold judges nothing'],
    [{ MinRequests: 0 }, 'MinRequests', 'must be between 1'],
    [{ BakeMinutes: 30, MaxWaitMinutes: 30 }, 'MaxWaitMinutes', 'must be more than BakeMinutes (30)'],
    [{ MaxWaitMinutes: 1201 }, 'MaxWaitMinutes', 'must be between 1 and 1200'],
    [{ InconclusiveBake: 'pass' }, 'InconclusiveBake', 'must be one of succeed, fail'],
    [{ RevertRecordBucket: '' }, 'RevertRecordBucket', 'is required'],
    [{ RevertRecord: '' }, 'RevertRecord', 'is required'],
    [
      { RevertRecord: 'cfcd-revert/E9OTHER000009/x.json' },
      'RevertRecord',
      `not a revert record key of primary ${PRIMARY_ID}`,
    ],
    [{ RevertRecord: `cfcd-revert/${PRIMARY_ID}/../../secrets.json` }, 'RevertRecord', 'not a revert record key'],
    [{ BakeMinute: 5 }, 'BakeMinute', 'is not a known parameter'],
    [{ AlarmNames: 'arn:aws:cloudwatch:us-east-1:alarm:x' }, 'AlarmNames', 'is not a CloudWatch alarm ARN'],
    [{ AlarmNames: 'a,,b' }, 'AlarmNames', 'has an empty entry between commas'],
    [{ AlarmNames: 'a,a' }, 'AlarmNames', 'names alarm "a" twice'],
    [{ AlarmNames: ['a'] }, 'AlarmNames', 'must be a string of comma-separated alarm names or ARNs'],
    [{ MaxErrorRateIncrease: '', AlarmNames: '' }, 'MaxErrorRateIncrease', 'or MaxPrimary5xxErrorRate or AlarmNames'],
  ])('refuses %j naming %s', (extra, field, problem) => {
    let error: unknown;
    try {
      parse(extra);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).field).toBe(field);
    expect((error as InputError).message).toContain(problem);
  });
});
