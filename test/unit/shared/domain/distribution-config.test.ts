import { describe, expect, it } from 'vitest';
import { isBucketOrigin, rootObjectKey } from '../../../../shared/domain/distribution-config.js';
import { BUCKET, distributionConfig } from '../../fixtures.js';

describe('the release root object', () => {
  it.each([
    [`${BUCKET}.s3.amazonaws.com`, true],
    [`${BUCKET}.s3.us-east-1.amazonaws.com`, true],
    [`${BUCKET}.s3-eu-west-1.amazonaws.com`, true],
    [`other-${BUCKET}.s3.amazonaws.com`, false],
    [`${BUCKET}.example.com`, false],
  ])('recognises %s as the bucket origin: %s', (domain, expected) => {
    expect(isBucketOrigin(domain, BUCKET)).toBe(expected);
  });

  it('is the origin path joined with the default root object, without the leading slash', () => {
    expect(rootObjectKey(distributionConfig({}, '/v2'), BUCKET)).toBe('v2/index.html');
    expect(rootObjectKey(distributionConfig({}, ''), BUCKET)).toBe('index.html');
  });

  it('is undefined without a default root object or a bucket origin', () => {
    expect(rootObjectKey(distributionConfig({ DefaultRootObject: '' }, '/v2'), BUCKET)).toBeUndefined();
    expect(rootObjectKey(distributionConfig({}, '/v2'), 'another-bucket')).toBeUndefined();
  });
});
