/**
 * `--state FILE` (local/emulator/persist.ts): what an emulator saves comes back in a new one — through the real SDK
 * clients — a state file that is not one is refused naming the file and the field, and the file is written
 * atomically, after changes only.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateInvalidationCommand,
  GetContinuousDeploymentPolicyCommand,
  GetDistributionCommand,
  GetInvalidationCommand,
} from '@aws-sdk/client-cloudfront';
import { GetPipelineStateCommand, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import { GetBucketPolicyCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedDemoSite } from '../../local/emulator/demo-site.js';
import type { SavedState } from '../../local/emulator/index.js';
import {
  STATE_FORMAT,
  StateFileError,
  parseStateFile,
  readStateFile,
  stateSaver,
  writeStateFile,
} from '../../local/emulator/persist.js';
import { harness, type Harness } from './helpers.js';

let dir: string;
const open: Harness[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'emulator-state-'));
});
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
  rmSync(dir, { recursive: true, force: true });
});

async function started(opts: Parameters<typeof harness>[0] = {}): Promise<Harness> {
  const h = await harness(opts);
  open.push(h);
  return h;
}

describe('a saved emulator restored', () => {
  it('answers as before: distributions with their ETags and status, policy, bucket, invalidations, jobs, pipeline', async () => {
    const a = await started({ propagationMs: 60_000, invalidationMs: 60_000 });
    const site = await seedDemoSite(a.emulator.url, a.emulator.pipelines);
    const inv = await a.cf.send(
      new CreateInvalidationCommand({
        DistributionId: site.primaryId,
        InvalidationBatch: { CallerReference: 'r1', Paths: { Quantity: 1, Items: ['/*'] } },
      }),
    );
    await a.codePipeline.send(new PutJobSuccessResultCommand({ jobId: 'job-1', outputVariables: { A: 'b' } }));
    const file = join(dir, 'state.json');
    writeStateFile(file, a.emulator.saved());
    const before = {
      primary: await a.cf.send(new GetDistributionCommand({ Id: site.primaryId })),
      staging: await a.cf.send(new GetDistributionCommand({ Id: site.stagingId })),
      policy: await a.cf.send(new GetContinuousDeploymentPolicyCommand({ Id: site.policyId })),
      bucketPolicy: await a.s3.send(new GetBucketPolicyCommand({ Bucket: site.bucket })),
    };
    expect(before.primary.Distribution?.Status).toBe('InProgress');
    await a.close();
    open.splice(0);

    const b = await started({ restore: readStateFile(file)! });
    const primary = await b.cf.send(new GetDistributionCommand({ Id: site.primaryId }));
    expect(primary.ETag).toBe(before.primary.ETag);
    // Same clock start in both (the harness's): still InProgress, as it was when saved.
    expect(primary.Distribution?.Status).toBe('InProgress');
    expect(primary.Distribution?.DistributionConfig).toEqual(before.primary.Distribution?.DistributionConfig);
    expect(primary.Distribution?.DomainName).toBe(site.primaryDomain);
    const staging = await b.cf.send(new GetDistributionCommand({ Id: site.stagingId }));
    expect(staging.ETag).toBe(before.staging.ETag);
    expect(staging.Distribution?.DistributionConfig?.Staging).toBe(true);
    const policy = await b.cf.send(new GetContinuousDeploymentPolicyCommand({ Id: site.policyId }));
    expect(policy.ETag).toBe(before.policy.ETag);
    expect(policy.ContinuousDeploymentPolicy?.ContinuousDeploymentPolicyConfig).toEqual(
      before.policy.ContinuousDeploymentPolicy?.ContinuousDeploymentPolicyConfig,
    );
    const bucketPolicy = await b.s3.send(new GetBucketPolicyCommand({ Bucket: site.bucket }));
    expect(bucketPolicy.Policy).toBe(before.bucketPolicy.Policy);
    const object = await b.s3.send(new GetObjectCommand({ Bucket: site.bucket, Key: 'v2/index.html' }));
    expect(await object.Body?.transformToString()).toBe('<h1>site v2</h1>\n');
    expect(object.ContentType).toBe('text/html');
    const restoredInv = await b.cf.send(
      new GetInvalidationCommand({ DistributionId: site.primaryId, Id: inv.Invalidation!.Id! }),
    );
    expect(restoredInv.Invalidation?.Status).toBe('InProgress');
    expect(b.emulator.jobResults('job-1')).toEqual([{ kind: 'success', outputVariables: { A: 'b' } }]);
    const pipeline = await b.codePipeline.send(new GetPipelineStateCommand({ name: site.pipelineName }));
    expect(pipeline.stageStates?.map((s) => s.stageName)).toEqual(['Source', 'Release']);

    b.advance(60_000);
    expect((await b.cf.send(new GetDistributionCommand({ Id: site.primaryId }))).Distribution?.Status).toBe('Deployed');
  });

  it('serves the edge from an empty cache, and a saved invalidation removes nothing cached after the restart', async () => {
    const a = await started();
    const site = await seedDemoSite(a.emulator.url, a.emulator.pipelines);
    for (let i = 0; i < 3; i++) await a.emulator.viewer(site.primaryDomain, '/');
    await a.cf.send(
      new CreateInvalidationCommand({
        DistributionId: site.primaryId,
        InvalidationBatch: { CallerReference: 'r1', Paths: { Quantity: 1, Items: ['/*'] } },
      }),
    );
    const saved = a.emulator.saved();
    const b = await started({ restore: saved });
    expect(b.emulator.state().distributions.every((d) => d.cache.entries === 0)).toBe(true);
    const first = await b.emulator.viewer(site.primaryDomain, '/');
    expect(first).toMatchObject({ status: 200, body: '<h1>site v1</h1>\n', xCache: 'Miss from cloudfront' });
    expect(await b.emulator.viewer(site.primaryDomain, '/')).toMatchObject({ xCache: 'Hit from cloudfront' });
  });
});

describe('a state file that is not one', () => {
  it.each([
    ['not JSON', '{"format": ', /^state file \/x\/state\.json is not JSON \(.+\); fix it, or move it away/],
    ['empty', '', /^state file \/x\/state\.json is not JSON/],
    [
      'another kind of file',
      '[1, 2]',
      /^state file \/x\/state\.json is not an emulator state: the file must be an object/,
    ],
    [
      'another format',
      JSON.stringify({ ...emptyState(), format: 'something/2' }),
      /is not an emulator state: format must be "cloudfront-cd-emulator-state\/1", got "something\/2"/,
    ],
    [
      'a field missing',
      JSON.stringify({ ...emptyState(), policies: undefined }),
      /is not an emulator state: state\.policies must be an array, got undefined/,
    ],
    [
      'a distribution without an ETag',
      JSON.stringify({
        ...emptyState(),
        distributions: [
          {
            id: 'E1',
            arn: 'arn',
            domainName: 'd.cloudfront.net',
            config: { name: 'DistributionConfig', children: [] },
            deployedAt: 0,
            lastModified: 0,
          },
        ],
      }),
      /state\.distributions\[0\]\.etag must be a string, got undefined/,
    ],
    [
      'an object body that is not base64',
      JSON.stringify({
        ...emptyState(),
        buckets: [{ name: 'b', objects: [{ key: 'k', body: '*', contentType: 't', etag: '"e"', lastModified: 0 }] }],
      }),
      /state\.buckets\[0\]\.objects\[0\]\.body must be base64/,
    ],
    [
      'an invalidation of a distribution it does not hold',
      JSON.stringify({
        ...emptyState(),
        invalidations: [
          { id: 'I1', distributionId: 'E9', callerReference: 'r', paths: [], createTime: 0, completeAt: 0, stamp: 1 },
        ],
      }),
      /state\.invalidations\[0\]\.distributionId names E9, which is not a saved distribution/,
    ],
    [
      'an error rate out of range',
      JSON.stringify({ ...emptyState(), errorRates: { E1: 2 } }),
      /state\.errorRates\.E1 must be from 0 to 1, got 2/,
    ],
  ])('%s: refused, naming the file and what is wrong', (_, text, message) => {
    expect(() => parseStateFile(text, '/x/state.json')).toThrow(StateFileError);
    expect(() => parseStateFile(text, '/x/state.json')).toThrow(message);
  });

  it('a missing file is no state yet; an unreadable one is refused by name', () => {
    expect(readStateFile(join(dir, 'none.json'))).toBeUndefined();
    expect(() => readStateFile(dir)).toThrow(new RegExp(`^state file ${dir} cannot be read \\(EISDIR\\)`));
  });

  it('a valid empty state round-trips', () => {
    expect(parseStateFile(JSON.stringify(emptyState()), 'f')).toEqual(emptyState());
  });
});

describe('writing the state file', () => {
  it('replaces the file whole, leaving no temporary file, readable by its owner only', () => {
    const file = join(dir, 'state.json');
    writeFileSync(file, 'old');
    const state: SavedState = { ...emptyState(), errorRates: { E1: 0.25 } };
    writeStateFile(file, state);
    expect(readdirSync(dir)).toEqual(['state.json']);
    expect(readStateFile(file)).toEqual(state);
  });

  it('a failed write leaves the previous file as it was', () => {
    const file = join(dir, 'missing-dir', 'state.json');
    expect(() => writeStateFile(file, emptyState())).toThrow(/ENOENT/);
    expect(existsSync(join(dir, 'missing-dir'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('saves once per burst of changes, and not at all when nothing changed', async () => {
    const file = join(dir, 'state.json');
    let state = emptyState();
    let writes = 0;
    const saver = stateSaver(
      file,
      () => {
        writes++;
        return state;
      },
      { debounceMs: 20, onError: (e) => expect.fail(e.message) },
    );
    saver.changed();
    saver.changed();
    saver.changed();
    expect(existsSync(file)).toBe(false);
    await new Promise((r) => setTimeout(r, 60));
    expect(writes).toBe(1);
    expect(readStateFile(file)).toEqual(state);
    const written = readFileSync(file, 'utf8');
    state = { ...state, savedAt: '2027-01-01T00:00:00.000Z' };
    saver.flush();
    expect(readFileSync(file, 'utf8')).toBe(written);
    state = { ...state, errorRates: { E1: 0.5 } };
    saver.flush();
    expect(readStateFile(file)?.errorRates).toEqual({ E1: 0.5 });
  });

  it('reports a failed save and retries on the next change', () => {
    const errors: string[] = [];
    const saver = stateSaver(join(dir, 'gone', 'state.json'), emptyState, {
      debounceMs: 1,
      onError: (e) => errors.push(e.message),
    });
    saver.flush();
    saver.flush();
    expect(errors).toHaveLength(2);
  });
});

function emptyState(): SavedState {
  return {
    format: STATE_FORMAT,
    savedAt: '2026-01-01T00:00:00.000Z',
    distributions: [],
    policies: [],
    buckets: [],
    invalidations: [],
    jobs: {},
    served: [],
    errorRates: {},
    releaseFailures: {},
    previousConfigShare: 'linear',
    pipelines: [],
  };
}
