import { GetDistributionConfigCommand, UpdateDistributionCommand } from '@aws-sdk/client-cloudfront';
import { PutJobFailureResultCommand, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import {
  CreateBucketCommand,
  DeleteBucketPolicyCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { createDistribution, failure, harness, siteConfig, type Harness } from './helpers.js';

let h: Harness;
afterEach(async () => h?.close());

describe('S3', () => {
  it('answers NoSuchBucketPolicy until a policy is put, and NoSuchBucket for an unknown bucket', async () => {
    h = await harness();
    expect(await failure(h.s3.send(new GetBucketPolicyCommand({ Bucket: 'nowhere' })))).toMatchObject({
      name: 'NoSuchBucket',
      status: 404,
    });
    await h.s3.send(new CreateBucketCommand({ Bucket: 'b' }));
    expect(await failure(h.s3.send(new GetBucketPolicyCommand({ Bucket: 'b' })))).toMatchObject({
      name: 'NoSuchBucketPolicy',
      status: 404,
    });
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }],
    });
    await h.s3.send(new PutBucketPolicyCommand({ Bucket: 'b', Policy: policy }));
    expect((await h.s3.send(new GetBucketPolicyCommand({ Bucket: 'b' }))).Policy).toBe(policy);
    await h.s3.send(new DeleteBucketPolicyCommand({ Bucket: 'b' }));
    expect((await failure(h.s3.send(new GetBucketPolicyCommand({ Bucket: 'b' })))).name).toBe('NoSuchBucketPolicy');
  });

  it('refuses a policy over 20 KB and one that is not JSON', async () => {
    h = await harness();
    await h.s3.send(new CreateBucketCommand({ Bucket: 'b' }));
    const big = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'x'.repeat(21 * 1024), Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' },
      ],
    });
    expect((await failure(h.s3.send(new PutBucketPolicyCommand({ Bucket: 'b', Policy: big })))).name).toBe(
      'MalformedPolicy',
    );
    expect((await failure(h.s3.send(new PutBucketPolicyCommand({ Bucket: 'b', Policy: 'not json' })))).name).toBe(
      'MalformedPolicy',
    );
  });

  it('stores objects with their content type, only in created buckets', async () => {
    h = await harness();
    expect((await failure(h.s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'x' })))).name).toBe(
      'NoSuchBucket',
    );
    await h.s3.send(new CreateBucketCommand({ Bucket: 'b' }));
    await h.s3.send(
      new PutObjectCommand({ Bucket: 'b', Key: 'v1/index.html', Body: '<h1>v1</h1>', ContentType: 'text/html' }),
    );
    const got = await h.s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'v1/index.html' }));
    expect(got.ContentType).toBe('text/html');
    expect(await got.Body?.transformToString()).toBe('<h1>v1</h1>');
    expect((await failure(h.s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'missing' })))).name).toBe('NoSuchKey');
  });
});

describe('CodePipeline job reports', () => {
  it('records reports per job in order and refuses a second report for the same job', async () => {
    h = await harness();
    await h.codePipeline.send(new PutJobSuccessResultCommand({ jobId: 'job-1', continuationToken: 'wait-for-deploy' }));
    await h.codePipeline.send(
      new PutJobSuccessResultCommand({ jobId: 'job-2', outputVariables: { StagingDomain: 'd1.cloudfront.net' } }),
    );
    await h.codePipeline.send(
      new PutJobFailureResultCommand({
        jobId: 'job-3',
        failureDetails: { type: 'JobFailed', message: 'staging not Deployed' },
      }),
    );
    expect(h.emulator.jobResults('job-1')).toEqual([{ kind: 'success', continuationToken: 'wait-for-deploy' }]);
    expect(h.emulator.jobResults('job-2')).toEqual([
      { kind: 'success', outputVariables: { StagingDomain: 'd1.cloudfront.net' } },
    ]);
    expect(h.emulator.jobResults('job-3')).toEqual([
      { kind: 'failure', type: 'JobFailed', message: 'staging not Deployed' },
    ]);

    const twice = await failure(
      h.codePipeline.send(
        new PutJobFailureResultCommand({ jobId: 'job-1', failureDetails: { type: 'JobFailed', message: 'again' } }),
      ),
    );
    expect(twice.name).toBe('InvalidJobStateException');
    expect(h.emulator.jobResults('job-1')).toHaveLength(1);
  });

  it('validates continuation tokens, output variables and failure messages like the service', async () => {
    h = await harness();
    const rejects = async (p: Promise<unknown>) => expect((await failure(p)).name).toBe('ValidationException');
    await rejects(
      h.codePipeline.send(
        new PutJobSuccessResultCommand({ jobId: 'j1', continuationToken: 't', outputVariables: { a: 'b' } }),
      ),
    );
    await rejects(
      h.codePipeline.send(new PutJobSuccessResultCommand({ jobId: 'j2', continuationToken: 'x'.repeat(2049) })),
    );
    await rejects(
      h.codePipeline.send(
        new PutJobFailureResultCommand({
          jobId: 'j3',
          failureDetails: { type: 'JobFailed', message: 'x'.repeat(5001) },
        }),
      ),
    );
    await rejects(
      h.codePipeline.send(new PutJobSuccessResultCommand({ jobId: 'j4', outputVariables: { 'not valid!': 'b' } })),
    );
    expect(h.emulator.state().jobs).toEqual({});
  });
});

describe('fault injection and the request log', () => {
  it('models a concurrent writer with an injected 412 that a fresh read-and-retry gets past', async () => {
    h = await harness();
    const d = await createDistribution(h, siteConfig('p'));
    h.emulator.injectFault({ operation: 'UpdateDistribution', error: 'PreconditionFailed' });
    const read = await h.cf.send(new GetDistributionConfigCommand({ Id: d.id }));
    const update = (etag: string | undefined, config = read.DistributionConfig!) =>
      h.cf.send(
        new UpdateDistributionCommand({ Id: d.id, IfMatch: etag, DistributionConfig: { ...config, Comment: 'mine' } }),
      );
    expect(await failure(update(read.ETag))).toMatchObject({ name: 'PreconditionFailed', status: 412 });

    const fresh = await h.cf.send(new GetDistributionConfigCommand({ Id: d.id }));
    expect(fresh.ETag).not.toBe(read.ETag);
    // The concurrent writer moved only the version, not the config.
    expect(fresh.DistributionConfig).toEqual(read.DistributionConfig);
    expect((await update(fresh.ETag, fresh.DistributionConfig)).Distribution?.DistributionConfig?.Comment).toBe('mine');
  });

  it('throttles the named operation with Throttling / Rate exceeded, once', async () => {
    h = await harness();
    const d = await createDistribution(h, siteConfig('p'));
    h.emulator.injectFault({ operation: 'GetDistributionConfig', error: 'Throttling' });
    expect(await failure(h.cf.send(new GetDistributionConfigCommand({ Id: d.id })))).toMatchObject({
      name: 'Throttling',
      message: 'Rate exceeded',
      status: 400,
    });
    expect((await h.cf.send(new GetDistributionConfigCommand({ Id: d.id }))).ETag).toBe(d.etag);
  });

  it('logs every AWS API request with its operation and timing, but not viewer requests', async () => {
    h = await harness({ latencyMs: 5 });
    const d = await createDistribution(h, siteConfig('p'));
    await h.cf.send(new GetDistributionConfigCommand({ Id: d.id }));
    await h.emulator.viewer(d.domainName, '/');
    const log = h.emulator.requestLog();
    expect(log.map((e) => e.operation)).toEqual(['CreateDistribution', 'GetDistributionConfig']);
    for (const e of log) expect(e.endMs - e.startMs).toBeGreaterThanOrEqual(4);
    h.emulator.clearRequestLog();
    expect(h.emulator.requestLog()).toEqual([]);
  });

  it('is drivable over HTTP: state, settle and faults under /_emulator', async () => {
    h = await harness({ propagationMs: 60_000 });
    const d = await createDistribution(h, siteConfig('p'));
    const state = async () =>
      (await (await fetch(`${h.emulator.url}/_emulator/state`)).json()) as {
        distributions: { id: string; status: string }[];
        pendingFaults: unknown[];
      };
    expect((await state()).distributions).toMatchObject([{ id: d.id, status: 'InProgress' }]);
    await fetch(`${h.emulator.url}/_emulator/settle`, { method: 'POST' });
    await fetch(`${h.emulator.url}/_emulator/fault`, {
      method: 'POST',
      body: JSON.stringify({ operation: 'GetDistribution', error: 'Throttling' }),
    });
    expect(await state()).toMatchObject({
      distributions: [{ status: 'Deployed' }],
      pendingFaults: [{ operation: 'GetDistribution', error: 'Throttling', times: 1 }],
    });
  });
});
