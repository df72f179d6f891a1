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

describe('parseUserParametersJson: duplicate keys', () => {
  /** The text CodePipeline hands over once a stack output is substituted into `"#{StagingStack.…}"`. */
  const substituted = (output: string) =>
    `{"PrimaryDistributionId":"E2QWRUHAPOMQZL","StagingDistributionId":"${output}","MaxWaitMinutes":"60"}`;

  it('refuses a stack output that repeats PrimaryDistributionId, naming the key (JSON.parse keeps the last)', () => {
    const err = problem(() =>
      parseUserParametersJson(substituted('E1STAGING0000","PrimaryDistributionId":"EOTHER0000')),
    );
    expect(err.field).toBe('PrimaryDistributionId');
    expect(err.source).toBe('UserParameters');
    expect(err.kind).toBe('input');
    expect(err.message).toMatch(/^UserParameters\.PrimaryDistributionId: is given twice; each key may appear once/);
  });

  it('compares keys decoded: an escaped spelling of a key is the same key', () => {
    const err = problem(() => parseUserParametersJson('{"Mode":"disable","\\u004dode":"teardown"}'));
    expect(err.field).toBe('Mode');
  });

  it('refuses a key repeated in a nested object, naming the top-level field and where', () => {
    const err = problem(() => parseUserParametersJson('{"InvalidationPaths":[{"p":"/a","p":"/b"}]}'));
    expect(err.field).toBe('InvalidationPaths');
    expect(err.message).toContain('the key "p" is given twice in InvalidationPaths[0]');
  });

  it('names a key that is no parameter name inside the message, cut, rather than as the field', () => {
    const key = `x\\n${'y'.repeat(200)}`;
    const err = problem(() => parseUserParametersJson(`{"${key}":1,"${key}":2}`));
    expect(err.field).toBe('UserParameters');
    expect(err.message).toMatch(/^UserParameters: the key "x\\nyyy/);
    expect(err.message).not.toContain('y'.repeat(100));
  });

  it('still accepts distinct keys, and a value that merely contains quoted text', () => {
    expect(parseUserParametersJson(substituted('E1STAGING0000'))).toEqual({
      PrimaryDistributionId: 'E2QWRUHAPOMQZL',
      StagingDistributionId: 'E1STAGING0000',
      MaxWaitMinutes: '60',
    });
    expect(parseUserParametersJson('{"a":"\\"PrimaryDistributionId\\":1","PrimaryDistributionId":"E1"}')).toEqual({
      a: '"PrimaryDistributionId":1',
      PrimaryDistributionId: 'E1',
    });
  });

  it('refuses malformed JSON as such before looking for duplicates', () => {
    expect(problem(() => parseUserParametersJson('{"a":1,"a":')).message).toMatch(/not valid JSON/);
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

  it('anchors every id pattern: text before or after a valid id, or a second line, is refused', () => {
    const policy = '0f8fad5b-d9cb-469f-a165-70867728950e';
    for (const bad of [
      'E2QWRUHAPOMQZL"',
      'xE2QWRUHAPOMQZL',
      'E2QWRUHAPOMQZL\nEOTHER',
      'E2QWRUHAPOMQZL ',
      '\nE2QWRUHAPOMQZL',
    ])
      expect(problem(() => reader({ Dist: bad }).distributionId('Dist')).field).toBe('Dist');
    for (const bad of [`${policy}\n`, `${policy}","x":"`, ` ${policy}`])
      expect(problem(() => reader({ Policy: bad }).policyId('Policy')).field).toBe('Policy');
    for (const bad of ['E2QWRUHAPOMQZL\n', 'E2QWRUHAPOMQZL","x'])
      expect(problem(() => reader({ Dist: bad }).optionalEtag('Dist')).field).toBe('Dist');
  });

  it('refuses a staging equal to the primary, naming both', () => {
    const both = new ParamReader({ PrimaryDistributionId: 'E2QWRUHAPOMQZL', StagingDistributionId: 'E2QWRUHAPOMQZL' }, [
      'PrimaryDistributionId',
      'StagingDistributionId',
    ]);
    const err = problem(() => both.primaryAndStaging());
    expect(err.field).toBe('StagingDistributionId');
    expect(err.message).toMatch(/must differ from PrimaryDistributionId \(both are E2QWRUHAPOMQZL\)/);
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
