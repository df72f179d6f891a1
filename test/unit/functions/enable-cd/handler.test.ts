import { PHASE } from '../../../../functions/enable-cd/phases.js';
import {
  CloudFrontClient,
  CreateInvalidationCommand,
  GetContinuousDeploymentPolicyCommand,
  GetDistributionCommand,
  GetInvalidationCommand,
  ListInvalidationsCommand,
  UpdateContinuousDeploymentPolicyCommand,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import { GetBucketPolicyCommand, HeadObjectCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { acceptReports, codepipeline, expectInputErrorReport, onlyReport } from '../../codepipeline-mock.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../../functions/enable-cd/handler.js';
import { grantSid } from '../../../../shared/domain/bucket-policy-merge.js';
import { decodeContinuation, encodeContinuation } from '../../../../shared/job/continuation.js';
import {
  BUCKET,
  POLICY_ID,
  PRIMARY_ID,
  STAGING_ID,
  acceptInvalidations,
  arnOf,
  awsError,
  cachesInvalidatedSince,
  captureLogs,
  defaultEtag,
  distributionConfig,
  doneInvalidationId,
  headerPolicyConfig,
  invalidationOutput,
  jobEvent,
  mockInvalidations,
  NEW_INVALIDATION_ID,
  neverInvalidated,
  ourCallerReference,
  policyOutput,
  primaryOutput,
  stagingOutput,
  weightPolicyConfig,
} from '../../fixtures.js';

const cf = mockClient(CloudFrontClient);
const s3 = mockClient(S3Client);
let logs: ReturnType<typeof captureLogs>;

const params = {
  PrimaryDistributionId: PRIMARY_ID,
  StagingDistributionId: STAGING_ID,
  ContinuousDeploymentPolicyId: POLICY_ID,
  StaticResourceBucketName: BUCKET,
};
const ALL_GRANTED = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: grantSid(PRIMARY_ID),
      Effect: 'Allow',
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${BUCKET}/*`,
      Condition: { StringEquals: { 'AWS:SourceArn': [arnOf(PRIMARY_ID), arnOf(STAGING_ID)] } },
    },
  ],
});

/** The world with continuous deployment fully live; tests change one thing each. */
function everythingInPlace() {
  cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(primaryOutput(POLICY_ID));
  cf.on(GetDistributionCommand, { Id: STAGING_ID }).resolves(stagingOutput());
  cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput());
  cf.on(UpdateDistributionCommand).resolves({ ETag: 'ETAG-PRIMARY-NEW' });
  cf.on(UpdateContinuousDeploymentPolicyCommand).resolves({ ETag: 'ETAG-POLICY-NEW' });
  s3.on(GetBucketPolicyCommand).resolves({ Policy: ALL_GRANTED });
  s3.on(PutBucketPolicyCommand).resolves({});
  cachesInvalidatedSince(cf, STAGING_ID);
  acceptInvalidations(cf);
}

function expectNoWrites() {
  expect(cf).not.toHaveReceivedCommand(CreateInvalidationCommand);
  expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
  expect(cf).not.toHaveReceivedCommand(UpdateContinuousDeploymentPolicyCommand);
  expect(s3).not.toHaveReceivedCommand(PutBucketPolicyCommand);
}

beforeEach(() => {
  cf.reset();
  s3.reset();
  acceptReports();
  everythingInPlace();
  logs = captureLogs();
});
afterEach(() => logs.restore());

describe('enable-CD', () => {
  it('makes no write at all on a re-run when everything is in place, and reports the reviewer variables', async () => {
    await handler(jobEvent(params));
    expectNoWrites();
    expect(onlyReport().outputVariables).toMatchObject({
      TrafficType: 'SingleHeader',
      StagingHeader: 'aws-cf-cd-staging: true',
      PolicyEnabled: 'true',
    });
  });

  it('reads primary, staging, policy and bucket policy before any write', async () => {
    await handler(jobEvent(params));
    expect(cf).toHaveReceivedCommandTimes(GetDistributionCommand, 2);
    expect(cf).toHaveReceivedCommandWith(GetContinuousDeploymentPolicyCommand, { Id: POLICY_ID });
    expect(s3).toHaveReceivedCommandWith(GetBucketPolicyCommand, { Bucket: BUCKET });
  });

  it('creates the grant in a bucket with no policy', async () => {
    s3.on(GetBucketPolicyCommand).rejects(awsError('NoSuchBucketPolicy', 404, 'The bucket policy does not exist'));
    await handler(jobEvent(params));
    const written = JSON.parse(s3.commandCalls(PutBucketPolicyCommand)[0]?.args[0].input.Policy as string);
    expect(written.Statement).toEqual([
      expect.objectContaining({
        Condition: { StringEquals: { 'AWS:SourceArn': [arnOf(PRIMARY_ID), arnOf(STAGING_ID)] } },
      }),
    ]);
    expect(onlyReport().outputVariables).toMatchObject({ PolicyEnabled: 'true', StagingDistributionId: STAGING_ID });
  });

  it('keeps the statements of other owners in the bucket policy', async () => {
    const others = [
      {
        Sid: 'DenyInsecure',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: `arn:aws:s3:::${BUCKET}/*`,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'PrimaryOnly',
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${BUCKET}/*`,
        Condition: { StringEquals: { 'AWS:SourceArn': arnOf(PRIMARY_ID) } },
      },
    ];
    s3.on(GetBucketPolicyCommand).resolves({ Policy: JSON.stringify({ Version: '2012-10-17', Statement: others }) });
    await handler(jobEvent(params));
    const written = JSON.parse(s3.commandCalls(PutBucketPolicyCommand)[0]?.args[0].input.Policy as string);
    expect(written.Statement.slice(0, 2)).toEqual(others);
    expect(written.Statement[2].Sid).toBe(grantSid(PRIMARY_ID));
  });

  it('skips the bucket entirely when no bucket is named', async () => {
    const { StaticResourceBucketName: _, ...noBucket } = params;
    await handler(jobEvent(noBucket));
    expect(s3).not.toHaveReceivedAnyCommand();
    expect(onlyReport().outputVariables).toMatchObject({ PolicyEnabled: 'true', StagingDistributionId: STAGING_ID });
  });

  it('re-enables the policy that the last promotion disabled, round-tripping its config', async () => {
    cf.on(GetContinuousDeploymentPolicyCommand).resolves(
      policyOutput(headerPolicyConfig({ Enabled: false }), 'ETAG-POLICY-DISABLED'),
    );
    await handler(jobEvent(params));
    expect(cf).toHaveReceivedCommandExactlyOnceWith(UpdateContinuousDeploymentPolicyCommand, {
      Id: POLICY_ID,
      IfMatch: 'ETAG-POLICY-DISABLED',
      ContinuousDeploymentPolicyConfig: headerPolicyConfig({ Enabled: true }),
    });
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
    expect(decodeContinuation(onlyReport().continuationToken as string).phase).toBe('propagating');
  });

  it('with RampHeader, re-enables a weight left by a ramp on header routing; a 412 re-reads and re-plans', async () => {
    const left = weightPolicyConfig({
      Enabled: false,
      TrafficConfig: { Type: 'SingleWeight', SingleWeightConfig: { Weight: 0.15 } },
    });
    cf.on(GetContinuousDeploymentPolicyCommand)
      .resolvesOnce(policyOutput(left, 'ETAG-POLICY-STALE'))
      .resolves(policyOutput(left, 'ETAG-POLICY-FRESH'));
    cf.on(UpdateContinuousDeploymentPolicyCommand)
      .rejectsOnce(awsError('PreconditionFailed', 412))
      .resolves({ ETag: 'ETAG-POLICY-NEW' });
    await handler(jobEvent({ ...params, RampHeader: 'aws-cf-cd-staging: true' }));
    const calls = cf.commandCalls(UpdateContinuousDeploymentPolicyCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.IfMatch)).toEqual(['ETAG-POLICY-STALE', 'ETAG-POLICY-FRESH']);
    expect(calls[1]?.ContinuousDeploymentPolicyConfig).toEqual(headerPolicyConfig({ Enabled: true }));
    expect(decodeContinuation(onlyReport().continuationToken as string)).toMatchObject({
      phase: 'propagating',
      data: { written: 'route-by-header', routed: 'true' },
    });
    const plan = logs.lines.map((l) => JSON.parse(l)).find((l) => l.event === 'plan');
    expect(JSON.stringify(plan)).toContain('a ramp owns the weights');
  });

  it('refuses a malformed RampHeader as a configuration error, with no AWS call', async () => {
    await handler(jobEvent({ ...params, RampHeader: 'x-staging: true' }));
    expectInputErrorReport('RampHeader');
    expect(cf.calls()).toHaveLength(0);
  });

  it('attaches the policy with the full config round-tripped, changing only the policy id', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(primaryOutput('', { etag: 'ETAG-P1' }));
    await handler(jobEvent(params));
    expect(cf).toHaveReceivedCommandExactlyOnceWith(UpdateDistributionCommand, {
      Id: PRIMARY_ID,
      IfMatch: 'ETAG-P1',
      DistributionConfig: distributionConfig({ ContinuousDeploymentPolicyId: POLICY_ID }),
    });
    expect(decodeContinuation(onlyReport().continuationToken as string)).toMatchObject({
      phase: 'propagating',
      data: { written: 'attach-policy', routed: 'true' },
    });
  });

  it('re-reads and retries the attach after a stale ETag (412), then succeeds', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID })
      .resolvesOnce(primaryOutput('', { etag: 'ETAG-STALE' }))
      .resolves(primaryOutput('', { etag: 'ETAG-FRESH' }));
    cf.on(UpdateDistributionCommand).rejectsOnce(awsError('PreconditionFailed', 412)).resolves({ ETag: 'ETAG-NEW' });
    await handler(jobEvent(params));
    const ifMatches = cf.commandCalls(UpdateDistributionCommand).map((c) => c.args[0].input.IfMatch);
    expect(ifMatches).toEqual(['ETAG-STALE', 'ETAG-FRESH']);
    expect(decodeContinuation(onlyReport().continuationToken as string)).toMatchObject({
      phase: 'propagating',
      data: { written: 'attach-policy' },
    });
  });

  it('does not stack the attach on a primary that the concurrent writer left InProgress: waits and plans again next time', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID })
      .resolvesOnce(primaryOutput('', { etag: 'ETAG-STALE' }))
      .resolves(primaryOutput('', { etag: 'ETAG-OTHER-WRITER', status: 'InProgress' }));
    cf.on(UpdateDistributionCommand).rejectsOnce(awsError('PreconditionFailed', 412));
    await handler(jobEvent(params));
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 1);
    // Nothing reached CloudFront: the token carries the re-plan's phase, the attach held back until it settles.
    expect(decodeContinuation(onlyReport().continuationToken as string).phase).toBe(PHASE.waitingToApply);
    const skipped = logs.lines
      .map((l) => JSON.parse(l) as { event: string; reason?: string })
      .find((l) => l.event === 'write-skipped');
    expect(skipped?.reason).toContain('E1PRIMARY00001 InProgress');
  });

  it('re-checks everything after a 412: a primary switched to HTTP/3 meanwhile is refused, not attached', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID })
      .resolvesOnce(primaryOutput(''))
      .resolves(primaryOutput('', { etag: 'ETAG-OTHER-WRITER', config: distributionConfig({ HttpVersion: 'http3' }) }));
    cf.on(UpdateDistributionCommand).rejectsOnce(awsError('PreconditionFailed', 412));
    await handler(jobEvent(params));
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 1);
    expect(onlyReport().failureDetails?.message).toContain('HTTP/3');
  });

  it('does not attach twice when the re-read after a 412 shows another writer already attached it', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID })
      .resolvesOnce(primaryOutput(''))
      .resolves(primaryOutput(POLICY_ID, { etag: 'ETAG-OTHER' }));
    cf.on(UpdateDistributionCommand).rejectsOnce(awsError('PreconditionFailed', 412));
    await handler(jobEvent(params));
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 1);
  });

  it('fails after three stale ETags in a row, naming the step and the AWS error', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(primaryOutput(''));
    cf.on(UpdateDistributionCommand).rejects(
      awsError('PreconditionFailed', 412, 'The If-Match version is missing or not valid'),
    );
    await handler(jobEvent(params));
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 3);
    expect(onlyReport().failureDetails).toEqual({
      type: 'JobFailed',
      message: expect.stringMatching(
        /attach the policy to the primary.*UpdateDistribution on distribution E1PRIMARY00001 failed: PreconditionFailed \(HTTP 412\)/,
      ),
    });
  });

  it('refuses an HTTP/3 primary without writing anything', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(
      primaryOutput('', { config: distributionConfig({ HttpVersion: 'http2and3' }) }),
    );
    s3.on(GetBucketPolicyCommand).rejects(awsError('NoSuchBucketPolicy', 404));
    await handler(jobEvent(params));
    expectNoWrites();
    expect(onlyReport().failureDetails).toEqual({ type: 'JobFailed', message: expect.stringContaining('HTTP/3') });
  });

  it('refuses, before attaching, a staging that can never be promoted (its stack changed the price class)', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(primaryOutput(''));
    cf.on(GetDistributionCommand, { Id: STAGING_ID }).resolves(
      stagingOutput({
        config: distributionConfig(
          { CallerReference: 'staging-ref', Staging: true, Aliases: { Quantity: 0 }, PriceClass: 'PriceClass_All' },
          '/v2',
        ),
      }),
    );
    s3.on(GetBucketPolicyCommand).rejects(awsError('NoSuchBucketPolicy', 404));
    await handler(jobEvent(params));
    expectNoWrites();
    expect(onlyReport().failureDetails).toEqual({
      type: 'JobFailed',
      message: expect.stringContaining('PriceClass: primary (not set), staging "PriceClass_All"'),
    });
  });

  it('refuses a policy that does not route to the staging distribution, without writing anything', async () => {
    cf.on(GetContinuousDeploymentPolicyCommand).resolves(
      policyOutput(
        headerPolicyConfig({
          Enabled: false,
          StagingDistributionDnsNames: { Quantity: 1, Items: ['dother.cloudfront.net'] },
        }),
      ),
    );
    await handler(jobEvent(params));
    expectNoWrites();
    expect(onlyReport().failureDetails?.message).toMatch(
      /routes to \[dother.cloudfront.net\], not to staging E2STAGING00002/,
    );
  });

  it('grants at once, then waits for an InProgress staging before touching the policy, and succeeds on re-invocation', async () => {
    cf.on(GetDistributionCommand, { Id: STAGING_ID }).resolves(stagingOutput({ status: 'InProgress' }));
    cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput(headerPolicyConfig({ Enabled: false })));
    s3.on(GetBucketPolicyCommand).rejects(awsError('NoSuchBucketPolicy', 404));
    await handler(jobEvent(params));
    expect(s3).toHaveReceivedCommandTimes(PutBucketPolicyCommand, 1);
    expect(cf).not.toHaveReceivedCommand(UpdateContinuousDeploymentPolicyCommand);
    const token = onlyReport().continuationToken as string;
    expect(decodeContinuation(token).phase).toBe('waiting-to-apply');

    // CodePipeline re-invokes with the token once staging has propagated.
    codepipeline.resetHistory();
    cf.on(GetDistributionCommand, { Id: STAGING_ID }).resolves(stagingOutput());
    s3.on(GetBucketPolicyCommand).resolves({ Policy: ALL_GRANTED });
    await handler(jobEvent(params, token));
    expect(cf).toHaveReceivedCommandTimes(UpdateContinuousDeploymentPolicyCommand, 1);
    const next = onlyReport().continuationToken as string;
    expect(decodeContinuation(next).startedAt).toBe(decodeContinuation(token).startedAt);

    // The write made the primary propagate; once everything reads Deployed and in place, success.
    codepipeline.resetHistory();
    cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput());
    await handler(jobEvent(params, next));
    expect(onlyReport().outputVariables).toMatchObject({ PolicyEnabled: 'true' });
    expect(cf).toHaveReceivedCommandTimes(UpdateContinuousDeploymentPolicyCommand, 1);
  });

  it('fails naming the distribution still InProgress when the wait limit has passed', async () => {
    cf.on(GetDistributionCommand, { Id: STAGING_ID }).resolves(stagingOutput({ status: 'InProgress' }));
    const token = encodeContinuation({ phase: 'propagating', startedAt: Date.now() - 31 * 60_000 });
    await handler(jobEvent({ ...params, MaxWaitMinutes: 30 }, token));
    expect(onlyReport().failureDetails).toEqual({
      type: 'JobFailed',
      message: expect.stringMatching(/MaxWaitMinutes=30.*still InProgress: E2STAGING00002/),
    });
  });

  it.each([
    ['not JSON', '{PrimaryDistributionId: E1}', 'UserParameters'],
    ['a JSON array', '[]', 'UserParameters'],
    [
      'a missing field',
      JSON.stringify({ PrimaryDistributionId: PRIMARY_ID, StagingDistributionId: STAGING_ID }),
      'ContinuousDeploymentPolicyId',
    ],
    ['an ill-typed field', JSON.stringify({ ...params, PrimaryDistributionId: 12 }), 'PrimaryDistributionId'],
    [
      'a malformed distribution id',
      JSON.stringify({ ...params, StagingDistributionId: 'staging' }),
      'StagingDistributionId',
    ],
    [
      'a malformed policy id',
      JSON.stringify({ ...params, ContinuousDeploymentPolicyId: 'E2QWRUHAPOMQZL' }),
      'ContinuousDeploymentPolicyId',
    ],
    [
      'a malformed bucket name',
      JSON.stringify({ ...params, StaticResourceBucketName: 'Bad_Bucket' }),
      'StaticResourceBucketName',
    ],
    ['a misspelled key', JSON.stringify({ ...params, StagingDistributionID: STAGING_ID }), 'StagingDistributionID'],
    ['an out-of-range wait', JSON.stringify({ ...params, MaxWaitMinutes: 0 }), 'MaxWaitMinutes'],
    ['the same id twice', JSON.stringify({ ...params, StagingDistributionId: PRIMARY_ID }), 'StagingDistributionId'],
  ])('reports %s once as InputError naming the field, touching no AWS resource', async (_, userParameters, field) => {
    await handler(jobEvent(userParameters));
    expectInputErrorReport(field);
    expect(cf).not.toHaveReceivedAnyCommand();
    expect(s3).not.toHaveReceivedAnyCommand();
  });

  it('logs the state read, the plan and each write with the job id', async () => {
    cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput(headerPolicyConfig({ Enabled: false })));
    await handler(jobEvent(params));
    const events = logs.lines.map((l) => JSON.parse(l) as { event: string; jobId?: string; changes?: unknown });
    expect(events.map((e) => e.event)).toEqual([
      'job-started',
      'state-read',
      'plan',
      'write',
      'job-waiting',
      'job-reported',
    ]);
    expect(events.every((e) => e.jobId === 'job-1')).toBe(true);
    expect(events.find((e) => e.event === 'plan')?.changes).toEqual([
      { kind: 'enable-policy', reason: expect.stringContaining('promotion') },
    ]);
  });
});

describe('enable-CD: the release must be in the bucket before viewers are routed to it', () => {
  it('refuses, with no write at all, when the staging origin path holds no default root object', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(primaryOutput(''));
    s3.on(GetBucketPolicyCommand).rejects(awsError('NoSuchBucketPolicy', 404));
    s3.on(HeadObjectCommand).rejects(awsError('NotFound', 404));
    await handler(jobEvent(params));
    expectNoWrites();
    expect(s3).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: BUCKET, Key: 'v2/index.html' });
    expect(onlyReport().failureDetails).toEqual({
      type: 'JobFailed',
      message: expect.stringContaining(`would serve s3://${BUCKET}/v2/index.html, which does not exist`),
    });
  });

  it('does not look when viewers are already routed to staging (a re-run costs no extra request)', async () => {
    everythingInPlace();
    await handler(jobEvent(params));
    expect(s3).not.toHaveReceivedCommand(HeadObjectCommand);
    expect(onlyReport().outputVariables).toMatchObject({
      StagingDistributionId: STAGING_ID,
      StagingETag: expect.any(String),
    });
  });
});

describe('enable-CD: a rollback while it waits is not undone', () => {
  it('fails, with no write, when the policy it had routed viewers through was disabled meanwhile', async () => {
    everythingInPlace();
    cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput(headerPolicyConfig({ Enabled: false })));
    const token = encodeContinuation({
      phase: 'propagating',
      startedAt: Date.now(),
      data: { changes: 'enable-policy', routed: 'true' },
    });
    await handler(jobEvent(params, token));
    expectNoWrites();
    expect(onlyReport().failureDetails?.message).toContain('the canary was rolled back');
  });

  it('remembers, while it waits, that viewers were routed to staging', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(primaryOutput(''));
    s3.on(GetBucketPolicyCommand).resolves({ Policy: ALL_GRANTED });
    await handler(jobEvent(params));
    expect(decodeContinuation(onlyReport().continuationToken as string).data).toMatchObject({ routed: 'true' });
  });
});

describe("enable-CD: the staging's edge caches are invalidated before any viewer is routed to it", () => {
  /** A new staging release to review, with no viewer routed to it yet (the last promotion disabled the policy). */
  function newReleaseToRoute() {
    cf.on(GetContinuousDeploymentPolicyCommand).resolves(
      policyOutput(headerPolicyConfig({ Enabled: false }), 'ETAG-POLICY-DISABLED'),
    );
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(primaryOutput('', { etag: 'ETAG-P1' }));
    s3.on(HeadObjectCommand).resolves({});
  }
  const ourInvalidation = (status: 'InProgress' | 'Completed') => ({
    id: NEW_INVALIDATION_ID,
    status,
    callerReference: ourCallerReference(defaultEtag(STAGING_ID)),
  });
  function expectNoRoutingWrite() {
    expect(cf).not.toHaveReceivedCommand(UpdateContinuousDeploymentPolicyCommand);
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
  }
  const tokenPhase = () => decodeContinuation(onlyReport().continuationToken as string).phase;
  const events = () => logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeEach(() => newReleaseToRoute());

  it('invalidates the staging first, routes viewers only once that is Completed, and reports the invalidation', async () => {
    neverInvalidated(cf, STAGING_ID);
    await handler(jobEvent(params));
    expect(cf).toHaveReceivedCommandWith(ListInvalidationsCommand, { DistributionId: STAGING_ID });
    expect(cf).toHaveReceivedCommandExactlyOnceWith(CreateInvalidationCommand, {
      DistributionId: STAGING_ID,
      InvalidationBatch: {
        CallerReference: ourCallerReference(defaultEtag(STAGING_ID)),
        Paths: { Quantity: 1, Items: ['/*'] },
      },
    });
    expectNoRoutingWrite();
    const invalidating = onlyReport().continuationToken as string;
    expect(decodeContinuation(invalidating).phase).toBe(PHASE.invalidating);
    expect(decodeContinuation(invalidating).data).not.toHaveProperty('routed');

    cf.resetHistory();
    codepipeline.resetHistory();
    mockInvalidations(cf, STAGING_ID, [ourInvalidation('InProgress')]);
    await handler(jobEvent(params, invalidating));
    expect(cf).not.toHaveReceivedCommand(CreateInvalidationCommand);
    expectNoRoutingWrite();
    expect(tokenPhase()).toBe(PHASE.invalidating);

    cf.resetHistory();
    codepipeline.resetHistory();
    mockInvalidations(cf, STAGING_ID, [ourInvalidation('Completed')]);
    await handler(jobEvent(params, invalidating));
    expect(cf).not.toHaveReceivedCommand(CreateInvalidationCommand);
    expect(cf).toHaveReceivedCommandExactlyOnceWith(UpdateContinuousDeploymentPolicyCommand, {
      Id: POLICY_ID,
      IfMatch: 'ETAG-POLICY-DISABLED',
    });
    expect(cf).toHaveReceivedCommandExactlyOnceWith(UpdateDistributionCommand, { Id: PRIMARY_ID, IfMatch: 'ETAG-P1' });
    const propagating = onlyReport().continuationToken as string;
    expect(decodeContinuation(propagating)).toMatchObject({ phase: PHASE.propagating, data: { routed: 'true' } });

    // Once everything is live and Deployed, the report names the invalidation viewers got the release through.
    cf.resetHistory();
    codepipeline.resetHistory();
    cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput());
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(primaryOutput(POLICY_ID));
    await handler(jobEvent(params, propagating));
    expectNoWrites();
    expect(onlyReport().outputVariables).toMatchObject({
      PolicyEnabled: 'true',
      StagingInvalidationId: NEW_INVALIDATION_ID,
    });
  });

  it('makes no write at all when routing is live and the staging was invalidated since, and reports that invalidation', async () => {
    everythingInPlace();
    await handler(jobEvent(params));
    expectNoWrites();
    expect(cf).toHaveReceivedCommandTimes(ListInvalidationsCommand, 1);
    expect(cf).not.toHaveReceivedCommandWith(ListInvalidationsCommand, { DistributionId: PRIMARY_ID });
    expect(onlyReport().outputVariables).toMatchObject({ StagingInvalidationId: doneInvalidationId(STAGING_ID) });
  });

  it('remembers the invalidation it made and reads it again by id when the list does not show it, then routes', async () => {
    neverInvalidated(cf, STAGING_ID);
    await handler(jobEvent(params));
    const invalidating = onlyReport().continuationToken as string;
    expect(decodeContinuation(invalidating).data).toMatchObject({ invalidation: NEW_INVALIDATION_ID });

    // The list shows nothing since the staging's last change (e.g. the time moved without the config): the id is
    // read again, its CallerReference checked, and the release routed with no second invalidation.
    cf.resetHistory();
    codepipeline.resetHistory();
    neverInvalidated(cf, STAGING_ID);
    cf.on(GetInvalidationCommand, { DistributionId: STAGING_ID, Id: NEW_INVALIDATION_ID }).resolves(
      invalidationOutput(ourInvalidation('Completed')),
    );
    await handler(jobEvent(params, invalidating));
    expect(cf).not.toHaveReceivedCommand(CreateInvalidationCommand);
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 1);
  });

  it('does not invalidate a staging still InProgress, nor look into its invalidations', async () => {
    cf.on(GetDistributionCommand, { Id: STAGING_ID }).resolves(stagingOutput({ status: 'InProgress' }));
    neverInvalidated(cf, STAGING_ID);
    await handler(jobEvent(params));
    // The list goes out beside the first reads (one round fewer when it is needed); nothing more is read.
    expect(cf).toHaveReceivedCommandTimes(ListInvalidationsCommand, 1);
    expect(cf).not.toHaveReceivedCommand(GetInvalidationCommand);
    expect(cf).not.toHaveReceivedCommand(CreateInvalidationCommand);
    expectNoRoutingWrite();
    expect(tokenPhase()).toBe(PHASE.waitingToApply);
  });

  it('does not invalidate a staging that serves what the primary serves (nothing to review)', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(
      primaryOutput(POLICY_ID, { config: distributionConfig({ ContinuousDeploymentPolicyId: POLICY_ID }, '/v2') }),
    );
    neverInvalidated(cf, STAGING_ID);
    await handler(jobEvent(params));
    expect(cf).not.toHaveReceivedCommand(GetInvalidationCommand);
    expect(cf).not.toHaveReceivedCommand(CreateInvalidationCommand);
    expectNoRoutingWrite();
    expect(onlyReport().outputVariables).toMatchObject({ PolicyEnabled: 'false', StagingInvalidationId: 'none' });
  });

  it('routes viewers with no invalidation call, a warning and StagingInvalidationId "none" when InvalidationPaths is []', async () => {
    neverInvalidated(cf, STAGING_ID);
    await handler(jobEvent({ ...params, InvalidationPaths: [] }));
    expect(cf).not.toHaveReceivedCommand(ListInvalidationsCommand);
    expect(cf).not.toHaveReceivedCommand(GetInvalidationCommand);
    expect(cf).not.toHaveReceivedCommand(CreateInvalidationCommand);
    expect(cf).toHaveReceivedCommandTimes(UpdateContinuousDeploymentPolicyCommand, 1);
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 1);
    expect(events().find((e) => e.event === 'invalidation-off')).toMatchObject({
      level: 'WARN',
      reason: expect.stringContaining('InvalidationPaths is []'),
    });

    const propagating = onlyReport().continuationToken as string;
    cf.resetHistory();
    codepipeline.resetHistory();
    everythingInPlace();
    await handler(jobEvent({ ...params, InvalidationPaths: '[]' }, propagating));
    expect(cf).not.toHaveReceivedCommand(ListInvalidationsCommand);
    expect(onlyReport().outputVariables).toMatchObject({ PolicyEnabled: 'true', StagingInvalidationId: 'none' });
  });

  it('waits in "invalidating", routing no viewer, on TooManyInvalidationsInProgress, and past MaxWaitMinutes fails naming it', async () => {
    neverInvalidated(cf, STAGING_ID);
    cf.on(CreateInvalidationCommand).rejects(awsError('TooManyInvalidationsInProgress', 400));
    await handler(jobEvent(params));
    expect(cf).toHaveReceivedCommandTimes(CreateInvalidationCommand, 1);
    expectNoRoutingWrite();
    const report = onlyReport();
    expect(report.failureDetails).toBeUndefined();
    expect(decodeContinuation(report.continuationToken as string).phase).toBe(PHASE.invalidating);
    expect(events().find((e) => e.event === 'invalidation-deferred')).toMatchObject({ level: 'WARN' });

    cf.resetHistory();
    codepipeline.resetHistory();
    const late = encodeContinuation({ phase: PHASE.invalidating, startedAt: Date.now() - 31 * 60_000 });
    await handler(jobEvent({ ...params, MaxWaitMinutes: 30 }, late));
    expectNoRoutingWrite();
    expect(onlyReport().failureDetails).toEqual({
      type: 'JobFailed',
      message: expect.stringMatching(/MaxWaitMinutes=30.*TooManyInvalidationsInProgress/),
    });
  });

  it('never invalidates the primary', async () => {
    neverInvalidated(cf, STAGING_ID);
    neverInvalidated(cf, PRIMARY_ID);
    await handler(jobEvent(params));
    expect(cf).not.toHaveReceivedCommandWith(ListInvalidationsCommand, { DistributionId: PRIMARY_ID });
    expect(cf).not.toHaveReceivedCommandWith(CreateInvalidationCommand, { DistributionId: PRIMARY_ID });
  });

  it.each([
    ['a path without a leading "/"', ['img/*']],
    ['a duplicate path', ['/*', '/*']],
    ['not an array', { paths: ['/*'] }],
  ])('refuses %s in InvalidationPaths as InputError naming it, touching no AWS resource', async (_, paths) => {
    await handler(jobEvent({ ...params, InvalidationPaths: paths }));
    expect(cf).not.toHaveReceivedAnyCommand();
    expect(s3).not.toHaveReceivedAnyCommand();
    expectInputErrorReport('InvalidationPaths');
  });
});
