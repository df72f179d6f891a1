/**
 * `npm run emulator -- --site`: the demo site `npm start` begins with, set up in a standalone emulator so that cfcd
 * can be tried against it — the bucket with its release folders and its policy, the primary serving `/v1`, the
 * staging stack (staging serving `/v2`, header routing, its policy not attached) and the `site-release` pipeline
 * declared as infra/pipeline.yml declares it. Everything is made through the emulator's own API with the code
 * `npm start` uses (local/pipeline/), so the two cannot drift apart.
 */
import { STACK_SETTINGS } from '../pipeline/experiment.js';
import { localClients } from '../pipeline/aws.js';
import { LocalPipeline } from '../pipeline/local-codepipeline.js';
import { LocalArtifacts, PIPELINE_NAME, pipelineStages, stackParameters } from '../pipeline/pipeline-definition.js';
import { SITE_BUCKET, createSite } from '../pipeline/site.js';
import { STAGING_HEADER, SimulatedStagingStack, headerTemplate } from '../pipeline/staging-stack.js';
import { loadTemplatePipeline } from '../pipeline/template-pipeline.js';
import type { EmulatorState, LocalPipelines } from './index.js';

/** What the demo site is made of: the ids cfcd's commands take. */
export interface DemoSite {
  primaryId: string;
  primaryDomain: string;
  stagingId: string;
  policyId: string;
  bucket: string;
  pipelineName: string;
}

/** The caller references createSite and the staging stack give the two distributions. */
const PRIMARY_REFERENCE = 'production';
const STAGING_REFERENCE = 'staging';

/** Sets the demo site up in the emulator at `url`; `pipelines` is that emulator's CodePipeline registry. */
export async function seedDemoSite(url: string, pipelines: LocalPipelines): Promise<DemoSite> {
  const clients = localClients(url);
  try {
    const site = await createSite(clients);
    const stack = new SimulatedStagingStack(clients);
    const { outputs } = await stack.deploy(headerTemplate('/v2'));
    // Declared only: a run needs npm start's runtime (the functions in Lambda workers, the runner, the reviewer).
    const layout = loadTemplatePipeline(stackParameters(site, STACK_SETTINGS), { pipelineName: PIPELINE_NAME });
    const notHere = (): never => {
      throw new Error('the seeded emulator runs no pipeline executions; npm start does');
    };
    const artifacts = new LocalArtifacts();
    new LocalPipeline(
      PIPELINE_NAME,
      pipelineStages(layout, { releaseOf: notHere, stack, decide: notHere, artifacts }),
      {
        lambdas: {},
        results: { jobResults: () => [] },
        continuationDelayMs: 0,
        registry: pipelines,
      },
    );
    return {
      primaryId: site.primaryId,
      primaryDomain: site.primaryDomain,
      stagingId: outputs.StagingDistributionId,
      policyId: outputs.ContinuousDeploymentPolicyId,
      bucket: SITE_BUCKET,
      pipelineName: PIPELINE_NAME,
    };
  } finally {
    clients.cloudFront.destroy();
    clients.s3.destroy();
  }
}

/**
 * The demo site in an emulator's state (one restored from a state file), or undefined when it is not all there: the
 * primary and staging by the caller references the set-up gives them, the policy naming the staging's domain.
 */
export function findDemoSite(state: EmulatorState): DemoSite | undefined {
  const primary = state.distributions.find((d) => !d.staging && d.callerReference === PRIMARY_REFERENCE);
  const staging = state.distributions.find((d) => d.staging && d.callerReference === STAGING_REFERENCE);
  const policy = state.policies.find((p) => staging && p.stagingDistributionDnsNames.includes(staging.domainName));
  const bucket = state.buckets.find((b) => b.name === SITE_BUCKET);
  if (!primary || !staging || !policy || !bucket) return undefined;
  return {
    primaryId: primary.id,
    primaryDomain: primary.domainName,
    stagingId: staging.id,
    policyId: policy.id,
    bucket: bucket.name,
    pipelineName: PIPELINE_NAME,
  };
}

/** The cfcd commands to try, in an order that works when run one after the other from the seeded state. */
export function demoCommands(site: DemoSite): { comment: string; command: string }[] {
  const ids = `--primary ${site.primaryId} --staging ${site.stagingId} --policy ${site.policyId}`;
  return [
    { comment: 'where the primary stands, and what a promotion would change', command: status(site) },
    {
      comment: 'what enable-cd would do (a dry run)',
      command: `cfcd plan enable-cd ${ids} --bucket ${site.bucket}`,
    },
    {
      comment: `start the canary: viewers sending ${STAGING_HEADER.header}: ${STAGING_HEADER.value} reach staging`,
      command: `cfcd enable-cd ${ids} --bucket ${site.bucket} --yes`,
    },
    { comment: 'roll the canary back: every viewer on the primary again', command: abort(site) },
    {
      comment: 'start it again: the command of step 3 re-enables the policy',
      command: `cfcd enable-cd ${ids} --bucket ${site.bucket} --yes`,
    },
    {
      comment: "promote: the primary takes staging's config (/v2)",
      command: `cfcd promote --primary ${site.primaryId} --staging ${site.stagingId} --yes`,
    },
  ];
}

const status = (site: DemoSite) => `cfcd status --primary ${site.primaryId} --bucket ${site.bucket}`;
const abort = (site: DemoSite) => `cfcd abort --primary ${site.primaryId} --mode disable --yes`;

/** What the emulator prints about the site: its ids, where it came from, and the commands to try. */
export function demoSiteText(site: DemoSite, origin: 'seeded' | 'restored', stateFile?: string): string[] {
  const ids = [
    `#   primary    ${site.primaryId}  (${site.primaryDomain})`,
    `#   staging    ${site.stagingId}`,
    `#   policy     ${site.policyId}`,
    `#   bucket     ${site.bucket}`,
    `#   pipeline   ${site.pipelineName}`,
  ];
  const seeded = [
    '# the demo site (npm start sets up the same one), seeded now:',
    `${ids[0]}, serving /v1 from the bucket`,
    `${ids[1]}  serving /v2, not reachable yet`,
    `${ids[2]}  routes ${STAGING_HEADER.header}: ${STAGING_HEADER.value} to staging; enable-cd attaches it`,
    `${ids[3]}  folders v1 … v11; its policy holds two statements other teams own, and the primary's grant`,
    `${ids[4]}  declared as infra/pipeline.yml declares it (GetPipelineState answers), with no executions:`,
    '#              a run needs the functions running, which npm start does',
  ];
  const restored = [
    `# the demo site as ${stateFile ?? 'the state file'} left it (--site seeds only an empty emulator; ` +
      'cfcd status shows where it stands):',
    ...ids,
  ];
  return [
    ...(origin === 'seeded' ? seeded : restored),
    '',
    '# try cfcd in another shell, after the export lines above (npx cfcd, or npm run cfcd --), in this order:',
    ...demoCommands(site).flatMap((c, i) => [`# ${i + 1}. ${c.comment}`, c.command]),
  ];
}
