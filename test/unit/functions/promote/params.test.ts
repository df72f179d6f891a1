import { describe, expect, it } from 'vitest';
import { parsePromoteParams } from '../../../../functions/promote/params.js';
import { PRIMARY_ID, STAGING_ID } from '../../fixtures.js';

const parse = (gate: Record<string, unknown>) =>
  parsePromoteParams(JSON.stringify({ PrimaryDistributionId: PRIMARY_ID, StagingDistributionId: STAGING_ID, ...gate }));

describe('parsePromoteParams: the promotion gate', () => {
  it('leaves the gate off when no threshold is set, even with a window', () => {
    expect(parse({}).gate).toBeUndefined();
    expect(parse({ MetricsWindowMinutes: 60, MinStagingRequests: '' }).gate).toBeUndefined();
  });

  it('turns the gate on with MaxErrorRateIncrease alone, with the default 15-minute window', () => {
    expect(parse({ MaxErrorRateIncrease: 0.5 }).gate).toEqual({
      minStagingRequests: undefined,
      maxStaging5xxErrorRate: undefined,
      maxErrorRateIncrease: 0.5,
      windowMinutes: 15,
    });
  });

  it('accepts numeric strings, as pipeline variables and the template pass them, up to the 15-day window', () => {
    expect(
      parse({ MinStagingRequests: '100', MaxStaging5xxErrorRate: '2.5', MetricsWindowMinutes: '21600' }).gate,
    ).toEqual({
      minStagingRequests: 100,
      maxStaging5xxErrorRate: 2.5,
      maxErrorRateIncrease: undefined,
      windowMinutes: 21600,
    });
  });
});
