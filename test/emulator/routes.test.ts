import { describe, expect, it } from 'vitest';
import { EmulatedAccount } from '../../local/emulator/account.js';
import { cloudFront } from '../../local/emulator/cloudfront.js';
import { cloudWatch } from '../../local/emulator/cloudwatch.js';
import { codePipeline } from '../../local/emulator/codepipeline.js';
import type { ApiRequest } from '../../local/emulator/protocol.js';
import { matchPath, resolveOperation } from '../../local/emulator/routes.js';
import { s3 } from '../../local/emulator/s3.js';

const account = new EmulatedAccount({
  propagationMs: 0,
  invalidationMs: 0,
  seed: 1,
  accountId: '123456789012',
  region: 'us-east-1',
  now: () => 0,
});
const services = {
  cloudFront: cloudFront(account),
  codePipeline: codePipeline(account),
  cloudWatch: cloudWatch(account),
  s3: s3(account),
};

const request = (method: string, pathAndQuery: string, headers: Record<string, string> = {}): ApiRequest => {
  const url = new URL(pathAndQuery, 'http://127.0.0.1');
  return { method, path: url.pathname, query: url.searchParams, headers, body: Buffer.alloc(0) };
};

describe('matchPath', () => {
  it('captures :name segments and requires the same number of segments', () => {
    expect(matchPath('/v/distribution/:id/config', '/v/distribution/E1/config')).toEqual({ id: 'E1' });
    expect(matchPath('/v/distribution/:id', '/v/distribution/E1/config')).toBeUndefined();
    expect(matchPath('/v/distribution/:id', '/v/distribution/')).toBeUndefined();
  });

  it('captures the rest after the slash with *name, slashes included', () => {
    expect(matchPath('/:bucket/*key', '/b/a//c')).toEqual({ bucket: 'b', key: 'a//c' });
    expect(matchPath('jobs/*jobId', 'jobs/')).toEqual({ jobId: '' });
    expect(matchPath('jobs/*jobId', 'jobs')).toBeUndefined();
  });
});

describe('route tables', () => {
  it('have one row per request shape (no row shadows another)', () => {
    for (const [name, service] of Object.entries(services)) {
      const shapes = service.routes.map((r) => `${r.method} ${r.path ?? '*'} ?${r.query ?? ''} ${r.target ?? ''}`);
      expect(new Set(shapes).size, name).toBe(shapes.length);
    }
  });

  it('name the operation of each request shape', () => {
    const op = (method: string, path: string, headers?: Record<string, string>) =>
      Object.values(services)
        .map((s) => resolveOperation(s, request(method, path, headers)))
        .find(Boolean)?.name;
    expect(op('PUT', '/2020-05-31/distribution/E1/config')).toBe('UpdateDistribution');
    expect(op('GET', '/2020-05-31/continuous-deployment-policy/P1/config')).toBe('GetContinuousDeploymentPolicyConfig');
    expect(op('GET', '/site-assets?policy')).toBe('GetBucketPolicy');
    // A sub-resource selects its own rows: HEAD of a bucket's policy is no HeadBucket.
    expect(op('HEAD', '/site-assets?policy')).toBeUndefined();
    expect(op('HEAD', '/site-assets')).toBe('HeadBucket');
    expect(op('PUT', '/site-assets/v1/index.html?policy')).toBe('PutObject');
    expect(op('POST', '/', { 'x-amz-target': 'CodePipeline_20150709.PutJobSuccessResult' })).toBe(
      'PutJobSuccessResult',
    );
    expect(op('POST', '/', { 'x-amz-target': 'GraniteServiceVersion20100801.ListMetrics' })).toBe('ListMetrics');
    expect(op('GET', '/2020-05-31/origin-access-control')).toBe('Unknown');
  });
});
