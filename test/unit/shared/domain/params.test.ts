import { describe, expect, it } from 'vitest';
import { InputError } from '../../../../shared/domain/errors.js';
import { ParamReader, parseUserParametersJson } from '../../../../shared/domain/params.js';

const reader = (values: Record<string, unknown>) =>
  new ParamReader(values, ['Dist', 'Policy', 'Bucket', 'Wait', 'Mode']);
function problem(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected a InputError');
}

describe('parseUserParametersJson', () => {
  it.each([
    [undefined, /is empty/],
    ['', /is empty/],
    ['{oops', /not valid JSON/],
    ['[1,2]', /must be a JSON object, got an array/],
    ['"text"', /must be a JSON object, got string/],
    ['null', /must be a JSON object, got null/],
  ])('refuses %j', (raw, message) => {
    const err = problem(() => parseUserParametersJson(raw));
    expect(err.field).toBe('UserParameters');
    expect(err.message).toMatch(message);
    // The field is named once.
    expect(err.message).toMatch(/^UserParameters: /);
  });
});

describe('ParamReader', () => {
  it('refuses unknown keys, naming them and the known ones', () => {
    const err = problem(() => reader({ DistID: 'E1' }));
    expect(err.field).toBe('DistID');
    expect(err.message).toContain('known parameters are Dist, Policy');
  });

  it('validates distribution ids', () => {
    expect(reader({ Dist: 'E2QWRUHAPOMQZL' }).distributionId('Dist')).toBe('E2QWRUHAPOMQZL');
    for (const bad of ['e2qwruhapomqzl', 'X2QWRUHAPOMQZL', 'E2', 42])
      expect(problem(() => reader({ Dist: bad }).distributionId('Dist')).field).toBe('Dist');
    expect(problem(() => reader({}).distributionId('Dist')).message).toMatch(/is required/);
  });

  it('validates policy ids as UUIDs', () => {
    expect(reader({ Policy: '0f8fad5b-d9cb-469f-a165-70867728950e' }).policyId('Policy')).toBe(
      '0f8fad5b-d9cb-469f-a165-70867728950e',
    );
    expect(problem(() => reader({ Policy: 'E2QWRUHAPOMQZL' }).policyId('Policy')).message).toMatch(/UUID/);
  });

  it('validates bucket names and treats absence as no bucket', () => {
    expect(reader({}).optionalBucketName('Bucket')).toBeUndefined();
    expect(reader({ Bucket: 'my-site.assets' }).optionalBucketName('Bucket')).toBe('my-site.assets');
    for (const bad of ['My_Bucket', 'ab', 'a..b', '192.168.1.1', '-start'])
      expect(problem(() => reader({ Bucket: bad }).optionalBucketName('Bucket')).field).toBe('Bucket');
  });

  it('reads numbers from JSON numbers or numeric strings, within range', () => {
    expect(reader({ Wait: 30 }).optionalNumber('Wait', { min: 1, max: 60, integer: true })).toBe(30);
    expect(reader({ Wait: '30' }).optionalNumber('Wait', { min: 1, max: 60, integer: true })).toBe(30);
    expect(problem(() => reader({ Wait: 'soon' }).optionalNumber('Wait', { min: 1, max: 60 })).message).toMatch(
      /must be a number/,
    );
    expect(
      problem(() => reader({ Wait: 1.5 }).optionalNumber('Wait', { min: 1, max: 60, integer: true })).message,
    ).toMatch(/integer/);
    expect(problem(() => reader({ Wait: 0 }).optionalNumber('Wait', { min: 1, max: 60 })).message).toMatch(
      /between 1 and 60/,
    );
  });

  it('reads enums', () => {
    expect(reader({ Mode: 'detach' }).optionalEnum('Mode', ['disable', 'detach'])).toBe('detach');
    expect(problem(() => reader({ Mode: 'delete' }).optionalEnum('Mode', ['disable', 'detach'])).message).toMatch(
      /one of disable, detach/,
    );
  });
});
