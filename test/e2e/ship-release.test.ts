/**
 * The pipeline of infra/pipeline.yml with SitePath set, run by the local pipeline against the emulator and the built
 * bundles (and the built cfcd, which the Ship stage's upload runs): a push of a site change becomes a canary of that
 * commit's folder and, approved, production, with no hand step; and each bad input (a failing build, a commit without
 * its site folder, a folder that holds other content, a bucket the upload cannot write) stops the release in the Ship
 * stage with an error naming the cause, before anything is routed to viewers.
 */
import { GetDistributionConfigCommand } from '@aws-sdk/client-cloudfront';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../local/emulator/index.js';
import { localClients, type LocalClients } from '../../local/pipeline/aws.js';
import { localBuildEnvironment } from '../../local/pipeline/codebuild.js';
import { startDeployment, type LocalDeployment } from '../../local/pipeline/deployment.js';
import { STACK_SETTINGS } from '../../local/pipeline/experiment.js';
import { startLambdas, stopLambdas, type LocalLambdas } from '../../local/pipeline/lambda.js';
import type { PipelineResult, RunnerEvent } from '../../local/pipeline/local-codepipeline.js';
import { release, SITE_PATH, type Release } from '../../local/pipeline/pipeline-definition.js';
import { siteSources, SHIPPING_PARAMETERS } from '../../local/pipeline/shipped-cycles.js';
import { createSite, SITE_BUCKET, type LocalSite } from '../../local/pipeline/site.js';
import { headerTemplate, STAGING_HEADER } from '../../local/pipeline/staging-stack.js';
import { timeline } from '../../local/pipeline/timeline.js';
import { versionOf } from '../../local/pipeline/viewers.js';
import { MANIFEST_NAME, releaseFolder, serializeManifest } from '../../shared/release/manifest.js';

/** The repository's Cache-Control rules (CacheRulesPath): the about page may be cached a minute. */
const RULES_PATH = `${SITE_PATH}/cache-rules.json`;
const RULES = JSON.stringify([{ match: 'about.html', cacheControl: 'public, max-age=60' }]);
/** A commit of the site at `version`, with the rules file. */
const shipped = (version: string, files: Record<string, string> = siteSources(version)): Release =>
  release(version, headerTemplate('/v11'), { ...files, [RULES_PATH]: RULES });

let emulator: Emulator;
let clients: LocalClients;
let site: LocalSite;
let lambdas: LocalLambdas;
let deployment: LocalDeployment;
const output: string[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ propagationMs: 20, invalidationMs: 20 });
  clients = localClients(emulator.url);
  site = await createSite(clients);
  lambdas = await startLambdas(emulator.env);
  deployment = startDeployment({
    emulator,
    clients,
    site,
    lambdas,
    settings: STACK_SETTINGS,
    continuationDelayMs: 30,
    timeline: timeline((line) => output.push(line)),
    // The site ships; no traffic gate and no watch: these tests are about the Ship stage, not the canary's figures.
    parameters: {
      ...SHIPPING_PARAMETERS,
      CacheRulesPath: RULES_PATH,
      KeepReleases: '5',
      PromoteMinStagingRequests: '',
      PromoteMaxStaging5xxErrorRate: '',
      PromoteMaxErrorRateIncrease: '',
      WatchMaxStaging5xxErrorRate: '',
      WatchMinStagingRequests: '',
      WatchWindowMinutes: '',
    },
    buildEnvironment: localBuildEnvironment(emulator.env),
  });
}, 60_000);

afterAll(async () => {
  await deployment?.stop();
  if (lambdas) await stopLambdas(lambdas);
  await emulator?.close();
});

/** Runs a release through the pipeline; its reviewer approves (after `review`, if given). */
async function push(r: Release, label = r.version, review?: () => Promise<void>): Promise<PipelineResult> {
  const execution = deployment.commit(
    r,
    async () => {
      await review?.();
      return true;
    },
    { label },
  );
  return execution.done;
}

const eventsOf = (label: string): RunnerEvent[] => deployment.events.filter((e) => e.execution === label);
const actionsRun = (label: string) =>
  eventsOf(label).flatMap((e) => (e.type === 'action-succeeded' || e.type === 'action-failed' ? [e.action] : []));
const viewer = async (headers?: Record<string, string>) => {
  const r = await emulator.viewer(site.primaryDomain, '/', headers ? { headers } : undefined);
  return r.status === 200 ? versionOf(r.body) : `HTTP ${r.status}`;
};
const withHeader = () => viewer({ [STAGING_HEADER.header]: STAGING_HEADER.value });
const keysUnder = async (prefix: string) =>
  ((await clients.s3.send(new ListObjectsV2Command({ Bucket: SITE_BUCKET, Prefix: prefix }))).Contents ?? [])
    .map((o) => o.Key ?? '')
    .sort();
const primaryOriginPath = async () =>
  (await clients.cloudFront.send(new GetDistributionConfigCommand({ Id: site.primaryId }))).DistributionConfig?.Origins
    ?.Items?.[0]?.OriginPath;
const failureOf = (result: PipelineResult) => (result.status === 'Failed' ? result : undefined);

describe('a pipeline that ships its site (SitePath)', () => {
  it('takes a push of a site change to a canary of that commit, then to production, with no hand step', async () => {
    const first = shipped('v20');
    let canary = '';
    let production = '';
    const result = await push(first, first.version, async () => {
      [canary, production] = await Promise.all([withHeader(), viewer()]);
    });
    expect(result.status).toBe('Succeeded');
    expect(actionsRun(first.version)).toEqual([
      'Source',
      'BuildSite',
      'UploadSite',
      'DeployStagingStack',
      'EnableContinuousDeployment',
      'ApproveStaging',
      'PromoteStaging',
    ]);
    // Under review: the header reached the commit's folder, everyone else the release before.
    expect(canary).toBe('v20');
    expect(production).toBe('v1');
    expect(await viewer()).toBe('v20');
    expect(await primaryOriginPath()).toBe(`/releases/${first.commit}`);

    // The next push changes one page, and nothing else: it ships the same way.
    const second = shipped('v21');
    expect(await push(second)).toMatchObject({ status: 'Succeeded' });
    expect(await viewer()).toBe('v21');
    expect(await primaryOriginPath()).toBe(`/releases/${second.commit}`);
    // The repository's rule came first; the built-in ones gave the rest theirs.
    const cacheControl = async (file: string) =>
      (
        await clients.s3.send(
          new GetObjectCommand({ Bucket: SITE_BUCKET, Key: `${releaseFolder(second.commit)}${file}` }),
        )
      ).CacheControl;
    expect(await cacheControl('about.html')).toBe('public, max-age=60');
    expect(await cacheControl('index.html')).toBe('no-cache');
    // The build ran in a temporary folder: what was uploaded is its output, not the sources.
    expect(await keysUnder(releaseFolder(second.commit))).toEqual([
      `${releaseFolder(second.commit)}${MANIFEST_NAME}`,
      `${releaseFolder(second.commit)}about.html`,
      expect.stringMatching(/assets\/app\.[0-9a-f]{10}\.js$/),
      `${releaseFolder(second.commit)}index.html`,
    ]);
  }, 60_000);

  it('reuses the complete folder of a commit shipped before: no object is written again', async () => {
    const again = shipped('v21');
    emulator.clearRequestLog();
    const result = await push(again, 'v21-again');
    expect(result.status).toBe('Succeeded');
    const writes = emulator.requestLog().filter((e) => e.operation === 'PutObject' || e.operation === 'DeleteObjects');
    expect(writes).toEqual([]);
    expect(await viewer()).toBe('v21');
  }, 60_000);

  it('stops at a failing build with the end of its log, uploads nothing and routes nothing', async () => {
    const files = {
      ...siteSources('v22'),
      [`${SITE_PATH}/build.mjs`]:
        "for (let i = 1; i <= 40; i++) console.log('compiling module ' + i);\n" +
        "console.error('error: src/app.js: unexpected token');\nprocess.exit(3);\n",
    };
    const broken = shipped('v22', files);
    const before = await primaryOriginPath();
    const served = await viewer();
    const failed = failureOf(await push(broken));
    expect(failed?.action).toBe('BuildSite');
    expect(failed?.message).toMatch(/^Build terminated with state: FAILED\. Phase: BUILD\. .*Exit status 1\./);
    // The command's own exit code and the end of its output are in the message (the log's tail).
    expect(failed?.message).toContain('the build command failed (exit code 3): node build.mjs; nothing was uploaded');
    expect(failed?.message).toContain('error: src/app.js: unexpected token');
    expect(failed?.message).toContain('compiling module 40');
    expect(failed?.message).not.toContain('compiling module 1\n');
    expect(actionsRun(broken.version)).toEqual(['Source', 'BuildSite']);
    expect(await keysUnder(releaseFolder(broken.commit))).toEqual([]);
    expect(await primaryOriginPath()).toBe(before);
    expect(await viewer()).toBe(served);
  }, 60_000);

  it('stops when the commit has no site folder at SitePath, naming it', async () => {
    const noSite = release('v23', headerTemplate('/v11'), { 'README.md': '# the site moved\n' });
    const failed = failureOf(await push(noSite));
    expect(failed?.action).toBe('BuildSite');
    expect(failed?.message).toContain(`SitePath "${SITE_PATH}" is not a folder of commit ${noSite.commit}`);
    expect(actionsRun(noSite.version)).toEqual(['Source', 'BuildSite']);
  }, 60_000);

  it('stops when the commit lacks the CacheRulesPath file, naming it, before any write', async () => {
    const { [RULES_PATH]: _, ...noRules } = shipped('v27').files;
    const r = release('v27', headerTemplate('/v11'), noRules);
    const failed = failureOf(await push(r));
    expect(failed?.action).toBe('UploadSite');
    expect(failed?.message).toContain(`--cache-rules: cannot read`);
    expect(failed?.message).toContain(RULES_PATH);
    expect(await keysUnder(releaseFolder(r.commit))).toEqual([]);
  }, 60_000);

  it('stops when the build writes nothing to BuildOutputPath, naming it', async () => {
    const files = { ...siteSources('v24'), [`${SITE_PATH}/build.mjs`]: "console.log('nothing to do');\n" };
    const empty = shipped('v24', files);
    const failed = failureOf(await push(empty));
    expect(failed?.action).toBe('BuildSite');
    expect(failed?.message).toContain('BuildOutputPath "dist" is not a folder of site after the build');
  }, 60_000);

  it('refuses a commit whose folder already holds other content, and leaves that folder as it was', async () => {
    const r = shipped('v25');
    const folder = releaseFolder(r.commit);
    const served = await viewer();
    // Someone uploaded other files under this commit's name and completed the folder.
    const other = '<h1>not what the commit holds</h1>\n';
    await clients.s3.send(new PutObjectCommand({ Bucket: SITE_BUCKET, Key: `${folder}index.html`, Body: other }));
    const manifest = serializeManifest({
      v: 1,
      commit: r.commit,
      createdAt: new Date().toISOString(),
      files: [
        {
          path: 'index.html',
          sha256: 'a'.repeat(64),
          bytes: other.length,
          contentType: 'text/html; charset=utf-8',
          cacheControl: 'no-cache',
        },
      ],
    });
    await clients.s3.send(
      new PutObjectCommand({ Bucket: SITE_BUCKET, Key: `${folder}${MANIFEST_NAME}`, Body: manifest }),
    );
    const failed = failureOf(await push(r));
    expect(failed?.action).toBe('UploadSite');
    expect(failed?.message).toContain(`releases/${r.commit}`);
    expect(actionsRun(r.version)).toEqual(['Source', 'BuildSite', 'UploadSite']);
    const kept = await clients.s3.send(new GetObjectCommand({ Bucket: SITE_BUCKET, Key: `${folder}index.html` }));
    expect(await kept.Body?.transformToString()).toBe(other);
    expect(await viewer()).toBe(served);
  }, 60_000);

  it('stops when the upload may not write to the bucket, naming the refusal and the bucket', async () => {
    const r = shipped('v26');
    const served = await viewer();
    emulator.injectFault({ operation: 'PutObject', error: 'AccessDenied', times: 1000 });
    try {
      const failed = failureOf(await push(r));
      expect(failed?.action).toBe('UploadSite');
      expect(failed?.message).toContain('AccessDenied');
      expect(failed?.message).toContain(`PutObject on s3://${SITE_BUCKET}/releases/${r.commit}/`);
      expect(actionsRun(r.version)).toEqual(['Source', 'BuildSite', 'UploadSite']);
    } finally {
      emulator.clearFaults();
    }
    expect(await viewer()).toBe(served);
    expect(await withHeader()).toBe(served);
  }, 60_000);
});
