/** The local pipeline is read from infra/pipeline.yml: its actions, its EventBridge rule and its watch schedule. */
import { describe, expect, it } from 'vitest';
import { actionStateChange, matches, targetInput } from '../../../../local/pipeline/eventbridge.js';
import { resolveUserParameters } from '../../../../local/pipeline/local-codepipeline.js';
import { ARTIFACT_BUCKET, PIPELINE_NAME, stackParameters } from '../../../../local/pipeline/pipeline-definition.js';
import { loadTemplatePipeline } from '../../../../local/pipeline/template-pipeline.js';
import { STACK_SETTINGS } from '../../../../local/pipeline/experiment.js';
import { BAKE_PARAMETERS } from '../../../../local/pipeline/bake-cycles.js';

const layout = () =>
  loadTemplatePipeline(stackParameters({ primaryId: 'EPRIMARY00001' }, STACK_SETTINGS), {
    pipelineName: PIPELINE_NAME,
  });

describe('the local pipeline is the one infra/pipeline.yml declares', () => {
  it("runs the template's actions with its UserParameters: promote gets the reviewed StagingETag", () => {
    const actions = layout().stages.flatMap((s) => s.actions);
    const promote = actions.find((a) => a.functionName === 'promote');
    const params = JSON.parse(
      resolveUserParameters(promote?.configuration.UserParameters ?? '', {
        StagingStack: { StagingDistributionId: 'ESTAGING00001', ContinuousDeploymentPolicyId: 'p-1' },
        EnableCd: { StagingETag: 'EREVIEWED0001' },
      }),
    ) as Record<string, string>;
    expect(params).toMatchObject({
      PrimaryDistributionId: 'EPRIMARY00001',
      StagingDistributionId: 'ESTAGING00001',
      ExpectedStagingETag: 'EREVIEWED0001',
      MinStagingRequests: '5',
    });
    expect(actions.find((a) => a.category === 'Approval')?.configuration.CustomData).toContain(
      '#{EnableCd.StagingETag}',
    );
  });

  it('with BakeMinutes, bakes right after promote, both given the artifact bucket for the revert record', () => {
    const baking = loadTemplatePipeline(
      { ...stackParameters({ primaryId: 'EPRIMARY00001' }, STACK_SETTINGS), ...BAKE_PARAMETERS },
      { pipelineName: PIPELINE_NAME },
    );
    const release = baking.stages.find((s) => s.name === 'Release');
    expect(release?.actions.slice(-2).map((a) => `${a.name}:${a.functionName}`)).toEqual([
      'PromoteStaging:promote',
      'BakeProduction:bake',
    ]);
    const variables = {
      StagingStack: { StagingDistributionId: 'ESTAGING00001', ContinuousDeploymentPolicyId: 'p-1' },
      EnableCd: { StagingETag: 'EREVIEWED0001' },
      Promote: { RevertRecord: 'cfcd-revert/EPRIMARY00001/r.json' },
    };
    const paramsOf = (name: string) =>
      JSON.parse(
        resolveUserParameters(
          release?.actions.find((a) => a.name === name)?.configuration.UserParameters ?? '',
          variables,
        ),
      ) as Record<string, unknown>;
    expect(ARTIFACT_BUCKET).toBe('site-release-artifactbucket');
    expect(paramsOf('PromoteStaging').RevertRecordBucket).toBe(ARTIFACT_BUCKET);
    expect(paramsOf('BakeProduction')).toMatchObject({
      RevertRecordBucket: ARTIFACT_BUCKET,
      RevertRecord: 'cfcd-revert/EPRIMARY00001/r.json',
      BakeMinutes: '3',
      MaxErrorRateIncrease: '5',
      MinRequests: '100',
    });
    // Without BakeMinutes: no bake, and promote records nothing.
    const plain = layout().stages.flatMap((s) => s.actions);
    expect(plain.some((a) => a.functionName === 'bake')).toBe(false);
    const promote = plain.find((a) => a.functionName === 'promote');
    expect(JSON.parse(resolveUserParameters(promote?.configuration.UserParameters ?? '', variables))).toMatchObject({
      RevertRecordBucket: '',
    });
  });

  it("gives abort what the EventBridge rule's InputTransformer passes for a rejected approval", () => {
    const approval = layout()
      .stages.flatMap((s) => s.actions.map((a) => ({ stage: s.name, action: a })))
      .find((x) => x.action.category === 'Approval');
    const event = actionStateChange({
      pipeline: PIPELINE_NAME,
      'execution-id': 'exec-1',
      stage: approval?.stage ?? '',
      action: approval?.action.name ?? '',
      state: 'FAILED',
    });
    const rules = layout().eventRules.filter((r) => matches(r.pattern, event));
    expect(rules.map((r) => r.functionName)).toEqual(['abort']);
    expect(targetInput(rules[0]!, event)).toEqual({
      PrimaryDistributionId: 'EPRIMARY00001',
      Mode: 'disable',
      PipelineName: PIPELINE_NAME,
      PipelineExecutionId: 'exec-1',
    });
    expect(rules.some((r) => matches(r.pattern, { ...event, detail: { ...event.detail, state: 'SUCCEEDED' } }))).toBe(
      false,
    );
  });

  it("ticks the watch with its schedule's constant input", () => {
    const [schedule] = layout().schedules;
    expect(schedule).toMatchObject({ functionName: 'watch', everyMinutes: 1 });
    expect(JSON.parse(schedule!.input)).toMatchObject({ PipelineName: PIPELINE_NAME, MaxStaging5xxErrorRate: '5' });
  });
});
