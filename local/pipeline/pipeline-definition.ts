/**
 * The local pipeline: infra/pipeline.yml's stages and actions (template-pipeline.ts) bound to what runs them here.
 * The Source action hands over the release's commit, the CloudFormation action deploys the release's staging
 * template with the simulated stack, a Lambda invoke runs the built bundle with the template's UserParameters, and
 * the manual approval asks the release's reviewer with the template's CustomData.
 */
import { createHash } from 'node:crypto';
import type { PipelineAction, Stage, Variables, ApprovalRequest } from './local-codepipeline.js';
import { SITE_BUCKET, type LocalSite } from './site.js';
import type { SimulatedStagingStack, StagingTemplate } from './staging-stack.js';
import type { TemplatePipeline } from './template-pipeline.js';

export const PIPELINE_NAME = 'site-release';

/** One commit of the site: the content version it ships and the staging template it deploys. */
export interface Release {
  version: string;
  template: StagingTemplate;
  commit: string;
}

/** A release of `version`, with a commit id that stays the same run to run. */
export function release(version: string, template: StagingTemplate): Release {
  const commit = createHash('sha1').update(`site ${version}`).digest('hex');
  return { version, template, commit };
}

/** The promotion gate and the watch, as the pipeline stack's parameters set them. */
export interface StackSettings {
  promoteMinStagingRequests: number;
  promoteMaxStaging5xxErrorRate: number;
  promoteMaxErrorRateIncrease: number;
  metricsWindowMinutes: number;
  watchMaxStaging5xxErrorRate: number;
  watchMinStagingRequests: number;
  watchWindowMinutes: number;
}

/** The pipeline stack's parameters for the local site (the rest take the template's defaults). */
export function stackParameters(site: Pick<LocalSite, 'primaryId'>, s: StackSettings): Record<string, string> {
  return {
    ConnectionArn: 'arn:aws:codeconnections:us-east-1:123456789012:connection/local',
    FullRepositoryId: 'example/site',
    PrimaryDistributionId: site.primaryId,
    StaticResourceBucketName: SITE_BUCKET,
    OriginDomainName: `${SITE_BUCKET}.s3.us-east-1.amazonaws.com`,
    OriginAccessControlId: 'E3OACLOCAL0001',
    PromoteMinStagingRequests: String(s.promoteMinStagingRequests),
    PromoteMaxStaging5xxErrorRate: String(s.promoteMaxStaging5xxErrorRate),
    PromoteMaxErrorRateIncrease: String(s.promoteMaxErrorRateIncrease),
    MetricsWindowMinutes: String(s.metricsWindowMinutes),
    WatchMaxStaging5xxErrorRate: String(s.watchMaxStaging5xxErrorRate),
    WatchMinStagingRequests: String(s.watchMinStagingRequests),
    WatchWindowMinutes: String(s.watchWindowMinutes),
  };
}

/** What the template's actions are bound to here. */
export interface PipelineBindings {
  /** The release an execution carries. */
  releaseOf(execution: string): Release;
  stack: SimulatedStagingStack;
  /** The reviewer of an execution's manual approval. */
  decide(customData: string, request: ApprovalRequest): Promise<boolean>;
}

function bind(
  action: TemplatePipeline['stages'][number]['actions'][number],
  b: PipelineBindings,
  branch: string,
): PipelineAction {
  const namespace = action.namespace ? { namespace: action.namespace } : {};
  if (action.category === 'Source')
    return {
      type: 'custom',
      name: action.name,
      ...namespace,
      run: async (_: Variables, execution: string) => {
        const { commit, version } = b.releaseOf(execution);
        return {
          variables: { CommitId: commit, BranchName: branch, CommitMessage: `site ${version}` },
          summary: `source: commit ${commit.slice(0, 7)} ("site ${version}") on ${branch}`,
        };
      },
    };
  if (action.category === 'Deploy' && action.provider === 'CloudFormation')
    return {
      type: 'custom',
      name: action.name,
      ...namespace,
      run: async (_: Variables, execution: string) => {
        const { template } = b.releaseOf(execution);
        const r = await b.stack.deploy(template);
        return {
          variables: r.outputs,
          summary:
            `CloudFormation (simulated): staging distribution ${r.outputs.StagingDistributionId} ${r.staging} ` +
            `(origin path ${template.originPath}), ` +
            `policy ${r.outputs.ContinuousDeploymentPolicyId} ${r.policy} (${template.traffic.type})`,
        };
      },
    };
  if (action.category === 'Invoke' && action.provider === 'Lambda') {
    const { UserParameters } = action.configuration;
    if (!action.functionName || UserParameters === undefined)
      throw new Error(`${action.name}: the template gives no function or no UserParameters`);
    return {
      type: 'invoke',
      name: action.name,
      functionName: action.functionName,
      userParameters: UserParameters,
      ...namespace,
    };
  }
  if (action.category === 'Approval')
    return { type: 'approval', name: action.name, customData: action.configuration.CustomData ?? '', decide: b.decide };
  throw new Error(`${action.name}: a ${action.category}/${action.provider} action does not run locally`);
}

/** The template's stages with every action bound to what runs it here. */
export function pipelineStages(layout: TemplatePipeline, b: PipelineBindings): Stage[] {
  const branch =
    layout.stages.flatMap((s) => s.actions).find((a) => a.category === 'Source')?.configuration.BranchName ?? 'main';
  return layout.stages.map((s) => ({ name: s.name, actions: s.actions.map((a) => bind(a, b, branch)) }));
}
