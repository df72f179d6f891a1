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

describe('parsePromoteParams: ReleaseBucket and KeepReleases (the prune after a promotion)', () => {
  it('prunes nothing without ReleaseBucket, and reads "" (a configuration-only pipeline) the same way', () => {
    expect(parse({}).prune).toBeUndefined();
    expect(parse({ ReleaseBucket: '' }).prune).toBeUndefined();
    expect(parse({ ReleaseBucket: '', KeepReleases: '' }).prune).toBeUndefined();
  });

  it('keeps the newest 5 by default, and reads KeepReleases as the template passes it (a string)', () => {
    expect(parse({ ReleaseBucket: 'my-site-bucket' }).prune).toEqual({ bucket: 'my-site-bucket', keep: 5 });
    expect(parse({ ReleaseBucket: 'my-site-bucket', KeepReleases: '12' }).prune).toEqual({
      bucket: 'my-site-bucket',
      keep: 12,
    });
    expect(parse({ ReleaseBucket: 'my-site-bucket', KeepReleases: '' }).prune).toEqual({
      bucket: 'my-site-bucket',
      keep: 5,
    });
    expect(parse({ ReleaseBucket: 'b.example', KeepReleases: 1 }).prune?.keep).toBe(1);
    expect(parse({ ReleaseBucket: 'b.example', KeepReleases: '100' }).prune?.keep).toBe(100);
  });

  it.each([
    ['0', /between 1 and 100, got 0/],
    ['101', /between 1 and 100, got 101/],
    ['-3', /between 1 and 100/],
    ['2.5', /must be an integer/],
    ['five', /must be an integer, got "five"/],
    [true, /must be an integer/],
  ])('refuses KeepReleases %j as InputError naming the field', (value, problem) => {
    const run = () => parse({ ReleaseBucket: 'my-site-bucket', KeepReleases: value });
    expect(run).toThrow(InputError);
    expect(run).toThrow(namesField('KeepReleases'));
    expect(run).toThrow(problem);
  });

  it('refuses KeepReleases without a ReleaseBucket, naming KeepReleases: that prune would never run', () => {
    for (const bucket of [{}, { ReleaseBucket: '' }]) {
      const run = () => parse({ ...bucket, KeepReleases: '5' });
      expect(run).toThrow(namesField('KeepReleases'));
      expect(run).toThrow(/without ReleaseBucket/);
    }
  });

  it.each(['My-Bucket', 'ab', 'bucket_name', '-bucket', 'a..b', '192.168.1.1', 's3://my-bucket', 'my-bucket/releases'])(
    'refuses ReleaseBucket %j as InputError naming the field',
    (bucket) => {
      const run = () => parse({ ReleaseBucket: bucket });
      expect(run).toThrow(InputError);
      expect(run).toThrow(namesField('ReleaseBucket'));
    },
  );

  it('refuses a ReleaseBucket that is not a string', () => {
    expect(() => parse({ ReleaseBucket: 42 })).toThrow(namesField('ReleaseBucket'));
  });
});

describe('parsePromoteParams: RevertRecordBucket (the record the bake reverts from)', () => {
  it('records nothing without it, or with "" (the template without a bake)', () => {
    expect(parse({}).recordBucket).toBeUndefined();
    expect(parse({ RevertRecordBucket: '' }).recordBucket).toBeUndefined();
    expect(parse({ RevertRecordBucket: 'pipeline-artifacts-1a2b' }).recordBucket).toBe('pipeline-artifacts-1a2b');
  });

  it('refuses a bad bucket name, naming the field, before any AWS call', () => {
    expect(() => parse({ RevertRecordBucket: 'Not_A_Bucket' })).toThrow(InputError);
    expect(() => parse({ RevertRecordBucket: 'Not_A_Bucket' })).toThrow('UserParameters.RevertRecordBucket:');
  });
});
