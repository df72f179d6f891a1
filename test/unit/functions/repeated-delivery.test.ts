/**
 * Lambda delivers an asynchronous invocation at least once, and retries a rejected one with the same event: the same
 * CodePipeline job may run twice, one after the other or at the same moment. Against a small stateful CloudFront
 * (ETags enforced) and a CodePipeline that refuses a second report of a job, every action makes its write once and
 * every delivery resolves.
 */
import {
  CloudFrontClient,
  CreateInvalidationCommand,
  type CreateInvalidationCommandInput,
  GetContinuousDeploymentPolicyCommand,
  GetDistributionCommand,
  GetInvalidationCommand,
  ListInvalidationsCommand,
  UpdateContinuousDeploymentPolicyCommand,
  UpdateDistributionCommand,
  UpdateDistributionWithStagingConfigCommand,
  type ContinuousDeploymentPolicyConfig,
  type DistributionConfig,
} from '@aws-sdk/client-cloudfront';
import { PutJobFailureResultCommand, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import { GetBucketPolicyCommand, HeadObjectCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handler as abort } from '../../../functions/abort/handler.js';
import { handler as enableCd } from '../../../functions/enable-cd/handler.js';
import { handler as promote } from '../../../functions/promote/handler.js';
import { codepipeline } from '../codepipeline-mock.js';
import {
  BUCKET,
  POLICY_ID,
  PRIMARY_ID,
  STAGING_ID,
  awsError,
  captureLogs,
  distributionConfig,
  getDistributionOutput,
  headerPolicyConfig,
  invalidationListOutput,
  invalidationOutput,
  jobEvent,
  ourCallerReference,
  policyOutput,
} from '../fixtures.js';

const cf = mockClient(CloudFrontClient);
const s3 = mockClient(S3Client);
let logs: ReturnType<typeof captureLogs>;

interface Dist {
  etag: string;
  status: 'Deployed' | 'InProgress';
  config: DistributionConfig;
  lastModified: Date;
}
interface Invalidation {
  id: string;
  status: 'Completed' | 'InProgress';
  createTime: Date;
  paths: string[];
  callerReference: string;
}
let version = 0;
const nextEtag = () => `ETAG${++version}`;
let dists: Map<string, Dist>;
/** Each distribution's invalidations, newest first. */
let invalidations: Map<string, Invalidation[]>;
let policy: { etag: string; config: ContinuousDeploymentPolicyConfig };
let bucketPolicy: string | undefined;
/** Each request takes a little while, so that concurrent deliveries read before either writes. */
const later = () => new Promise((r) => setTimeout(r, 2));
const stale = () => awsError('PreconditionFailed', 412, 'The If-Match version is missing or not valid');

/**
 * Both distributions Deployed with their last change a minute ago. `stagingInvalidated`: an earlier enable-CD run
 * already invalidated the staging's caches for the config it serves, so enable-CD goes straight to routing.
 */
function world(o: { attached: boolean; enabled: boolean; stagingInvalidated?: boolean }) {
  version = 0;
  const changed = new Date(Date.now() - 60_000);
  dists = new Map([
    [
      PRIMARY_ID,
      {
        etag: nextEtag(),
        status: 'Deployed',
        config: distributionConfig({ ContinuousDeploymentPolicyId: o.attached ? POLICY_ID : '' }),
        lastModified: changed,
      },
    ],
    [
      STAGING_ID,
      {
        etag: nextEtag(),
        status: 'Deployed',
        config: distributionConfig({ CallerReference: 'staging-ref', Staging: true, Aliases: { Quantity: 0 } }, '/v2'),
        lastModified: changed,
      },
    ],
  ]);
  const staging = dists.get(STAGING_ID) as Dist;
  invalidations = new Map([
    [PRIMARY_ID, []],
    [
      STAGING_ID,
      o.stagingInvalidated
        ? [
            {
              id: 'IEARLIER',
              status: 'Completed',
              createTime: new Date(),
              paths: ['/*'],
              callerReference: ourCallerReference(staging.etag),
            },
          ]
        : [],
    ],
  ]);
  policy = { etag: nextEtag(), config: headerPolicyConfig({ Enabled: o.enabled }) };
  bucketPolicy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'SomeoneElses',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::111122223333:root' },
        Action: 's3:ListBucket',
        Resource: `arn:aws:s3:::${BUCKET}`,
      },
    ],
  });
}

/** Distributions finish propagating and invalidations complete (as CloudFront would, minutes later). */
const settle = () => {
  dists.forEach((d) => (d.status = 'Deployed'));
  invalidations.forEach((list) => list.forEach((inv) => (inv.status = 'Completed')));
};

beforeEach(() => {
  cf.reset();
  s3.reset();
  codepipeline.reset();
  logs = captureLogs();
  cf.on(GetDistributionCommand).callsFake(async ({ Id }: { Id: string }) => {
    await later();
    const d = dists.get(Id) as Dist;
    return getDistributionOutput({
      id: Id,
      etag: d.etag,
      status: d.status,
      config: structuredClone(d.config),
      lastModified: d.lastModified,
    });
  });
  cf.on(UpdateDistributionCommand).callsFake(async ({ Id, IfMatch, DistributionConfig: config }) => {
    await later();
    const d = dists.get(Id) as Dist;
    if (IfMatch !== d.etag) throw stale();
    Object.assign(d, { config, etag: nextEtag(), status: 'InProgress', lastModified: new Date() });
    return { ETag: d.etag };
  });
  cf.on(GetContinuousDeploymentPolicyCommand).callsFake(async () => {
    await later();
    return policyOutput(structuredClone(policy.config), policy.etag);
  });
  cf.on(UpdateContinuousDeploymentPolicyCommand).callsFake(
    async ({ IfMatch, ContinuousDeploymentPolicyConfig: config }) => {
      await later();
      if (IfMatch !== policy.etag) throw stale();
      policy = { etag: nextEtag(), config };
      return { ETag: policy.etag };
    },
  );
  cf.on(UpdateDistributionWithStagingConfigCommand).callsFake(async ({ Id, StagingDistributionId, IfMatch }) => {
    await later();
    const primary = dists.get(Id) as Dist;
    const staging = dists.get(StagingDistributionId) as Dist;
    if (IfMatch !== `${primary.etag}, ${staging.etag}`) throw stale();
    const { CallerReference, Aliases, ContinuousDeploymentPolicyId, Staging: _s, ...promoted } = staging.config;
    primary.config = {
      ...promoted,
      CallerReference: primary.config.CallerReference,
      Aliases: primary.config.Aliases,
      ContinuousDeploymentPolicyId: primary.config.ContinuousDeploymentPolicyId,
    };
    Object.assign(primary, { etag: nextEtag(), status: 'InProgress', lastModified: new Date() });
    policy = { etag: nextEtag(), config: { ...policy.config, Enabled: false } };
    return { ETag: primary.etag };
  });
  cf.on(ListInvalidationsCommand).callsFake(async ({ DistributionId }: { DistributionId: string }) => {
    await later();
    return invalidationListOutput(invalidations.get(DistributionId) ?? []);
  });
  cf.on(GetInvalidationCommand).callsFake(async ({ DistributionId, Id }: { DistributionId: string; Id: string }) => {
    await later();
    const inv = invalidations.get(DistributionId)?.find((i) => i.id === Id);
    if (!inv) throw awsError('NoSuchInvalidation', 404);
    return invalidationOutput(inv);
  });
  // CloudFront answers a repeated CallerReference with the invalidation it already made: one, not two.
  cf.on(CreateInvalidationCommand).callsFake(
    async ({ DistributionId, InvalidationBatch }: CreateInvalidationCommandInput) => {
      await later();
      const list = invalidations.get(DistributionId as string) ?? [];
      const callerReference = InvalidationBatch?.CallerReference as string;
      const made = list.find((i) => i.callerReference === callerReference);
      const inv = made ?? {
        id: `INV${++version}`,
        status: 'InProgress' as const,
        createTime: new Date(),
        paths: InvalidationBatch?.Paths?.Items ?? [],
        callerReference,
      };
      if (!made) list.unshift(inv);
      return invalidationOutput(inv);
    },
  );
  s3.on(GetBucketPolicyCommand).callsFake(async () => {
    await later();
    return { Policy: bucketPolicy };
  });
  s3.on(PutBucketPolicyCommand).callsFake(async ({ Policy }) => {
    await later();
    bucketPolicy = Policy;
    return {};
  });
  s3.on(HeadObjectCommand).resolves({});
  // CodePipeline takes one report per job; another delivery's report of the same job is refused.
  const reported = new Set<string>();
  const report = async ({ jobId }: { jobId: string }) => {
    await later();
    if (reported.has(jobId))
      throw awsError('InvalidJobStateException', 400, 'the job is not in a state that accepts a result');
    reported.add(jobId);
    return {};
  };
  codepipeline.on(PutJobSuccessResultCommand).callsFake(report);
  codepipeline.on(PutJobFailureResultCommand).callsFake(report);
});
afterEach(() => logs.restore());

/** Writes CloudFront accepted (a 412 is an attempt, not a write). */
async function accepted(command: Parameters<typeof cf.commandCalls>[0]): Promise<number> {
  const results = await Promise.allSettled(cf.commandCalls(command).map((c) => c.returnValue));
  return results.filter((r) => r.status === 'fulfilled').length;
}
const events = () => logs.lines.map((l) => JSON.parse(l) as { event: string; level: string });
const enableParams = {
  PrimaryDistributionId: PRIMARY_ID,
  StagingDistributionId: STAGING_ID,
  ContinuousDeploymentPolicyId: POLICY_ID,
  StaticResourceBucketName: BUCKET,
};
const promoteParams = { PrimaryDistributionId: PRIMARY_ID, StagingDistributionId: STAGING_ID };

describe.each([
  ['one after the other', async (run: () => Promise<unknown>) => [await run(), await run()]],
  ['at the same moment', (run: () => Promise<unknown>) => Promise.all([run(), run()])],
])('the same job delivered twice, %s', (_, twice) => {
  it('enable-CD re-enables, attaches and grants once; both deliveries resolve, one reports', async () => {
    world({ attached: false, enabled: false, stagingInvalidated: true });
    const job = jobEvent(enableParams, undefined, 'job-enable');
    await expect(twice(() => enableCd(job))).resolves.toBeDefined();
    expect(await accepted(UpdateContinuousDeploymentPolicyCommand)).toBe(1);
    expect(await accepted(UpdateDistributionCommand)).toBe(1);
    expect(JSON.parse(bucketPolicy as string).Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
      'SomeoneElses',
      `CloudFrontContinuousDeploymentRead${PRIMARY_ID}`,
    ]);
    expect(events().some((e) => e.event === 'job-already-reported' && e.level === 'WARN')).toBe(true);
    expect(events().some((e) => e.level === 'ERROR')).toBe(false);
  });

  it('enable-CD invalidates the staging once and routes no viewer to it yet; both deliveries resolve, one reports', async () => {
    world({ attached: false, enabled: false });
    const job = jobEvent(enableParams, undefined, 'job-enable');
    await expect(twice(() => enableCd(job))).resolves.toBeDefined();
    expect(invalidations.get(STAGING_ID)).toEqual([expect.objectContaining({ paths: ['/*'], status: 'InProgress' })]);
    expect(invalidations.get(PRIMARY_ID)).toEqual([]);
    expect(cf).not.toHaveReceivedCommand(UpdateContinuousDeploymentPolicyCommand);
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
    expect(events().some((e) => e.level === 'ERROR')).toBe(false);
  });

  it('promote promotes once', async () => {
    world({ attached: true, enabled: true });
    const job = jobEvent(promoteParams, undefined, 'job-promote');
    await twice(() => promote(job));
    expect(await accepted(UpdateDistributionWithStagingConfigCommand)).toBe(1);
    expect(events().some((e) => e.level === 'ERROR')).toBe(false);
  });

  it("promote's continuation, once the primary is Deployed, invalidates the primary once", async () => {
    world({ attached: true, enabled: true });
    await promote(jobEvent(promoteParams, undefined, 'job-promote'));
    const token = codepipeline.commandCalls(PutJobSuccessResultCommand)[0]?.args[0].input.continuationToken;
    expect(token).toBeDefined();
    settle();
    cf.resetHistory();
    const next = jobEvent(promoteParams, token, 'job-promote');
    await expect(twice(() => promote(next))).resolves.toBeDefined();
    expect(invalidations.get(PRIMARY_ID)).toEqual([expect.objectContaining({ paths: ['/*'], status: 'InProgress' })]);
    expect(invalidations.get(STAGING_ID)).toEqual([]);
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionWithStagingConfigCommand);
    expect(events().some((e) => e.level === 'ERROR')).toBe(false);
  });

  it('abort disables once', async () => {
    world({ attached: true, enabled: true });
    const job = jobEvent({ PrimaryDistributionId: PRIMARY_ID, Mode: 'disable' }, undefined, 'job-abort');
    await twice(() => abort(job));
    expect(await accepted(UpdateContinuousDeploymentPolicyCommand)).toBe(1);
    expect(policy.config.Enabled).toBe(false);
    expect(events().some((e) => e.level === 'ERROR')).toBe(false);
  });
});

describe('a repeated delivery after the job completed', () => {
  it('finds everything in place and writes nothing', async () => {
    world({ attached: false, enabled: false, stagingInvalidated: true });
    const job = jobEvent(enableParams, undefined, 'job-enable');
    await enableCd(job);
    settle();
    cf.resetHistory();
    s3.resetHistory();
    await enableCd(job);
    expect(cf).not.toHaveReceivedCommand(CreateInvalidationCommand);
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
    expect(cf).not.toHaveReceivedCommand(UpdateContinuousDeploymentPolicyCommand);
    expect(s3).not.toHaveReceivedCommand(PutBucketPolicyCommand);
    expect(events().filter((e) => e.event === 'job-already-reported')).toHaveLength(1);
  });
});

describe('a late delivery of enable-CD after the promotion (chaos run: seed 3, cycle 40)', () => {
  it('leaves the policy the promotion disabled alone, and says nothing is under review', async () => {
    world({ attached: true, enabled: true });
    await promote(jobEvent(promoteParams, undefined, 'job-promote'));
    settle();
    expect(policy.config.Enabled).toBe(false);
    cf.resetHistory();
    await enableCd(jobEvent(enableParams, undefined, 'job-enable-late'));
    expect(cf).not.toHaveReceivedCommand(GetInvalidationCommand);
    expect(cf).not.toHaveReceivedCommand(CreateInvalidationCommand);
    expect(cf).not.toHaveReceivedCommand(UpdateContinuousDeploymentPolicyCommand);
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
    expect(policy.config.Enabled).toBe(false);
    const report = codepipeline.commandCalls(PutJobSuccessResultCommand).at(-1)?.args[0].input;
    expect(report?.outputVariables).toMatchObject({ PolicyEnabled: 'false' });
  });
});
