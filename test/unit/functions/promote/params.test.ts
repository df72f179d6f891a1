import { describe, expect, it } from 'vitest';
import { parsePromoteParams } from '../../../../functions/promote/params.js';
import { InputError } from '../../../../shared/domain/errors.js';
import { PRIMARY_ID, STAGING_ID, namesField } from '../../fixtures.js';

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

describe('parsePromoteParams: InvalidationPaths', () => {
  it('invalidates everything by default, and reads [] as off', () => {
    expect(parse({}).invalidationPaths).toEqual(['/*']);
    expect(parse({ InvalidationPaths: '' }).invalidationPaths).toEqual(['/*']);
    expect(parse({ InvalidationPaths: [] }).invalidationPaths).toEqual([]);
  });

  it('reads a JSON string holding an array, as pipeline variables pass it', () => {
    expect(parse({ InvalidationPaths: '["/index.html","/assets/*"]' }).invalidationPaths).toEqual([
      '/index.html',
      '/assets/*',
    ]);
  });

  it('refuses a bad path as InputError naming the field', () => {
    expect(() => parse({ InvalidationPaths: ['img/*'] })).toThrow(InputError);
    expect(() => parse({ InvalidationPaths: ['img/*'] })).toThrow(namesField('InvalidationPaths'));
  });
});
