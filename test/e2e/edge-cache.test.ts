/**
 * What viewers actually get, on the built bundles against the emulator's edge cache (the site's primary uses the
 * managed CachingOptimized policy: objects without Cache-Control are kept a day). A promotion or a new canary changes
 * which release a distribution serves, but no config change purges its cache: promote and enable-cd invalidate it,
 * at the right moment, or viewers keep getting the previous release.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateInvalidationCommand,
  GetContinuousDeploymentPolicyCommand,
  UpdateContinuousDeploymentPolicyCommand,
} from '@aws-sdk/client-cloudfront';
import { afterEach, describe, expect, it } from 'vitest';
import { headerTemplate } from '../../local/pipeline/staging-stack.js';
import { SITE_BUCKET, type StagingIds } from '../../local/pipeline/site.js';
import type { EmulatorOptions } from '../../local/emulator/index.js';
import { type Harness, operations, startHarness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const HEADER = { 'aws-cf-cd-staging': 'true' };
/** Every path the viewers of the test site ask for; each release has its own copy of each. */
const PATHS = ['/', '/index.html', '/app.js', '/img/logo.svg'];

/** The test site with an asset and an image per release beside the pages createSite uploads (no Cache-Control). */
async function startSite(options: EmulatorOptions = {}): Promise<Harness> {
  const harness = await startHarness(options);
  await Promise.all(
    ['v1', 'v2', 'v3'].flatMap((v) =>
      ['app.js', 'img/logo.svg'].map((file) =>
        harness.clients.s3.send(
          new PutObjectCommand({ Bucket: SITE_BUCKET, Key: `${v}/${file}`, Body: `/* site ${v} ${file} */` }),
        ),
      ),
    ),
  );
  return harness;
}

/** Which release answered each path through the primary (with the staging header when `headers` carry it). */
async function releasesSeen(harness: Harness, headers?: Record<string, string>): Promise<string[]> {
  const seen: string[] = [];
  for (const path of PATHS) {
    const r = await harness.emulator.viewer(harness.site.primaryDomain, path, headers ? { headers } : undefined);
    expect(r.status, path).toBe(200);
    seen.push(/site (v\d+)/.exec(r.body)?.[1] ?? r.body);
  }
  return seen;
}

/** Viewers of the primary fill its cache with what it serves now; a second pass answers from the cache. */
async function warmPrimary(harness: Harness): Promise<void> {
  await releasesSeen(harness);
  const again = await harness.emulator.viewer(harness.site.primaryDomain, '/app.js');
  expect(again.xCache).toBe('Hit from cloudfront');
}

async function enable(harness: Harness, outputs: StagingIds, extra: Record<string, unknown> = {}) {
  const r = await harness.job('enable-cd', { ...harness.enableCdParams(outputs), ...extra });
  if (!r.ok) throw new Error(r.message);
  return r.variables;
}

function promoteParams(harness: Harness, outputs: StagingIds, extra: Record<string, unknown> = {}) {
  return {
    PrimaryDistributionId: harness.site.primaryId,
    StagingDistributionId: outputs.StagingDistributionId,
    ContinuousDeploymentPolicyId: outputs.ContinuousDeploymentPolicyId,
    ...extra,
  };
}

const invalidationsOf = (harness: Harness, distributionId: string) =>
  harness.emulator.state().distributions.find((d) => d.id === distributionId)?.invalidations ?? [];

describe('end to end: viewers get the promoted release, not what the edge caches kept', () => {
  it('after promote succeeds, every path of the primary answers the promoted release', async () => {
    h = await startSite({ propagationMs: 40, invalidationMs: 60 });
    const outputs = await h.deployStaging(headerTemplate('/v2'));
    await enable(h, outputs);
    await warmPrimary(h);

    const promoted = await h.job('promote', promoteParams(h, outputs));
    expect(promoted).toMatchObject({ ok: true, variables: { InvalidationId: expect.stringMatching(/^I/) } });
    expect(await releasesSeen(h)).toEqual(['v2', 'v2', 'v2', 'v2']);
    const [invalidation] = invalidationsOf(h, h.site.primaryId);
    expect(invalidation).toMatchObject({ paths: ['/*'], status: 'Completed' });
    expect(promoted.ok && promoted.variables.InvalidationId).toBe(invalidation?.id);
    // Succeeded only once the invalidation was Completed: the job waited in `invalidating` first, and the plan of
    // the invocation that reported success saw it Completed.
    expect(h.logs.some((l) => l.event === 'job-waiting' && l.phase === 'invalidating')).toBe(true);
    const lastPlan = h.logs.filter((l) => l.event === 'plan' && l.stage === 'after-promotion').at(-1);
    expect(lastPlan?.cache).toMatchObject({ kind: 'completed', invalidationId: invalidation?.id });
  });

  it('with InvalidationPaths [] the same promotion leaves viewers on the previous release (and says so)', async () => {
    h = await startSite({ propagationMs: 40, invalidationMs: 60 });
    const outputs = await h.deployStaging(headerTemplate('/v2'));
    await enable(h, outputs);
    await warmPrimary(h);

    const promoted = await h.job('promote', promoteParams(h, outputs, { InvalidationPaths: [] }));
    expect(promoted).toMatchObject({ ok: true, variables: { InvalidationId: 'none' } });
    expect(await releasesSeen(h)).toEqual(['v1', 'v1', 'v1', 'v1']);
    expect(invalidationsOf(h, h.site.primaryId)).toEqual([]);
    expect(h.logs.some((l) => l.event === 'invalidation-off' && l.level === 'WARN')).toBe(true);
  });

  it('never invalidates the primary before it is Deployed: an early invalidation is refilled by the old config', async () => {
    h = await startSite({ propagationMs: 300, invalidationMs: 0 });
    h.emulator.setPreviousConfigShare(1);
    const outputs = await h.deployStaging(headerTemplate('/v2'));
    await enable(h, outputs);
    await warmPrimary(h);

    // What a naive script does: promote, invalidate at once, and let viewers in while the primary is InProgress.
    const promoteOnly = promoteParams(h, outputs, { InvalidationPaths: [] });
    const naive = h.job('promote', promoteOnly);
    await waitFor(() => operations(h!.emulator).includes('UpdateDistributionWithStagingConfig'));
    await h.clients.cloudFront.send(
      new CreateInvalidationCommand({
        DistributionId: h.site.primaryId,
        InvalidationBatch: { CallerReference: 'naive-script', Paths: { Quantity: 1, Items: ['/*'] } },
      }),
    );
    expect(await releasesSeen(h)).toEqual(['v1', 'v1', 'v1', 'v1']); // refilled from the previous release
    expect(await naive).toMatchObject({ ok: true });
    expect(await releasesSeen(h)).toEqual(['v1', 'v1', 'v1', 'v1']); // Deployed, invalidated, and still v1

    // promote's own invalidation comes after Deployed, so nothing can refill it from the old config.
    const repaired = await h.job('promote', promoteParams(h, outputs));
    expect(repaired).toMatchObject({ ok: true, variables: { InvalidationId: expect.stringMatching(/^I/) } });
    expect(await releasesSeen(h)).toEqual(['v2', 'v2', 'v2', 'v2']);
  });

  it("invalidates only once the primary is Deployed: viewers during the promotion's propagation cannot refill it", async () => {
    h = await startSite({ propagationMs: 300, invalidationMs: 0 });
    h.emulator.setPreviousConfigShare(1); // every edge keeps the previous config until Deployed
    const outputs = await h.deployStaging(headerTemplate('/v2'));
    await enable(h, outputs);
    await warmPrimary(h);
    let polling = true;
    const seenMeanwhile: { at: number; release: string }[] = [];
    const viewersMeanwhile = (async () => {
      while (polling) {
        for (const path of PATHS) {
          const r = await h!.emulator.viewer(h!.site.primaryDomain, path);
          seenMeanwhile.push({ at: performance.now(), release: /site (v\d+)/.exec(r.body)?.[1] ?? `HTTP ${r.status}` });
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const promoted = await h.job('promote', promoteParams(h, outputs));
    polling = false;
    await viewersMeanwhile;
    expect(promoted).toMatchObject({ ok: true });
    // Viewers did ask after the promotion was written, while the primary propagated, and got the previous release:
    // requests that could have refilled an early invalidation.
    const promotion = h.emulator
      .requestLog()
      .find((r) => r.operation === 'UpdateDistributionWithStagingConfig' && r.status === 200);
    expect(seenMeanwhile.filter((s) => s.at > (promotion?.endMs ?? Infinity)).map((s) => s.release)).toContain('v1');
    expect(await releasesSeen(h)).toEqual(['v2', 'v2', 'v2', 'v2']);
  });

  it('a re-run after success makes no second invalidation; an already promoted, never invalidated primary gets one', async () => {
    h = await startSite({ propagationMs: 20, invalidationMs: 20 });
    const outputs = await h.deployStaging(headerTemplate('/v2'));
    await enable(h, outputs);
    await warmPrimary(h);
    expect(await h.job('promote', promoteParams(h, outputs, { InvalidationPaths: [] }))).toMatchObject({ ok: true });
    expect(await releasesSeen(h)).toEqual(['v1', 'v1', 'v1', 'v1']);

    const before = operations(h.emulator).length;
    const fixed = await h.job('promote', promoteParams(h, outputs));
    expect(fixed).toMatchObject({ ok: true });
    const ops = operations(h.emulator).slice(before);
    expect(ops.filter((op) => op === 'CreateInvalidation')).toHaveLength(1);
    expect(ops).not.toContain('UpdateDistributionWithStagingConfig');
    expect(await releasesSeen(h)).toEqual(['v2', 'v2', 'v2', 'v2']);

    const again = operations(h.emulator).length;
    const rerun = await h.job('promote', promoteParams(h, outputs));
    expect(rerun).toMatchObject({
      ok: true,
      variables: { InvalidationId: fixed.ok ? fixed.variables.InvalidationId : '' },
    });
    const writes = operations(h.emulator)
      .slice(again)
      .filter((op) => /^(Create|Update|Delete)/.test(op));
    expect(writes).toEqual([]);
  });
});

describe('end to end: a re-run after a change that is not to the config', () => {
  it('a re-run of promote after a policy-only update finds its invalidation and writes nothing', async () => {
    h = await startSite({ propagationMs: 0 });
    const outputs = await h.deployStaging(headerTemplate('/v2'));
    await enable(h, outputs);
    const promoted = await h.job('promote', promoteParams(h, outputs));
    expect(promoted).toMatchObject({ ok: true });
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The next release's enable-cd re-enables the policy: the primary's last-change time moves, its config does not.
    const id = outputs.ContinuousDeploymentPolicyId;
    const policy = await h.clients.cloudFront.send(new GetContinuousDeploymentPolicyCommand({ Id: id }));
    await h.clients.cloudFront.send(
      new UpdateContinuousDeploymentPolicyCommand({
        Id: id,
        IfMatch: policy.ETag,
        ContinuousDeploymentPolicyConfig: {
          ...policy.ContinuousDeploymentPolicy!.ContinuousDeploymentPolicyConfig!,
          Enabled: true,
        },
      }),
    );
    h.emulator.settle();
    h.emulator.clearRequestLog();
    const rerun = await h.job('promote', promoteParams(h, outputs));
    expect(rerun).toMatchObject({
      ok: true,
      variables: { InvalidationId: promoted.ok ? promoted.variables.InvalidationId : '' },
    });
    expect(operations(h.emulator).filter((op) => /^(Create|Update|Delete)/.test(op))).toEqual([]);
  });
});

describe('end to end: invalidation limits and bad input', () => {
  it('waits while CloudFront says TooManyInvalidationsInProgress, then invalidates and succeeds', async () => {
    h = await startSite({ propagationMs: 20 });
    const outputs = await h.deployStaging(headerTemplate('/v2'));
    await enable(h, outputs);
    await warmPrimary(h);
    // Someone else's 15 wildcard invalidations fill the primary's in-progress quota, for as long as it takes.
    h.emulator.setInvalidationMs(3_600_000);
    for (let i = 0; i < 15; i++)
      await h.clients.cloudFront.send(
        new CreateInvalidationCommand({
          DistributionId: h.site.primaryId,
          InvalidationBatch: { CallerReference: `other-${i}`, Paths: { Quantity: 1, Items: [`/other-${i}/*`] } },
        }),
      );
    const job = h.job('promote', promoteParams(h, outputs));
    await waitFor(() => h!.logs.some((l) => l.event === 'invalidation-deferred'));
    // Theirs complete; promote's next invocation invalidates (instantly now) and succeeds.
    h.emulator.setInvalidationMs(0);
    h.emulator.settle();
    const promoted = await job;
    expect(promoted).toMatchObject({ ok: true, variables: { InvalidationId: expect.stringMatching(/^I/) } });
    const deferred = h.logs.filter((l) => l.event === 'invalidation-deferred');
    expect(deferred.length).toBeGreaterThan(0);
    expect(String(deferred[0]?.reason)).toContain('TooManyInvalidationsInProgress');
    expect(await releasesSeen(h)).toEqual(['v2', 'v2', 'v2', 'v2']);
  });

  it('refuses bad InvalidationPaths with a InputError naming it, before any AWS call', async () => {
    h = await startSite();
    const outputs = await h.deployStaging(headerTemplate('/v2'));
    for (const [fn, params] of [
      ['enable-cd', { ...h.enableCdParams(outputs), InvalidationPaths: ['img/*'] }],
      ['promote', promoteParams(h, outputs, { InvalidationPaths: ['/a*b'] })],
      ['promote', promoteParams(h, outputs, { InvalidationPaths: '/*' })],
    ] as const) {
      h.emulator.clearRequestLog();
      const r = await h.job(fn, params);
      expect(r, fn).toMatchObject({ ok: false, message: expect.stringContaining('UserParameters.InvalidationPaths') });
      expect(operations(h.emulator), fn).toEqual(['PutJobFailureResult']);
    }
  });
});

describe('end to end: the reviewer and the canary viewers get the staged release', () => {
  it("invalidates the staging before routing viewers to it; the reviewer's header request then sees the staged release", async () => {
    h = await startSite({ propagationMs: 20, invalidationMs: 60 });
    // Release v2: reviewed through the header, which fills the staging's own cache with v2, then promoted.
    const outputs = await h.deployStaging(headerTemplate('/v2'));
    await enable(h, outputs);
    expect(await releasesSeen(h, HEADER)).toEqual(['v2', 'v2', 'v2', 'v2']);
    expect(await h.job('promote', promoteParams(h, outputs))).toMatchObject({ ok: true });

    // Release v3 on the same staging distribution, whose cache still holds v2.
    await h.deployStaging(headerTemplate('/v3'));
    const logsBefore = h.logs.length;
    const enabled = await enable(h, outputs);
    expect(enabled.StagingInvalidationId).toMatch(/^I/);
    expect(await releasesSeen(h, HEADER)).toEqual(['v3', 'v3', 'v3', 'v3']);
    expect(await releasesSeen(h)).toEqual(['v2', 'v2', 'v2', 'v2']);

    // The invalidation was made, and Completed, before the write that routed viewers to the staging.
    const lines = h.logs.slice(logsBefore);
    const invalidated = lines.findIndex((l) => l.event === 'write' && l.change === 'invalidate-cache');
    const completedWait = lines.findIndex((l) => l.event === 'job-waiting' && l.phase === 'invalidating');
    const routed = lines.findIndex((l) => l.event === 'write' && l.change === 'enable-policy');
    expect(invalidated).toBeGreaterThanOrEqual(0);
    expect(completedWait).toBeGreaterThan(invalidated);
    expect(routed).toBeGreaterThan(completedWait);
    // The plan that routed viewers saw the staging's invalidation Completed, not merely created.
    const routingPlan = lines
      .slice(0, routed)
      .filter((l) => l.event === 'plan')
      .at(-1);
    expect(routingPlan?.cache).toMatchObject({ kind: 'completed', invalidationId: enabled.StagingInvalidationId });
    // One invalidation per release staged: v2's (its first canary) and v3's, the one enable-cd reported.
    const staging = invalidationsOf(h, outputs.StagingDistributionId);
    expect(staging.map((i) => i.status)).toEqual(['Completed', 'Completed']);
    expect(staging.at(-1)?.id).toBe(enabled.StagingInvalidationId);
  });

  it('with InvalidationPaths [] the reviewer of release v3 is shown the cached v2', async () => {
    h = await startSite({ propagationMs: 20, invalidationMs: 20 });
    const outputs = await h.deployStaging(headerTemplate('/v2'));
    await enable(h, outputs);
    expect(await releasesSeen(h, HEADER)).toEqual(['v2', 'v2', 'v2', 'v2']);
    expect(await h.job('promote', promoteParams(h, outputs))).toMatchObject({ ok: true });

    await h.deployStaging(headerTemplate('/v3'));
    const enabled = await enable(h, outputs, { InvalidationPaths: [] });
    expect(enabled.StagingInvalidationId).toBe('none');
    expect(await releasesSeen(h, HEADER)).toEqual(['v2', 'v2', 'v2', 'v2']);
  });

  it('a re-run of enable-cd with everything in place writes nothing', async () => {
    h = await startSite({ propagationMs: 20, invalidationMs: 20 });
    const outputs = await h.deployStaging(headerTemplate('/v2'));
    await enable(h, outputs);
    const before = operations(h.emulator).length;
    await enable(h, outputs);
    const writes = operations(h.emulator)
      .slice(before)
      .filter((op) => /^(Create|Update|Delete|Put(?!JobSuccess|JobFailure))/.test(op));
    expect(writes).toEqual([]);
  });
});

/** Polls `condition` every 5 ms for up to 5 s. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error('condition not met within 5 s');
}
