/**
 * The local pipeline: infra/pipeline.yml's stages and actions (template-pipeline.ts) bound to what runs them here.
 * The Source action hands over the release's commit, the CloudFormation action deploys the release's staging
 * template with the simulated stack, a Lambda invoke runs the built bundle with the template's UserParameters, and
 * the manual approval asks the release's reviewer with the template's CustomData.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { logTail, runLocalBuild } from './codebuild.js';
import {
  resolveVariables,
  type ApprovalRequest,
  type PipelineAction,
  type Stage,
  type Variables,
} from './local-codepipeline.js';
import { SITE_BUCKET, type LocalSite } from './site.js';
import type { SimulatedStagingStack, StagingTemplate } from './staging-stack.js';
import { localBucketName, type TemplateAction, type TemplatePipeline } from './template-pipeline.js';

export const PIPELINE_NAME = 'site-release';

/** The pipeline stack's artifact bucket, as the local template resolves `!Ref ArtifactBucket`. */
export const ARTIFACT_BUCKET = localBucketName(PIPELINE_NAME, 'ArtifactBucket');

/**
 * One commit of the repository the pipeline watches: the content version it ships, the staging template it deploys,
 * and its files (path → content), which the Source action hands over as its output artifact.
 */
export interface Release {
  version: string;
  template: StagingTemplate;
  commit: string;
  files: Record<string, string>;
}

/** The site folder of the local repository (the pipeline's SitePath when it ships the site). */
export const SITE_PATH = 'site';

/** The page a release's site serves at its root: viewers read the version from it. */
export const sitePage = (version: string) => `<h1>site ${version}</h1>\n`;

/**
 * A release of `version`, with a commit id that stays the same run to run (the id of its content: the same files
 * are the same commit). Its files default to a site folder whose index.html names the version.
 */
export function release(
  version: string,
  template: StagingTemplate,
  files: Record<string, string> = { [`${SITE_PATH}/index.html`]: sitePage(version) },
): Release {
  const commit = createHash('sha1')
    .update(`site ${version}`)
    .update(JSON.stringify(Object.entries(files).sort(([a], [b]) => a.localeCompare(b))))
    .digest('hex');
  return { version, template, commit, files };
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
  /** Each execution's artifacts (folders), from the Source action's on. */
  artifacts: LocalArtifacts;
  /**
   * What a CodeBuild action runs with locally, over its project's variables: the Lambda runtime's Node first on
   * PATH, the emulator's endpoint and credentials, and CFCD (the built dist/cli/cfcd.mjs). Needed only when the
   * template has CodeBuild actions (a pipeline that ships its site).
   */
  buildEnvironment?: Record<string, string>;
}

/** The artifacts of each execution, as folders in the temporary directory; {@link dispose} removes them all. */
export class LocalArtifacts {
  private readonly byExecution = new Map<string, Map<string, string>>();
  private readonly dirs: string[] = [];

  /** A new empty folder for an artifact of `execution`. */
  create(execution: string, name: string): string {
    const dir = mkdtempSync(join(tmpdir(), `cfcd-${name}-`));
    this.put(execution, name, dir);
    return dir;
  }

  put(execution: string, name: string, dir: string): void {
    this.dirs.push(dir);
    const of = this.byExecution.get(execution) ?? new Map<string, string>();
    of.set(name, dir);
    this.byExecution.set(execution, of);
  }

  get(execution: string, name: string): string {
    const dir = this.byExecution.get(execution)?.get(name);
    if (!dir) throw new Error(`input artifact ${name} was not produced by an earlier action of ${execution}`);
    return dir;
  }

  dispose(): void {
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    this.byExecution.clear();
  }
}

/** The OriginPath the CloudFormation action's ParameterOverrides set (the pipeline ships the site), if any. */
function originPathOverride(action: TemplateAction, variables: Variables): string | undefined {
  const overrides = action.configuration.ParameterOverrides;
  if (overrides === undefined) return undefined;
  const parsed = JSON.parse(resolveVariables(overrides, variables)) as Record<string, unknown>;
  return typeof parsed.OriginPath === 'string' ? parsed.OriginPath : undefined;
}

/** A failed build as CodePipeline's CodeBuild action reports it, with the end of its log on the following lines. */
function buildFailure(project: string, phase: string, exitCode: number, log: string): Error {
  const tail = logTail(log, 12).map((l) => `  ${l}`);
  return new Error(
    `Build terminated with state: FAILED. Phase: ${phase}. Project: ${project}. Exit status ${exitCode}. ` +
      `The build log ends:\n${tail.join('\n')}`,
  );
}

function bindCodeBuild(action: TemplateAction, b: PipelineBindings, namespace: { namespace?: string }): PipelineAction {
  const project = action.codeBuild;
  if (!project) throw new Error(`${action.name}: the template gives no CodeBuild project with an inline BuildSpec`);
  const buildEnvironment = b.buildEnvironment;
  if (!buildEnvironment)
    throw new Error(`${action.name}: a CodeBuild action needs the local build environment (the emulator's endpoint)`);
  return {
    type: 'custom',
    name: action.name,
    ...namespace,
    run: async (variables: Variables, execution: string) => {
      const actionVariables = JSON.parse(
        resolveVariables(action.configuration.EnvironmentVariables ?? '[]', variables),
      ) as { name: string; value: string }[];
      const sources = action.inputArtifacts.map((name) => ({ name, dir: b.artifacts.get(execution, name) }));
      const result = await runLocalBuild({
        buildSpec: project.buildSpec,
        sources,
        environment: { ...project.environment, ...Object.fromEntries(actionVariables.map((v) => [v.name, v.value])) },
        localEnvironment: buildEnvironment,
      });
      if (result.status === 'FAILED')
        throw buildFailure(project.logicalId, result.failedPhase ?? 'BUILD', result.exitCode, result.log);
      const [output] = action.outputArtifacts;
      if (output && result.artifactsDir) b.artifacts.put(execution, output, result.artifactsDir);
      const last = logTail(result.log, 1)[0] ?? '(no output)';
      return {
        variables: {},
        summary: `CodeBuild (local) ${project.logicalId}: SUCCEEDED${output ? ` → artifact ${output}` : ''}; ${last}`,
      };
    },
  };
}

function bind(action: TemplateAction, b: PipelineBindings, branch: string): PipelineAction {
  const namespace = action.namespace ? { namespace: action.namespace } : {};
  if (action.category === 'Source')
    return {
      type: 'custom',
      name: action.name,
      ...namespace,
      run: async (_: Variables, execution: string) => {
        const { commit, version, files } = b.releaseOf(execution);
        for (const name of action.outputArtifacts) {
          const dir = b.artifacts.create(execution, name);
          for (const [path, content] of Object.entries(files)) {
            mkdirSync(dirname(join(dir, path)), { recursive: true });
            writeFileSync(join(dir, path), content);
          }
        }
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
      run: async (variables: Variables, execution: string) => {
        const released = b.releaseOf(execution).template;
        // The pipeline's ParameterOverrides win over the template's own OriginPath, as in CloudFormation.
        const originPath = originPathOverride(action, variables);
        const template = originPath ? { ...released, originPath } : released;
        const r = await b.stack.deploy(template);
        return {
          variables: r.outputs,
          summary:
            `CloudFormation (simulated): staging ${r.outputs.StagingDistributionId} ${r.staging} ` +
            `(origin path ${template.originPath}${originPath ? ', from the pipeline' : ''}), ` +
            `policy ${r.outputs.ContinuousDeploymentPolicyId} ${r.policy} (${template.traffic.type})`,
        };
      },
    };
  if (action.category === 'Build' && action.provider === 'CodeBuild') return bindCodeBuild(action, b, namespace);
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
