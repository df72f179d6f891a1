import { describe, expect, it } from 'vitest';
import {
  DEFAULT_WATCH_MIN_STAGING_REQUESTS,
  parameterNames,
  parseWatchParams,
} from '../../../../functions/watch/params.js';
import { MAX_ALARMS } from '../../../../shared/domain/alarms.js';
import { InputError } from '../../../../shared/domain/errors.js';
import { PRIMARY_ID, STAGING_ID } from '../../fixtures.js';

const minimal = { PrimaryDistributionId: PRIMARY_ID, MaxStaging5xxErrorRate: 5 };

/** The error parseWatchParams throws for `input`. */
function refusal(input: unknown): InputError {
  try {
    parseWatchParams(input);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('the input was accepted');
}

describe('watch parameters (the schedule constant input)', () => {
  it('lists every key it accepts, for the template wiring test', () => {
    expect(parameterNames).toEqual([
      'PrimaryDistributionId',
      'StagingDistributionId',
      'PipelineName',
      'ApprovalStageName',
      'ApprovalActionName',
      'MaxStaging5xxErrorRate',
      'MaxErrorRateIncrease',
      'MinStagingRequests',
      'WindowMinutes',
      'AlarmNames',
    ]);
  });

  it('reads a full input: thresholds, pipeline approval, staging and alarms by name and by ARN', () => {
    expect(
      parseWatchParams({
        PrimaryDistributionId: PRIMARY_ID,
        StagingDistributionId: STAGING_ID,
        PipelineName: 'site-pipeline',
        ApprovalStageName: 'Review',
        ApprovalActionName: 'LookAtStaging',
        MaxStaging5xxErrorRate: '5',
        MaxErrorRateIncrease: 2,
        MinStagingRequests: '50',
        WindowMinutes: 10,
        AlarmNames: 'api-errors, arn:aws:cloudwatch:eu-west-1:111122223333:alarm:checkout latency',
      }),
    ).toEqual({
      primaryId: PRIMARY_ID,
      stagingId: STAGING_ID,
      approval: { pipelineName: 'site-pipeline', stageName: 'Review', actionName: 'LookAtStaging' },
      gate: { minStagingRequests: 50, maxStaging5xxErrorRate: 5, maxErrorRateIncrease: 2, windowMinutes: 10 },
      alarms: [
        { name: 'api-errors', region: undefined },
        { name: 'checkout latency', region: 'eu-west-1' },
      ],
    });
  });

  it("defaults the approval to the template's Approval/ApproveStaging, and the window to the gate's", () => {
    const params = parseWatchParams({ ...minimal, PipelineName: 'site' });
    expect(params.approval).toEqual({ pipelineName: 'site', stageName: 'Approval', actionName: 'ApproveStaging' });
    expect(params.gate?.windowMinutes).toBe(15);
    expect(params.stagingId).toBeUndefined();
    expect(params.alarms).toEqual([]);
  });

  it('waits for 100 staging requests before judging an error rate unless MinStagingRequests says otherwise', () => {
    expect(parseWatchParams(minimal).gate?.minStagingRequests).toBe(DEFAULT_WATCH_MIN_STAGING_REQUESTS);
    expect(parseWatchParams({ ...minimal, MinStagingRequests: 1 }).gate?.minStagingRequests).toBe(1);
  });

  it('watches alarms alone, without reading any metric, even with MinStagingRequests or a window', () => {
    const params = parseWatchParams({ PrimaryDistributionId: PRIMARY_ID, AlarmNames: 'site-5xx' });
    expect(params.gate).toBeUndefined();
    expect(params.alarms).toEqual([{ name: 'site-5xx', region: undefined }]);
    const withFigures = {
      PrimaryDistributionId: PRIMARY_ID,
      AlarmNames: 'a',
      MinStagingRequests: 50,
      WindowMinutes: 5,
    };
    expect(parseWatchParams(withFigures).gate).toBeUndefined();
  });

  it.each([
    [{ PrimaryDistributionId: PRIMARY_ID }, 'MaxStaging5xxErrorRate', 'nothing to judge'],
    [{ PrimaryDistributionId: PRIMARY_ID, MinStagingRequests: 10 }, 'MaxStaging5xxErrorRate', 'nothing to judge'],
    [{ MaxStaging5xxErrorRate: 5 }, 'PrimaryDistributionId', 'is required'],
    [{ ...minimal, PrimaryDistributionId: 'primary' }, 'PrimaryDistributionId', 'not a valid CloudFront'],
    [{ ...minimal, StagingDistributionId: PRIMARY_ID }, 'StagingDistributionId', 'must differ'],
    [{ ...minimal, MaxStaging5xxErrorRate: 'five' }, 'MaxStaging5xxErrorRate', 'must be a number'],
    [{ ...minimal, MaxErrorRateIncrease: 101 }, 'MaxErrorRateIncrease', 'between 0 and 100'],
    [{ ...minimal, MinStagingRequests: 2.5 }, 'MinStagingRequests', 'must be an integer'],
    [{ ...minimal, WindowMinutes: 0 }, 'WindowMinutes', 'between 1 and'],
    [{ ...minimal, PipelineName: 'my pipeline' }, 'PipelineName', 'not a valid CodePipeline pipeline name'],
    [{ ...minimal, ApprovalStageName: 'Approval' }, 'ApprovalStageName', 'only used with PipelineName'],
    [{ ...minimal, ApprovalActionName: 'Approve' }, 'ApprovalActionName', 'only used with PipelineName'],
    [{ ...minimal, AlarmNames: ['a', 'b'] }, 'AlarmNames', 'comma-separated'],
    [{ ...minimal, AlarmNames: 'a,,b' }, 'AlarmNames', 'empty entry'],
    [{ ...minimal, AlarmNames: 'arn:aws:cloudwatch:us-east-1:alarm:x' }, 'AlarmNames', 'not a CloudWatch alarm ARN'],
    [{ ...minimal, AlarmNames: 'x'.repeat(256) }, 'AlarmNames', 'not a valid alarm name'],
    [{ ...minimal, AlarmNames: 'a, b, a' }, 'AlarmNames', 'twice'],
    [{ ...minimal, StagingDistributionID: STAGING_ID }, 'StagingDistributionID', 'not a known parameter'],
  ])('refuses %j, naming %s', (input, field, problem) => {
    const err = refusal(input);
    expect(err.field).toBe(field);
    expect(err.message).toMatch(new RegExp(`^watch: input field ${field}: `));
    expect(err.message).toContain(problem);
    expect(err.message).not.toContain('UserParameters');
  });

  it(`refuses more than ${MAX_ALARMS} alarms`, () => {
    const names = Array.from({ length: MAX_ALARMS + 1 }, (_, i) => `alarm-${i}`).join(',');
    expect(refusal({ ...minimal, AlarmNames: names }).message).toContain(`at most ${MAX_ALARMS}`);
  });

  it('refuses a whole scheduled event, saying the target needs a constant Input', () => {
    const err = refusal({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} });
    expect(err.field).toBe('event');
    expect(err.message).toContain('constant Input');
    expect(err.message).toContain('PrimaryDistributionId');
  });

  it('refuses a CodePipeline job: the watch is not a pipeline action', () => {
    expect(refusal({ 'CodePipeline.job': { id: 'job-1' } }).message).toContain('not a pipeline action');
  });

  it.each([
    [null, 'null'],
    [[minimal], 'an array'],
    ['{"PrimaryDistributionId":"E1"}', 'string'],
  ])('refuses %j as input', (input, what) => {
    expect(refusal(input).message).toContain(`got ${what}`);
  });
});
