import {
  CloudFrontClient,
  CreateInvalidationCommand,
  GetContinuousDeploymentPolicyCommand,
  GetDistributionCommand,
  GetInvalidationCommand,
  ListInvalidationsCommand,
  UpdateContinuousDeploymentPolicyCommand,
  UpdateDistributionCommand,
  UpdateDistributionWithStagingConfigCommand,
  type CacheBehavior,
} from '@aws-sdk/client-cloudfront';
import { mockClient } from 'aws-sdk-client-mock';
import {
  acceptReports,
  codepipeline,
  expectInputErrorReport,
  onlyReport,
  type JobReport,
} from '../../codepipeline-mock.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../../functions/promote/handler.js';
import { invalidationCallerReference } from '../../../../shared/domain/invalidation.js';
import { decodeContinuation, encodeContinuation } from '../../../../shared/job/continuation.js';
import {
  POLICY_ID,
  PRIMARY_ID,
  STAGING_ID,
  acceptInvalidations,
  awsError,
  cachesInvalidatedSince,
  captureLogs,
  doneInvalidationId,
  distributionConfig,
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
let logs: ReturnType<typeof captureLogs>;

const params = { PrimaryDistributionId: PRIMARY_ID, StagingDistributionId: STAGING_ID };
/** The primary once it carries the staging's config (origin path /v2), keeping its aliases and policy id. */
const promotedPrimaryConfig = distributionConfig({ ContinuousDeploymentPolicyId: POLICY_ID }, '/v2');
const disabledPolicy = () => policyOutput(headerPolicyConfig({ Enabled: false }), 'ETAG-POLICY-2');

/** The world right after the approval: policy attached, enabled and routing to staging; both Deployed. */
function readyToPromote() {
  cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(primaryOutput(POLICY_ID, { etag: 'PRIMARY_ETAG' }));
  cf.on(GetDistributionCommand, { Id: STAGING_ID }).resolves(stagingOutput({ etag: 'STAGING_ETAG' }));
  cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput());
  cf.on(UpdateDistributionWithStagingConfigCommand).resolves({ ETag: 'PRIMARY_ETAG_PROMOTED' });
}

/** The world after a promotion: the primary carries the staging config and CloudFront disabled the policy. */
function alreadyPromoted(status: 'Deployed' | 'InProgress') {
  cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(
    primaryOutput(POLICY_ID, { etag: 'PRIMARY_ETAG_PROMOTED', status, config: promotedPrimaryConfig }),
  );
  cf.on(GetContinuousDeploymentPolicyCommand).resolves(disabledPolicy());
}

function expectNoWrites() {
  expect(cf).not.toHaveReceivedCommand(CreateInvalidationCommand);
  expect(cf).not.toHaveReceivedCommand(UpdateDistributionWithStagingConfigCommand);
  expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
  expect(cf).not.toHaveReceivedCommand(UpdateContinuousDeploymentPolicyCommand);
}
function tokenOf(report: JobReport) {
  expect(report.continuationToken).toEqual(expect.any(String));
  return decodeContinuation(report.continuationToken as string);
}
/** Lets CodePipeline re-invoke: clears the recorded calls, keeps the mocked world. */
function nextInvocation() {
  cf.resetHistory();
  codepipeline.resetHistory();
}

beforeEach(() => {
  cf.reset();
  acceptReports();
  readyToPromote();
  // Unless a test says otherwise, the primary's caches were invalidated since its last change.
  cachesInvalidatedSince(cf, PRIMARY_ID, 'PRIMARY_ETAG_PROMOTED');
  acceptInvalidations(cf);
  logs = captureLogs();
});
afterEach(() => logs.restore());

describe('promote', () => {
  it('promotes with both fresh ETags, primary first, then waits for the primary in phase "promoted"', async () => {
    await handler(jobEvent(params));
    expect(cf).toHaveReceivedCommandWith(GetDistributionCommand, { Id: PRIMARY_ID });
    expect(cf).toHaveReceivedCommandWith(GetDistributionCommand, { Id: STAGING_ID });
    expect(cf).toHaveReceivedCommandWith(GetContinuousDeploymentPolicyCommand, { Id: POLICY_ID });
    expect(cf).toHaveReceivedCommandExactlyOnceWith(UpdateDistributionWithStagingConfigCommand, {
      Id: PRIMARY_ID,
      StagingDistributionId: STAGING_ID,
      IfMatch: 'PRIMARY_ETAG, STAGING_ETAG',
    });
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
    expect(cf).not.toHaveReceivedCommand(UpdateContinuousDeploymentPolicyCommand);
    const report = onlyReport();
    expect(report.outputVariables).toBeUndefined();
    expect(tokenOf(report)).toMatchObject({
      phase: 'promoted',
      data: {
        etagAfterPromote: 'PRIMARY_ETAG_PROMOTED',
        changes: 'origin s3-origin: origin path "/v1" → "/v2"',
        policyEnabled: 'false',
      },
    });
  });

  it('waits without promoting while staging is InProgress, then promotes when re-invoked with the token', async () => {
    cf.on(GetDistributionCommand, { Id: STAGING_ID }).resolves(
      stagingOutput({ etag: 'STAGING_ETAG', status: 'InProgress' }),
    );
    await handler(jobEvent(params));
    expectNoWrites();
    const first = onlyReport().continuationToken as string;
    expect(decodeContinuation(first).phase).toBe('waiting-to-promote');

    nextInvocation();
    cf.on(GetDistributionCommand, { Id: STAGING_ID }).resolves(stagingOutput({ etag: 'STAGING_ETAG_2' }));
    await handler(jobEvent(params, first));
    expect(cf).toHaveReceivedCommandExactlyOnceWith(UpdateDistributionWithStagingConfigCommand, {
      Id: PRIMARY_ID,
      StagingDistributionId: STAGING_ID,
      IfMatch: 'PRIMARY_ETAG, STAGING_ETAG_2',
    });
    const second = tokenOf(onlyReport());
    expect(second.phase).toBe('promoted');
    expect(second.startedAt).toBe(decodeContinuation(first).startedAt);
  });

  it('waits without promoting while the primary is InProgress', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(primaryOutput(POLICY_ID, { status: 'InProgress' }));
    await handler(jobEvent(params));
    expectNoWrites();
    expect(tokenOf(onlyReport()).phase).toBe('waiting-to-promote');
  });

  it('after a stale ETag (412) re-reads both distributions and the policy, and promotes exactly once with the fresh ETags', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID })
      .resolvesOnce(primaryOutput(POLICY_ID, { etag: 'P-STALE' }))
      .resolves(primaryOutput(POLICY_ID, { etag: 'P-FRESH' }));
    cf.on(GetDistributionCommand, { Id: STAGING_ID })
      .resolvesOnce(stagingOutput({ etag: 'S-STALE' }))
      .resolves(stagingOutput({ etag: 'S-FRESH' }));
    cf.on(UpdateDistributionWithStagingConfigCommand)
      .rejectsOnce(awsError('PreconditionFailed', 412))
      .resolves({ ETag: 'P-PROMOTED' });
    await handler(jobEvent(params));
    const ifMatches = cf.commandCalls(UpdateDistributionWithStagingConfigCommand).map((c) => c.args[0].input.IfMatch);
    expect(ifMatches).toEqual(['P-STALE, S-STALE', 'P-FRESH, S-FRESH']);
    expect(cf).toHaveReceivedCommandTimes(GetDistributionCommand, 4);
    expect(cf).toHaveReceivedCommandTimes(GetContinuousDeploymentPolicyCommand, 2);
    expect(tokenOf(onlyReport())).toMatchObject({ phase: 'promoted', data: { etagAfterPromote: 'P-PROMOTED' } });
  });

  it('does not promote again when the re-read after a 412 shows the primary already promoted (a lost response or another writer)', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID })
      .resolvesOnce(primaryOutput(POLICY_ID, { etag: 'PRIMARY_ETAG' }))
      .resolves(
        primaryOutput(POLICY_ID, {
          etag: 'PRIMARY_ETAG_PROMOTED',
          status: 'InProgress',
          config: promotedPrimaryConfig,
        }),
      );
    cf.on(GetContinuousDeploymentPolicyCommand).resolvesOnce(policyOutput()).resolves(disabledPolicy());
    cf.on(UpdateDistributionWithStagingConfigCommand).rejects(awsError('PreconditionFailed', 412));
    await handler(jobEvent(params));
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionWithStagingConfigCommand, 1);
    expect(tokenOf(onlyReport()).phase).toBe('promoted');
  });

  it('fails after three stale ETags in a row, naming the step, the operation and the AWS error', async () => {
    cf.on(UpdateDistributionWithStagingConfigCommand).rejects(
      awsError('PreconditionFailed', 412, 'The If-Match version is missing or not valid'),
    );
    await handler(jobEvent(params));
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionWithStagingConfigCommand, 3);
    expect(onlyReport().failureDetails).toEqual({
      type: 'JobFailed',
      message: expect.stringMatching(
        /promote the staging config onto the primary.*UpdateDistributionWithStagingConfig on primary distribution E1PRIMARY00001 \(from staging E2STAGING00002\) failed: PreconditionFailed \(HTTP 412\)/,
      ),
    });
  });

  it('reports any other promotion error once as JobFailed, without retrying it', async () => {
    cf.on(UpdateDistributionWithStagingConfigCommand).rejects(
      awsError('AccessDenied', 403, 'not authorized to perform cloudfront:UpdateDistribution'),
    );
    await handler(jobEvent(params));
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionWithStagingConfigCommand, 1);
    expect(onlyReport().failureDetails).toEqual({
      type: 'JobFailed',
      message: expect.stringContaining('failed: AccessDenied (HTTP 403)'),
    });
  });

  it('refuses a primary with no policy attached, without writing, naming the enable-CD fix', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(primaryOutput(''));
    await handler(jobEvent(params));
    expectNoWrites();
    expect(cf).not.toHaveReceivedCommand(GetContinuousDeploymentPolicyCommand);
    const failure = onlyReport().failureDetails;
    expect(failure?.type).toBe('JobFailed');
    expect(failure?.message).toContain('primary E1PRIMARY00001 has no continuous deployment policy attached');
    expect(failure?.message).toContain(
      'Run the enable-CD action with {"PrimaryDistributionId":"E1PRIMARY00001",' +
        '"StagingDistributionId":"E2STAGING00002","ContinuousDeploymentPolicyId":"<the staging stack\'s policy id>"}',
    );
  });

  it('refuses a staging distribution that the attached policy does not route to, without writing', async () => {
    cf.on(GetContinuousDeploymentPolicyCommand).resolves(
      policyOutput(
        headerPolicyConfig({ StagingDistributionDnsNames: { Quantity: 1, Items: ['dother.cloudfront.net'] } }),
      ),
    );
    await handler(jobEvent(params));
    expectNoWrites();
    const message = onlyReport().failureDetails?.message;
    expect(message).toMatch(
      /routes to \[dother\.cloudfront\.net\], not to staging E2STAGING00002 \(d222222abcdef8\.cloudfront\.net\)/,
    );
    expect(message).toContain('Run the enable-CD action');
  });

  it('refuses a "staging" that is not a staging distribution, even when its config equals the primary\'s', async () => {
    cf.on(GetDistributionCommand, { Id: STAGING_ID }).resolves(
      stagingOutput({ config: distributionConfig({ CallerReference: 'other-ref' }) }),
    );
    await handler(jobEvent(params));
    expectNoWrites();
    expect(onlyReport().failureDetails).toEqual({
      type: 'JobFailed',
      message: expect.stringContaining(
        'StagingDistributionId E2STAGING00002 is not a staging distribution (Staging=false)',
      ),
    });
  });

  it('refuses a "primary" that is itself a staging distribution, without writing', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(
      primaryOutput(POLICY_ID, {
        config: distributionConfig({ Staging: true, ContinuousDeploymentPolicyId: POLICY_ID }),
      }),
    );
    await handler(jobEvent(params));
    expectNoWrites();
    expect(onlyReport().failureDetails?.message).toContain(
      'PrimaryDistributionId E1PRIMARY00001 is a staging distribution (Staging=true)',
    );
  });

  it('makes no write when the primary already carries the staging config and is Deployed, and succeeds', async () => {
    alreadyPromoted('Deployed');
    await handler(jobEvent(params));
    expectNoWrites();
    expect(onlyReport().outputVariables).toEqual({
      PrimaryETag: 'PRIMARY_ETAG_PROMOTED',
      PromotedFrom: STAGING_ID,
      Changes: 'none: the primary already carried the staging config',
      PolicyEnabled: 'false',
      Note: expect.stringContaining(`Promotion disabled continuous deployment policy ${POLICY_ID}`),
      InvalidationId: doneInvalidationId(PRIMARY_ID),
    });
  });

  it('does not promote a second time on a retry of an invocation that already promoted (primary still InProgress)', async () => {
    alreadyPromoted('InProgress');
    await handler(jobEvent(params));
    expectNoWrites();
    expect(tokenOf(onlyReport())).toMatchObject({ phase: 'promoted', data: { policyEnabled: 'false' } });
  });

  it('still succeeds without a write after the promotion when the policy has since been detached', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(
      primaryOutput('', {
        etag: 'PRIMARY_ETAG_PROMOTED',
        config: distributionConfig({ ContinuousDeploymentPolicyId: '' }, '/v2'),
      }),
    );
    await handler(jobEvent(params));
    expectNoWrites();
    expect(onlyReport().outputVariables).toMatchObject({
      PolicyEnabled: 'false',
      Note: expect.stringContaining('No continuous deployment policy is attached'),
    });
  });

  it('reports PolicyEnabled "true" truthfully when nothing was promoted and the policy is still enabled', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(
      primaryOutput(POLICY_ID, { etag: 'PRIMARY_ETAG_PROMOTED', config: promotedPrimaryConfig }),
    );
    await handler(jobEvent(params));
    expectNoWrites();
    expect(onlyReport().outputVariables).toMatchObject({
      PolicyEnabled: 'true',
      Note: expect.stringContaining('is still enabled'),
    });
    expect(logs.lines.some((l) => JSON.parse(l).event === 'policy-still-enabled')).toBe(true);
  });

  it('after promoting, only watches the primary: InProgress → another continuation, Deployed → success with the output variables', async () => {
    await handler(jobEvent(params));
    const promoted = onlyReport().continuationToken as string;

    nextInvocation();
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(
      primaryOutput(POLICY_ID, { etag: 'PRIMARY_ETAG_PROMOTED', status: 'InProgress', config: promotedPrimaryConfig }),
    );
    await handler(jobEvent(params, promoted));
    // The staging is read to re-check the token's claim (the primary carries its config), never to promote it.
    expect(cf).toHaveReceivedCommandTimes(GetDistributionCommand, 2);
    expect(cf).toHaveReceivedCommandWith(GetDistributionCommand, { Id: PRIMARY_ID });
    expect(cf).toHaveReceivedCommandWith(GetDistributionCommand, { Id: STAGING_ID });
    expect(cf).not.toHaveReceivedCommand(GetContinuousDeploymentPolicyCommand);
    expectNoWrites();
    const still = onlyReport().continuationToken as string;
    expect(decodeContinuation(still)).toEqual(decodeContinuation(promoted));

    nextInvocation();
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(
      primaryOutput(POLICY_ID, { etag: 'PRIMARY_ETAG_PROMOTED', config: promotedPrimaryConfig }),
    );
    await handler(jobEvent(params, still));
    expectNoWrites();
    expect(onlyReport().outputVariables).toEqual({
      PrimaryETag: 'PRIMARY_ETAG_PROMOTED',
      PromotedFrom: STAGING_ID,
      Changes: 'origin s3-origin: origin path "/v1" → "/v2"',
      PolicyEnabled: 'false',
      Note: `Promotion disabled continuous deployment policy ${POLICY_ID}: all traffic is back on primary ${PRIMARY_ID}. The next enable-CD run re-enables it (CloudFormation cannot see that drift).`,
      InvalidationId: doneInvalidationId(PRIMARY_ID),
    });
  });

  it('never promotes from a "promoted" continuation: a primary that does not carry the staging config fails it, with no write', async () => {
    const token = encodeContinuation({
      phase: 'promoted',
      startedAt: Date.now(),
      data: { changes: 'origin s3-origin: origin path "/v1" → "/v2"', policyEnabled: 'false', note: 'n' },
    });
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(primaryOutput(POLICY_ID, { status: 'InProgress' }));
    await handler(jobEvent(params, token));
    expectNoWrites();
    expect(onlyReport().failureDetails).toEqual({
      type: 'JobFailed',
      message: expect.stringMatching(
        new RegExp(
          `primary ${PRIMARY_ID} no longer carries the config of staging ${STAGING_ID}.*Nothing was invalidated`,
        ),
      ),
    });
  });

  it('carries on from a "promoted" continuation when the primary still has the ETag the promotion left, the staging changed since', async () => {
    const token = encodeContinuation({
      phase: 'promoted',
      startedAt: Date.now(),
      data: { changes: 'x', policyEnabled: 'false', note: 'n', etagAfterPromote: 'PRIMARY_ETAG_LIVE' },
    });
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(
      primaryOutput(POLICY_ID, { etag: 'PRIMARY_ETAG_LIVE', status: 'InProgress' }),
    );
    // The promotion disabled the policy: that is what the live state shows after a real one.
    cf.on(GetContinuousDeploymentPolicyCommand).resolves(disabledPolicy());
    await handler(jobEvent(params, token));
    expectNoWrites();
    expect(tokenOf(onlyReport()).phase).toBe('promoted');
  });

  describe('a forged "promoted" token', () => {
    const forged = (etagAfterPromote: string) =>
      encodeContinuation({
        phase: 'promoted',
        startedAt: Date.now(),
        data: { changes: 'nothing to see', policyEnabled: 'false', note: 'all fine', etagAfterPromote },
      });

    it('reports no success with its outputs over a primary that was never promoted, whose canary still runs', async () => {
      // Nothing was promoted: the primary has its own config and the enabled policy; the token copies its ETag.
      cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(primaryOutput(POLICY_ID, { etag: 'E-PRIMARY-NOW' }));
      await handler(jobEvent(params, forged('E-PRIMARY-NOW')));
      expectNoWrites();
      const report = onlyReport();
      expect(report.outputVariables).toBeUndefined();
      expect(report.failureDetails?.message).toMatch(/attached and enabled, which a promotion disables/);
    });

    it('reports no success when the staging it names is not the reviewed one (ExpectedStagingETag)', async () => {
      // The primary carries the staging's config, but the staging is not the one approved: nothing proves this job
      // promoted the reviewed release, and the policy is still enabled.
      cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(
        primaryOutput(POLICY_ID, { etag: 'E-PRIMARY-NOW', config: promotedPrimaryConfig }),
      );
      await handler(jobEvent({ ...params, ExpectedStagingETag: 'ETAG-REVIEWED' }, forged('E-OTHER')));
      expectNoWrites();
      expect(onlyReport().failureDetails?.message).toContain('as reviewed (ETag ETAG-REVIEWED)');
    });

    it('is refused when its policyEnabled is not one promote writes', async () => {
      const token = encodeContinuation({
        phase: 'promoted',
        startedAt: Date.now(),
        data: { changes: 'x', policyEnabled: 'maybe', note: 'n', etagAfterPromote: 'E' },
      });
      await handler(jobEvent(params, token));
      expectNoWrites();
      expect(onlyReport().failureDetails?.message).toContain('policyEnabled "maybe"');
    });

    it('keeps its pinned staging ETag when the parameter is left out: a changed staging is never promoted', async () => {
      const token = encodeContinuation({
        phase: 'waiting-to-promote',
        startedAt: Date.now(),
        data: { expectedStagingEtag: 'ETAG-REVIEWED' },
      });
      await handler(jobEvent(params, token));
      expectNoWrites();
      expect(onlyReport().failureDetails?.message).toContain('staging was changed after it was reviewed');
    });

    it('carries the reviewed staging ETag in the token it writes while waiting', async () => {
      cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(primaryOutput(POLICY_ID, { status: 'InProgress' }));
      await handler(jobEvent({ ...params, ExpectedStagingETag: 'STAGING_ETAG' }));
      expect(tokenOf(onlyReport())).toMatchObject({
        phase: 'waiting-to-promote',
        data: { expectedStagingEtag: 'STAGING_ETAG' },
      });
    });

    it('is refused when it is pinned to another staging ETag than ExpectedStagingETag', async () => {
      const token = encodeContinuation({
        phase: 'waiting-to-promote',
        startedAt: Date.now(),
        data: {
          expectedStagingEtag: 'ETAG-OTHER',
        },
      });
      await handler(jobEvent({ ...params, ExpectedStagingETag: 'ETAG-REVIEWED' }, token));
      expectNoWrites();
      expect(onlyReport().failureDetails?.message).toContain('pinned to staging ETag ETAG-OTHER');
    });
  });

  it('succeeds at once when CloudFront answers the CreateInvalidation with our invalidation already Completed', async () => {
    // The read missed ours (e.g. far down the list); CloudFront answers a known CallerReference with what it made.
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(
      primaryOutput(POLICY_ID, { etag: 'PRIMARY_ETAG_PROMOTED', config: promotedPrimaryConfig }),
    );
    neverInvalidated(cf, PRIMARY_ID);
    cf.on(CreateInvalidationCommand).resolves({
      Invalidation: {
        Id: 'IEXISTING',
        Status: 'Completed',
        CreateTime: new Date(),
        InvalidationBatch: {
          CallerReference: ourCallerReference('PRIMARY_ETAG_PROMOTED'),
          Paths: { Quantity: 1, Items: ['/*'] },
        },
      },
    });
    const token = encodeContinuation({
      phase: 'invalidating',
      startedAt: Date.now(),
      data: { changes: 'x', policyEnabled: 'false', note: 'n', etagAfterPromote: 'PRIMARY_ETAG_PROMOTED' },
    });
    await handler(jobEvent(params, token));
    expect(onlyReport().outputVariables).toMatchObject({ InvalidationId: 'IEXISTING' });
  });

  it('reads the invalidation an earlier invocation made by its id, and checks it is ours, when the list does not show it', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(
      primaryOutput(POLICY_ID, { etag: 'PRIMARY_ETAG_PROMOTED', config: promotedPrimaryConfig }),
    );
    neverInvalidated(cf, PRIMARY_ID);
    cf.on(GetInvalidationCommand, { DistributionId: PRIMARY_ID, Id: 'IREMEMBERED' }).resolves(
      invalidationOutput({ id: 'IREMEMBERED', callerReference: ourCallerReference('PRIMARY_ETAG_PROMOTED') }),
    );
    const data = { changes: 'x', policyEnabled: 'false', note: 'n', etagAfterPromote: 'PRIMARY_ETAG_PROMOTED' };
    const token = encodeContinuation({
      phase: 'invalidating',
      startedAt: Date.now(),
      data: { ...data, invalidationId: 'IREMEMBERED' },
    });
    await handler(jobEvent(params, token));
    expect(cf).not.toHaveReceivedCommand(CreateInvalidationCommand);
    expect(onlyReport().outputVariables).toMatchObject({ InvalidationId: 'IREMEMBERED' });

    // The same id for another config's invalidation does not count: a token is a bookmark, not an authority.
    nextInvocation();
    cf.on(GetInvalidationCommand, { DistributionId: PRIMARY_ID, Id: 'IREMEMBERED' }).resolves(
      invalidationOutput({ id: 'IREMEMBERED', callerReference: ourCallerReference('AN_OLDER_ETAG') }),
    );
    acceptInvalidations(cf);
    await handler(jobEvent(params, token));
    expect(cf).toHaveReceivedCommandTimes(CreateInvalidationCommand, 1);
  });

  it('fails naming the primary still InProgress once the wait limit has passed', async () => {
    const token = encodeContinuation({
      phase: 'promoted',
      startedAt: Date.now() - 61 * 60_000,
      data: { changes: 'x', policyEnabled: 'false', note: 'n' },
    });
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(
      primaryOutput(POLICY_ID, { status: 'InProgress', config: promotedPrimaryConfig }),
    );
    await handler(jobEvent(params, token));
    expectNoWrites();
    expect(onlyReport().failureDetails).toEqual({
      type: 'JobFailed',
      message: expect.stringMatching(/MaxWaitMinutes=60.*still InProgress: E1PRIMARY00001/),
    });
  });

  it('honours MaxWaitMinutes while waiting to promote', async () => {
    const token = encodeContinuation({ phase: 'waiting-to-promote', startedAt: Date.now() - 11 * 60_000 });
    cf.on(GetDistributionCommand, { Id: STAGING_ID }).resolves(stagingOutput({ status: 'InProgress' }));
    await handler(jobEvent({ ...params, MaxWaitMinutes: '10' }, token));
    expectNoWrites();
    expect(onlyReport().failureDetails?.message).toMatch(/MaxWaitMinutes=10.*still InProgress: E2STAGING00002/);
  });

  it('refuses a continuation token with a phase promote never writes, touching nothing', async () => {
    await handler(jobEvent(params, encodeContinuation({ phase: 'propagating', startedAt: Date.now() })));
    expect(cf).not.toHaveReceivedAnyCommand();
    expect(onlyReport().failureDetails).toEqual({
      type: 'JobFailed',
      message: expect.stringContaining('phase "propagating"'),
    });
  });

  it('keeps the continuation token well under 2048 characters when the promotion changes a great deal', async () => {
    const behaviors: CacheBehavior[] = Array.from({ length: 300 }, (_, i) => ({
      PathPattern: `/section-${i}/*`,
      TargetOriginId: 's3-origin',
      ViewerProtocolPolicy: 'redirect-to-https',
    }));
    cf.on(GetDistributionCommand, { Id: STAGING_ID }).resolves(
      stagingOutput({
        etag: 'STAGING_ETAG',
        config: distributionConfig(
          {
            CallerReference: 'staging-ref',
            Staging: true,
            Aliases: { Quantity: 0 },
            CacheBehaviors: { Quantity: behaviors.length, Items: behaviors },
          },
          '/v2',
        ),
      }),
    );
    await handler(jobEvent(params));
    const report = onlyReport();
    expect(report.continuationToken?.length).toBeLessThan(1500);
    expect(tokenOf(report).data?.changes).toMatch(/; \(\+\d+ more, see the promote log\)$/);
    const write = logs.lines.map((l) => JSON.parse(l)).find((e) => e.event === 'write');
    expect(write.changes).toHaveLength(301);
  });

  it.each([
    ['empty', '', 'UserParameters'],
    ['not JSON', '{PrimaryDistributionId: E1}', 'UserParameters'],
    ['a JSON array', '[]', 'UserParameters'],
    ['a missing staging id', JSON.stringify({ PrimaryDistributionId: PRIMARY_ID }), 'StagingDistributionId'],
    ['an ill-typed primary id', JSON.stringify({ ...params, PrimaryDistributionId: 12 }), 'PrimaryDistributionId'],
    [
      'a malformed staging id',
      JSON.stringify({ ...params, StagingDistributionId: 'staging' }),
      'StagingDistributionId',
    ],
    ['a misspelled key', JSON.stringify({ ...params, StagingDistributionID: STAGING_ID }), 'StagingDistributionID'],
    [
      'a key promote does not take',
      JSON.stringify({ ...params, StaticResourceBucketName: 'site-assets-bucket' }),
      'StaticResourceBucketName',
    ],
    ['an out-of-range wait', JSON.stringify({ ...params, MaxWaitMinutes: 0 }), 'MaxWaitMinutes'],
    ['a fractional wait', JSON.stringify({ ...params, MaxWaitMinutes: 1.5 }), 'MaxWaitMinutes'],
    ['the same id twice', JSON.stringify({ ...params, StagingDistributionId: PRIMARY_ID }), 'StagingDistributionId'],
  ])(
    'reports %s parameters once as InputError naming the field, with no CloudFront call',
    async (_, userParameters, field) => {
      await handler(jobEvent(userParameters));
      expectInputErrorReport(field);
      expect(cf).not.toHaveReceivedAnyCommand();
    },
  );

  it('logs the state read, the plan, the write with both ETags, and never the event or its credentials', async () => {
    await handler(jobEvent(params));
    const events = logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map((e) => e.event)).toEqual([
      'job-started',
      'state-read',
      'plan',
      'write',
      'job-waiting',
      'job-reported',
    ]);
    expect(events.every((e) => e.jobId === 'job-1')).toBe(true);
    expect(events.find((e) => e.event === 'write')).toMatchObject({
      primaryEtag: 'PRIMARY_ETAG',
      stagingEtag: 'STAGING_ETAG',
      ifMatch: 'PRIMARY_ETAG, STAGING_ETAG',
      newPrimaryEtag: 'PRIMARY_ETAG_PROMOTED',
      changes: ['origin s3-origin: origin path "/v1" → "/v2"'],
      policyDisabled: POLICY_ID,
    });
    const all = logs.lines.join('\n');
    expect(all).not.toContain('super-secret-access-key');
    expect(all).not.toContain('secret-session-token');
  });

  it('logs the outcome with the note once the promoted primary is Deployed', async () => {
    alreadyPromoted('Deployed');
    await handler(jobEvent(params));
    const outcome = logs.lines.map((l) => JSON.parse(l)).find((e) => e.event === 'outcome');
    expect(outcome).toMatchObject({
      PolicyEnabled: 'false',
      PromotedFrom: STAGING_ID,
      Note: expect.stringContaining('re-enables it'),
    });
  });
});

describe('promote: the release guard (ExpectedStagingETag)', () => {
  it('promotes when the staging still carries the ETag the reviewer saw', async () => {
    await handler(jobEvent({ ...params, ExpectedStagingETag: 'STAGING_ETAG' }));
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionWithStagingConfigCommand, 1);
    expect(tokenOf(onlyReport()).phase).toBe('promoted');
  });

  it('fails with no write when staging changed after the review, naming both ETags', async () => {
    await handler(jobEvent({ ...params, ExpectedStagingETag: 'REVIEWED_ETAG' }));
    expectNoWrites();
    expect(onlyReport().failureDetails).toEqual({
      type: 'JobFailed',
      message: expect.stringContaining(
        `staging ${STAGING_ID} has ETag STAGING_ETAG, but the config the reviewer approved had ETag REVIEWED_ETAG`,
      ),
    });
  });

  it('checks again on the re-plan after a stale ETag: a staging redeployed meanwhile is not promoted', async () => {
    cf.on(GetDistributionCommand, { Id: STAGING_ID })
      .resolvesOnce(stagingOutput({ etag: 'STAGING_ETAG' }))
      .resolves(stagingOutput({ etag: 'STAGING_ETAG_NEWER_RELEASE' }));
    cf.on(UpdateDistributionWithStagingConfigCommand).rejectsOnce(awsError('PreconditionFailed', 412));
    await handler(jobEvent({ ...params, ExpectedStagingETag: 'STAGING_ETAG' }));
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionWithStagingConfigCommand, 1);
    expect(onlyReport().failureDetails?.message).toContain('has ETag STAGING_ETAG_NEWER_RELEASE');
  });

  it('still succeeds on a repeat of a promotion that happened (the staging is untouched by it)', async () => {
    alreadyPromoted('Deployed');
    await handler(jobEvent({ ...params, ExpectedStagingETag: 'STAGING_ETAG' }));
    expectNoWrites();
    expect(onlyReport().outputVariables).toMatchObject({ PromotedFrom: STAGING_ID });
  });

  it('refuses a malformed ETag as InputError naming the field, with no AWS call', async () => {
    await handler(jobEvent({ ...params, ExpectedStagingETag: 'not an etag!' }));
    expect(cf.calls()).toHaveLength(0);
    expect(onlyReport().failureDetails).toEqual({
      type: 'ConfigurationError',
      message: expect.stringContaining('UserParameters.ExpectedStagingETag'),
    });
  });
});

describe('promote: ContinuousDeploymentPolicyId reads everything in one round', () => {
  it('starts the policy read before either distribution read has answered', async () => {
    const order: string[] = [];
    const later =
      <T>(name: string, value: T) =>
      async () => {
        order.push(`${name} started`);
        await new Promise((r) => setTimeout(r, 5));
        order.push(`${name} answered`);
        return value;
      };
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).callsFake(
      later('primary', primaryOutput(POLICY_ID, { etag: 'PRIMARY_ETAG' })),
    );
    cf.on(GetDistributionCommand, { Id: STAGING_ID }).callsFake(
      later('staging', stagingOutput({ etag: 'STAGING_ETAG' })),
    );
    cf.on(GetContinuousDeploymentPolicyCommand).callsFake(later('policy', policyOutput()));
    await handler(jobEvent({ ...params, ContinuousDeploymentPolicyId: POLICY_ID }));
    expect(order.slice(0, 3).sort()).toEqual(['policy started', 'primary started', 'staging started']);
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionWithStagingConfigCommand, 1);
  });

  it('refuses, with no write, a primary that has another policy attached', async () => {
    const other = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(primaryOutput(other, { etag: 'PRIMARY_ETAG' }));
    await handler(jobEvent({ ...params, ContinuousDeploymentPolicyId: POLICY_ID }));
    expectNoWrites();
    expect(onlyReport().failureDetails?.message).toContain(
      `has policy ${other} attached, not ContinuousDeploymentPolicyId ${POLICY_ID}`,
    );
  });
});

describe('promote: the preflight before the one-way write', () => {
  it('refuses, with no write, a staging whose config CloudFront would refuse to carry onto the primary', async () => {
    cf.on(GetDistributionCommand, { Id: STAGING_ID }).resolves(
      stagingOutput({
        etag: 'STAGING_ETAG',
        config: distributionConfig(
          { CallerReference: 'staging-ref', Staging: true, Aliases: { Quantity: 0 }, HttpVersion: 'http3' },
          '/v2',
        ),
      }),
    );
    await handler(jobEvent(params));
    expectNoWrites();
    expect(onlyReport().failureDetails?.message).toMatch(/can never be promoted onto primary .*HttpVersion.*HTTP\/3/);
  });
});

describe('promote: viewers get the promoted release only once the edge caches are invalidated', () => {
  const promotedDeployed = () =>
    primaryOutput(POLICY_ID, { etag: 'PRIMARY_ETAG_PROMOTED', config: promotedPrimaryConfig });
  /** A continuation in `phase` after this job promoted, as the promoting invocation wrote it. */
  const tokenIn = (phase: 'promoted' | 'invalidating', startedAt = Date.now()) =>
    encodeContinuation({
      phase,
      startedAt,
      data: {
        changes: 'origin s3-origin: origin path "/v1" → "/v2"',
        policyEnabled: 'false',
        note: 'n',
        etagAfterPromote: 'PRIMARY_ETAG_PROMOTED',
      },
    });
  const ourInvalidation = (status: 'InProgress' | 'Completed') => ({
    id: NEW_INVALIDATION_ID,
    status,
    callerReference: ourCallerReference('PRIMARY_ETAG_PROMOTED'),
  });
  const events = () => logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>);

  it('invalidates "/*" on the primary once it is Deployed after the promotion, and succeeds only when that is Completed', async () => {
    await handler(jobEvent(params));
    expect(cf).not.toHaveReceivedCommand(ListInvalidationsCommand);
    expect(cf).not.toHaveReceivedCommand(CreateInvalidationCommand);
    const promoted = onlyReport().continuationToken as string;

    nextInvocation();
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(promotedDeployed());
    neverInvalidated(cf, PRIMARY_ID);
    await handler(jobEvent(params, promoted));
    expect(cf).toHaveReceivedCommandExactlyOnceWith(CreateInvalidationCommand, {
      DistributionId: PRIMARY_ID,
      InvalidationBatch: {
        CallerReference: ourCallerReference('PRIMARY_ETAG_PROMOTED'),
        Paths: { Quantity: 1, Items: ['/*'] },
      },
    });
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionWithStagingConfigCommand);
    const invalidating = onlyReport();
    expect(invalidating.outputVariables).toBeUndefined();
    expect(tokenOf(invalidating)).toMatchObject({
      phase: 'invalidating',
      startedAt: decodeContinuation(promoted).startedAt,
      data: { etagAfterPromote: 'PRIMARY_ETAG_PROMOTED' },
    });
    expect(
      events()
        .filter((e) => e.event === 'write')
        .at(-1),
    ).toMatchObject({
      operation: 'CreateInvalidation',
      distributionId: PRIMARY_ID,
      invalidationId: NEW_INVALIDATION_ID,
    });

    nextInvocation();
    mockInvalidations(cf, PRIMARY_ID, [ourInvalidation('Completed')]);
    await handler(jobEvent(params, invalidating.continuationToken));
    expect(cf).not.toHaveReceivedCommand(CreateInvalidationCommand);
    expect(cf).toHaveReceivedCommandWith(GetInvalidationCommand, {
      DistributionId: PRIMARY_ID,
      Id: NEW_INVALIDATION_ID,
    });
    expect(onlyReport().outputVariables).toMatchObject({
      PrimaryETag: 'PRIMARY_ETAG_PROMOTED',
      PromotedFrom: STAGING_ID,
      InvalidationId: NEW_INVALIDATION_ID,
    });
  });

  it('keeps waiting, with no second invalidation, while its invalidation is InProgress', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(promotedDeployed());
    mockInvalidations(cf, PRIMARY_ID, [ourInvalidation('InProgress')]);
    await handler(jobEvent(params, tokenIn('invalidating')));
    expectNoWrites();
    expect(tokenOf(onlyReport()).phase).toBe('invalidating');
  });

  it('makes no second invalidation on a repeated delivery of the "promoted" continuation that finds ours', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(promotedDeployed());
    mockInvalidations(cf, PRIMARY_ID, [ourInvalidation('InProgress')]);
    await handler(jobEvent(params, tokenIn('promoted')));
    expectNoWrites();
    expect(tokenOf(onlyReport()).phase).toBe('invalidating');
  });

  it('still invalidates when the only invalidation since the promotion was made by someone else', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(promotedDeployed());
    mockInvalidations(cf, PRIMARY_ID, [{ id: 'IBYHAND', callerReference: 'console-1' }]);
    await handler(jobEvent(params, tokenIn('promoted')));
    expect(cf).toHaveReceivedCommandTimes(CreateInvalidationCommand, 1);
    expect(tokenOf(onlyReport()).phase).toBe('invalidating');
  });

  it('makes no write at all when the primary already carries the staging config and its caches were invalidated since', async () => {
    alreadyPromoted('Deployed');
    await handler(jobEvent(params));
    expect(cf).not.toHaveReceivedCommand(CreateInvalidationCommand);
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionWithStagingConfigCommand);
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
    expect(cf).not.toHaveReceivedCommand(UpdateContinuousDeploymentPolicyCommand);
    expect(cf).toHaveReceivedCommandTimes(ListInvalidationsCommand, 1);
    expect(onlyReport().outputVariables).toMatchObject({ InvalidationId: doneInvalidationId(PRIMARY_ID) });
  });

  it('invalidates once, and does not promote, when the primary already carries the staging config but was never invalidated since', async () => {
    alreadyPromoted('Deployed');
    neverInvalidated(cf, PRIMARY_ID);
    await handler(jobEvent(params));
    expect(cf).toHaveReceivedCommandTimes(CreateInvalidationCommand, 1);
    expect(cf).toHaveReceivedCommandWith(CreateInvalidationCommand, { DistributionId: PRIMARY_ID });
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionWithStagingConfigCommand);
    expect(tokenOf(onlyReport())).toMatchObject({ phase: 'invalidating', data: { policyEnabled: 'false' } });
  });

  it('never invalidates while the primary is InProgress, nor looks into its invalidations', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(
      primaryOutput(POLICY_ID, { etag: 'PRIMARY_ETAG_PROMOTED', status: 'InProgress', config: promotedPrimaryConfig }),
    );
    neverInvalidated(cf, PRIMARY_ID);
    for (const phase of ['promoted', 'invalidating'] as const) {
      nextInvocation();
      await handler(jobEvent(params, tokenIn(phase)));
      // The list goes out beside the primary's read (one round fewer once it is Deployed); nothing more is read.
      expect(cf).toHaveReceivedCommandTimes(ListInvalidationsCommand, 1);
      expect(cf).not.toHaveReceivedCommand(GetInvalidationCommand);
      expectNoWrites();
      expect(tokenOf(onlyReport()).phase).toBe('promoted');
    }
  });

  it('succeeds with no invalidation call, a warning and InvalidationId "none" when InvalidationPaths is []', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(promotedDeployed());
    neverInvalidated(cf, PRIMARY_ID);
    await handler(jobEvent({ ...params, InvalidationPaths: [] }, tokenIn('promoted')));
    expect(cf).not.toHaveReceivedCommand(ListInvalidationsCommand);
    expect(cf).not.toHaveReceivedCommand(GetInvalidationCommand);
    expect(cf).not.toHaveReceivedCommand(CreateInvalidationCommand);
    expect(onlyReport().outputVariables).toMatchObject({ InvalidationId: 'none' });
    expect(events().find((e) => e.event === 'invalidation-off')).toMatchObject({
      level: 'WARN',
      reason: expect.stringContaining('InvalidationPaths is []'),
    });
  });

  it('invalidates the paths given as a JSON string, as cfcd and pipeline variables pass them', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(promotedDeployed());
    neverInvalidated(cf, PRIMARY_ID);
    const paths = ['/index.html', '/assets/*'];
    await handler(jobEvent({ ...params, InvalidationPaths: JSON.stringify(paths) }, tokenIn('promoted')));
    expect(cf).toHaveReceivedCommandExactlyOnceWith(CreateInvalidationCommand, {
      DistributionId: PRIMARY_ID,
      InvalidationBatch: {
        CallerReference: invalidationCallerReference({ etag: 'PRIMARY_ETAG_PROMOTED' }, paths),
        Paths: { Quantity: 2, Items: paths },
      },
    });
  });

  it('waits and retries on TooManyInvalidationsInProgress, and past MaxWaitMinutes fails naming it', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(promotedDeployed());
    neverInvalidated(cf, PRIMARY_ID);
    cf.on(CreateInvalidationCommand).rejects(awsError('TooManyInvalidationsInProgress', 400));
    await handler(jobEvent(params, tokenIn('promoted')));
    const waiting = onlyReport();
    expect(waiting.failureDetails).toBeUndefined();
    expect(tokenOf(waiting).phase).toBe('invalidating');
    expect(events().find((e) => e.event === 'invalidation-deferred')).toMatchObject({ level: 'WARN' });

    nextInvocation();
    await handler(jobEvent({ ...params, MaxWaitMinutes: 30 }, tokenIn('invalidating', Date.now() - 31 * 60_000)));
    expect(cf).toHaveReceivedCommandTimes(CreateInvalidationCommand, 1);
    expect(onlyReport().failureDetails).toEqual({
      type: 'JobFailed',
      message: expect.stringMatching(/MaxWaitMinutes=30.*TooManyInvalidationsInProgress/),
    });
  });

  it('fails past MaxWaitMinutes naming the invalidation still InProgress', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(promotedDeployed());
    mockInvalidations(cf, PRIMARY_ID, [ourInvalidation('InProgress')]);
    await handler(jobEvent(params, tokenIn('invalidating', Date.now() - 61 * 60_000)));
    expectNoWrites();
    expect(onlyReport().failureDetails).toEqual({
      type: 'JobFailed',
      message: expect.stringMatching(
        new RegExp(`MaxWaitMinutes=60.*invalidation of primary ${PRIMARY_ID} \\(${NEW_INVALIDATION_ID}\\)`),
      ),
    });
  });

  it.each([
    ['a path without a leading "/"', ['img/*']],
    ['a string that is not a JSON array', '/*'],
    ['16 wildcard paths', Array.from({ length: 16 }, (_, i) => `/w${i}/*`)],
  ])('refuses %s in InvalidationPaths as InputError naming it, with no AWS call at all', async (_, paths) => {
    await handler(jobEvent({ ...params, InvalidationPaths: paths }));
    expect(cf).not.toHaveReceivedAnyCommand();
    expectInputErrorReport('InvalidationPaths');
  });
});

// Issue 25/26: after a ramped promotion the policy is disabled at the ramp's weight; with RampHeader promote puts it
// back on header routing, still disabled, once the promotion is done, without ever failing or undoing the promotion.
describe('promote: RampHeader puts the disabled policy back on header routing once the promotion is done', () => {
  const ramped = { ...params, RampHeader: 'aws-cf-cd-staging: true' };
  const HEADER_ROUTING = {
    Type: 'SingleHeader',
    SingleHeaderConfig: { Header: 'aws-cf-cd-staging', Value: 'true' },
  };
  const atWeight = (etag = 'ETAG-W1') =>
    policyOutput(
      weightPolicyConfig({
        Enabled: false,
        TrafficConfig: { Type: 'SingleWeight', SingleWeightConfig: { Weight: 0.15 } },
      }),
      etag,
    );
  const events = () => logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  /** The promoted primary, Deployed, its caches invalidated since, and the policy disabled at 15 %. */
  function promotedAtWeight() {
    alreadyPromoted('Deployed');
    cf.on(GetContinuousDeploymentPolicyCommand).resolves(atWeight());
    cf.on(UpdateContinuousDeploymentPolicyCommand).resolves({ ETag: 'ETAG-H' });
  }

  it('writes header routing, disabled, If-Match the ETag read, and succeeds', async () => {
    promotedAtWeight();
    await handler(jobEvent(ramped));
    expect(cf).toHaveReceivedCommandExactlyOnceWith(UpdateContinuousDeploymentPolicyCommand, {
      Id: POLICY_ID,
      IfMatch: 'ETAG-W1',
      ContinuousDeploymentPolicyConfig: expect.objectContaining({ Enabled: false, TrafficConfig: HEADER_ROUTING }),
    });
    expect(onlyReport().failureDetails).toBeUndefined();
    expect(onlyReport().outputVariables).toMatchObject({ PrimaryETag: 'PRIMARY_ETAG_PROMOTED' });
    expect(events().find((e) => e.event === 'write')).toMatchObject({
      change: 'restore-header-routing',
      header: 'aws-cf-cd-staging: true',
      enabled: false,
      replacesWeight: 0.15,
    });
  });

  it('restores on the finishing pass that finds the invalidation Completed, not before', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(
      primaryOutput(POLICY_ID, { etag: 'PRIMARY_ETAG_PROMOTED', status: 'InProgress', config: promotedPrimaryConfig }),
    );
    cf.on(GetContinuousDeploymentPolicyCommand).resolves(atWeight());
    cf.on(UpdateContinuousDeploymentPolicyCommand).resolves({ ETag: 'ETAG-H' });
    const token = encodeContinuation({
      phase: 'promoted',
      startedAt: Date.now(),
      data: { changes: 'c', policyEnabled: 'false', note: 'n', etagAfterPromote: 'PRIMARY_ETAG_PROMOTED' },
    });
    await handler(jobEvent(ramped, token));
    expect(cf).not.toHaveReceivedCommand(UpdateContinuousDeploymentPolicyCommand);
    const waiting = onlyReport().continuationToken as string;
    expect(waiting).toEqual(expect.any(String));

    nextInvocation();
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(
      primaryOutput(POLICY_ID, { etag: 'PRIMARY_ETAG_PROMOTED', config: promotedPrimaryConfig }),
    );
    await handler(jobEvent(ramped, waiting));
    expect(cf).toHaveReceivedCommandExactlyOnceWith(UpdateContinuousDeploymentPolicyCommand, {
      Id: POLICY_ID,
      IfMatch: 'ETAG-W1',
      ContinuousDeploymentPolicyConfig: expect.objectContaining({ Enabled: false, TrafficConfig: HEADER_ROUTING }),
    });
    expect(onlyReport().outputVariables).toMatchObject({ PrimaryETag: 'PRIMARY_ETAG_PROMOTED' });
  });

  it('is idempotent: a repeated final delivery that finds header routing writes nothing', async () => {
    alreadyPromoted('Deployed');
    await handler(jobEvent(ramped));
    expect(cf).not.toHaveReceivedCommand(UpdateContinuousDeploymentPolicyCommand);
    expect(onlyReport().outputVariables).toBeDefined();
  });

  it('on a stale ETag re-reads the policy and writes again against the new ETag', async () => {
    promotedAtWeight();
    cf.on(GetContinuousDeploymentPolicyCommand).resolvesOnce(atWeight('ETAG-W1')).resolves(atWeight('ETAG-W2'));
    cf.on(UpdateContinuousDeploymentPolicyCommand)
      .rejectsOnce(awsError('PreconditionFailed', 412))
      .resolves({ ETag: 'ETAG-H' });
    await handler(jobEvent(ramped));
    const ifMatch = cf.commandCalls(UpdateContinuousDeploymentPolicyCommand).map((c) => c.args[0].input.IfMatch);
    expect(ifMatch).toEqual(['ETAG-W1', 'ETAG-W2']);
    expect(onlyReport().outputVariables).toBeDefined();
  });

  it('a failed write never fails the promotion: a WARN naming the policy, and success', async () => {
    promotedAtWeight();
    cf.on(UpdateContinuousDeploymentPolicyCommand).rejects(awsError('AccessDenied', 403));
    await handler(jobEvent(ramped));
    expect(onlyReport().failureDetails).toBeUndefined();
    expect(onlyReport().outputVariables).toMatchObject({ PrimaryETag: 'PRIMARY_ETAG_PROMOTED' });
    expect(events().find((e) => e.event === 'header-restore-failed')).toMatchObject({
      level: 'WARN',
      policyId: POLICY_ID,
    });
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionWithStagingConfigCommand);
  });

  it('without RampHeader leaves the weight as the promotion left it (no ramp, no write)', async () => {
    promotedAtWeight();
    await handler(jobEvent(params));
    expect(cf).not.toHaveReceivedCommand(UpdateContinuousDeploymentPolicyCommand);
  });

  it('refuses a malformed RampHeader as a configuration error, with no AWS call', async () => {
    await handler(jobEvent({ ...params, RampHeader: 'x-staging: true' }));
    expectInputErrorReport('RampHeader');
    expect(cf.calls()).toHaveLength(0);
  });
});
