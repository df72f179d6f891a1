import { describe, expect, it } from 'vitest';
import { bucketOfS3Domain } from '../../../../shared/domain/s3-domain.js';

describe('bucketOfS3Domain', () => {
  it('reads the bucket of the global, regional, dual-stack, website and China endpoints', () => {
    expect(bucketOfS3Domain('my-site.s3.amazonaws.com')).toBe('my-site');
    expect(bucketOfS3Domain('my-site.s3.eu-west-1.amazonaws.com')).toBe('my-site');
    expect(bucketOfS3Domain('my.dotted.site.s3.dualstack.us-east-1.amazonaws.com')).toBe('my.dotted.site');
    expect(bucketOfS3Domain('my-site.s3-website-us-east-1.amazonaws.com')).toBe('my-site');
    expect(bucketOfS3Domain('my-site.s3.cn-north-1.amazonaws.com.cn')).toBe('my-site');
  });

  it('is undefined for a domain that is not S3', () => {
    expect(bucketOfS3Domain('api.example.com')).toBeUndefined();
    expect(bucketOfS3Domain('d111111abcdef8.cloudfront.net')).toBeUndefined();
    expect(bucketOfS3Domain('s3.amazonaws.com')).toBeUndefined();
    expect(bucketOfS3Domain(undefined)).toBeUndefined();
  });
});
