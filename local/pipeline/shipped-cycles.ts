/**
 * The last cycles of `npm start`: the site moves from hand uploads to shipped releases. The pipeline stack is updated
 * with SitePath (and a build command); the staging stack stays as it is. From then on a push is the whole release:
 *   8 — the first shipped release: the Ship stage builds the commit's site (`node build.mjs` in a temporary folder)
 *       and uploads it to releases/<commit>/, Cache-Control by rule and the manifest last; the staging stack is
 *       deployed with OriginPath /releases/<commit> from the pipeline (the template is not edited); reviewed on
 *       the header canary, approved, promoted; everyone gets it.
 *   9 — a content-only release: one page changes, nothing else; the same steps ship it, and after the promotion
 *       promote prunes the release folder nothing serves any more (KeepReleases 1 here), keeping the live one and
 *       every hand-uploaded folder.
 */
import { GetDistributionConfigCommand } from '@aws-sdk/client-cloudfront';
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { MANIFEST_NAME, releaseFolder } from '../../shared/release/manifest.js';
import {
  everyoneGets,
  expectRolledBack,
  headerReview,
  promotionDisabledPolicy,
  syntheticCheck,
  type Check,
  type Cycle,
  type CycleContext,
} from './cycle-kit.js';
import { release, SITE_PATH, type Release } from './pipeline-definition.js';
import { SITE_BUCKET } from './site.js';
import { headerTemplate } from './staging-stack.js';

/** The pipeline stack's parameters once it ships the site (KeepReleases 1 so that the run shows a prune). */
export const SHIPPING_PARAMETERS = {
  SitePath: SITE_PATH,
  BuildCommand: 'node build.mjs',
  BuildOutputPath: 'dist',
  KeepReleases: '1',
} as const;

/** The shared script, fingerprinted by the build (its name changes with its bytes). */
const APP_JS = "document.querySelector('h1')?.setAttribute('data-ready', 'yes');\n";

/**
 * The site's sources at `version`: pages in src/ and a build script that writes dist/ (the pages, with the script
 * under a fingerprinted name). Only index.html names the version: one page changes from release to release.
 */
export function siteSources(version: string): Record<string, string> {
  return {
    [`${SITE_PATH}/src/index.html`]: `<h1>site ${version}</h1>\n<script src="/app.js"></script>\n`,
    [`${SITE_PATH}/src/about.html`]: '<h1>about this site</h1>\n<script src="/app.js"></script>\n',
    [`${SITE_PATH}/src/app.js`]: APP_JS,
    [`${SITE_PATH}/build.mjs`]: [
      "import { createHash } from 'node:crypto';",
      "import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';",
      "const js = readFileSync('src/app.js', 'utf8');",
      "const script = 'assets/app.' + createHash('sha256').update(js).digest('hex').slice(0, 10) + '.js';",
      "mkdirSync('dist/assets', { recursive: true });",
      "writeFileSync('dist/' + script, js);",
      "const pages = readdirSync('src').filter((f) => f.endsWith('.html'));",
      'for (const page of pages)',
      "  writeFileSync('dist/' + page, readFileSync('src/' + page, 'utf8').replaceAll('/app.js', '/' + script));",
      "console.log('built ' + pages.length + ' pages and ' + script);",
      '',
    ].join('\n'),
  };
}

/** A release of the site at `version`, its staging template untouched (the pipeline sets OriginPath). */
export const shippedRelease = (version: string): Release =>
  release(version, headerTemplate('/v11'), siteSources(version));

const succeededActions = (c: CycleContext, label: string) =>
  c.eventsOf(label).flatMap((e) => (e.type === 'action-succeeded' ? [e.action] : []));

/** The Ship stage built and uploaded the commit's site: its folder is complete, with Cache-Control by rule. */
async function shipped(c: CycleContext, r: Release): Promise<Check[]> {
  const actions = succeededActions(c, r.version);
  const folder = releaseFolder(r.commit);
  const head = (file: string) =>
    c.clients.s3
      .send(new HeadObjectCommand({ Bucket: SITE_BUCKET, Key: `${folder}${file}` }))
      .then((o) => o.CacheControl ?? '(none)')
      .catch((err: Error) => `(${err.name})`);
  const listed = await c.clients.s3.send(new ListObjectsV2Command({ Bucket: SITE_BUCKET, Prefix: folder }));
  const keys = (listed.Contents ?? []).map((o) => (o.Key ?? '').slice(folder.length)).sort();
  const asset = keys.find((k) => /^assets\/app\.[0-9a-f]{10}\.js$/.test(k)) ?? 'assets/app.?.js';
  const [page, script] = await Promise.all([head('index.html'), head(asset)]);
  return [
    {
      name: `the Ship stage built and uploaded ${r.version}'s site`,
      ok: actions.includes('BuildSite') && actions.includes('UploadSite'),
      detail: `succeeded: ${actions.join(', ')}`,
    },
    {
      name: `s3://${SITE_BUCKET}/${folder} is complete: the built files, the manifest last`,
      ok: keys.includes(MANIFEST_NAME) && keys.includes('index.html') && keys.includes('about.html'),
      detail: keys.join(', '),
    },
    {
      name: 'Cache-Control by rule: the page revalidates, the fingerprinted script is immutable',
      ok: page === 'no-cache' && script === 'public, max-age=31536000, immutable',
      detail: `index.html: ${page}; ${asset}: ${script}`,
    },
  ];
}

/** The staging serves the commit's folder: the pipeline set its OriginPath, nobody edited the template. */
async function stagingServesCommit(c: CycleContext, r: Release): Promise<Check> {
  const deployed = c
    .eventsOf(r.version)
    .find((e) => e.type === 'action-succeeded' && 'StagingDistributionId' in e.variables);
  const stagingId = deployed?.type === 'action-succeeded' ? deployed.variables.StagingDistributionId : undefined;
  const config = stagingId
    ? (await c.clients.cloudFront.send(new GetDistributionConfigCommand({ Id: stagingId }))).DistributionConfig
    : undefined;
  const originPath = config?.Origins?.Items?.[0]?.OriginPath;
  return {
    name: `the staging serves /releases/<${r.version}'s commit> (OriginPath from the pipeline, no template edit)`,
    ok: originPath === `/releases/${r.commit}`,
    detail: `staging ${stagingId} OriginPath ${originPath}`,
  };
}

/** Runs one shipped release through the pipeline with the configured reviewer; records what it expects. */
async function shipRelease(c: CycleContext, r: Release, more: (c: CycleContext) => Promise<Check[]>) {
  const execution = c.commit(
    r,
    async (customData) => {
      for (const x of await shipped(c, r)) c.record(x);
      c.record(await stagingServesCommit(c, r));
      for (const x of await headerReview(r.version)(c)) c.record(x);
      return c.decide(customData);
    },
    // The header canary gets few requests from its reviewer: a synthetic check sends more if the gate waits.
    { whileGatheringTraffic: () => syntheticCheck(c) },
  );
  const result = await execution.done;
  // A reviewer may reject it (`npm start -- --interactive`): abort puts all traffic back on the primary.
  if (result.status === 'Failed' && result.rejected) {
    await expectRolledBack(c, r, result);
    return 'rolled back';
  }
  c.record({
    name: `${r.version}'s pipeline succeeded (Source → Ship → Release)`,
    ok: result.status === 'Succeeded',
    detail: result.status === 'Failed' ? `${result.action}: ${result.message.split('\n')[0]}` : 'all stages succeeded',
  });
  if (result.status === 'Failed') return 'failed';
  const outcome = { events: c.eventsOf(r.version), variables: result.variables };
  c.record(await everyoneGets(r.version)(c, outcome));
  c.record(await promotionDisabledPolicy(c, outcome));
  for (const x of await more(c)) c.record(x);
  return 'promoted';
}

/** The release folders in the bucket now. */
async function releaseFolders(c: CycleContext): Promise<string[]> {
  const out = await c.clients.s3.send(
    new ListObjectsV2Command({ Bucket: SITE_BUCKET, Prefix: 'releases/', Delimiter: '/' }),
  );
  return (out.CommonPrefixes ?? []).map((p) => p.Prefix ?? '');
}

export function shippedCycles(): Cycle[] {
  const first = shippedRelease('v12');
  const second = shippedRelease('v13');
  return [
    {
      name: 'cycle 8: the pipeline ships the site',
      updatesPipeline: {
        parameters: SHIPPING_PARAMETERS,
        why:
          `the pipeline stack is updated with SitePath=${SHIPPING_PARAMETERS.SitePath}, ` +
          `BuildCommand="${SHIPPING_PARAMETERS.BuildCommand}", BuildOutputPath=${SHIPPING_PARAMETERS.BuildOutputPath}, ` +
          `KeepReleases=${SHIPPING_PARAMETERS.KeepReleases}; the staging stack is left as it is`,
      },
      intro: () =>
        'from now on a push is the release: the commit holds the site, the Ship stage builds and uploads it to ' +
        'releases/<commit>/, and the pipeline points the staging at that folder',
      run: (c) => shipRelease(c, first, async () => []),
    },
    {
      name: 'cycle 9: a content-only release (one page changes)',
      intro: () => "only index.html changes; the staging template is the same file as cycle 8's",
      run: (c) =>
        shipRelease(c, second, async () => {
          const folders = await releaseFolders(c);
          const hand = await c.clients.s3.send(new ListObjectsV2Command({ Bucket: SITE_BUCKET, Prefix: 'v' }));
          const handFolders = new Set((hand.Contents ?? []).map((o) => (o.Key ?? '').split('/')[0]));
          return [
            {
              name: 'promote pruned the release nothing serves any more, kept the live one (KeepReleases 1)',
              ok: folders.length === 1 && folders[0] === releaseFolder(second.commit),
              detail: `release folders now: ${folders.join(', ') || '(none)'}; v12's was ${releaseFolder(first.commit)}`,
            },
            {
              name: 'the hand-uploaded folders outside releases/ are untouched',
              ok: handFolders.size === 11,
              detail: `${handFolders.size} hand folders: ${[...handFolders].join(', ')}`,
            },
          ];
        }),
    },
  ];
}
