import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS_DIR, FUNCTION_NAMES } from '../../function-names.mjs';
import { parseAbortObject } from '../../functions/abort/params.js';
import { DEFAULT_METRICS_WINDOW_MINUTES } from '../../shared/domain/gate.js';
import { MAX_WINDOW_MINUTES } from '../../shared/domain/traffic-metrics.js';
import { isIntrinsic, loadInfraTemplates } from './template.js';

/** The UserParameters keys each function accepts: `parameterNames` of its functions/<name>/params.ts. */
const acceptedKeys: Record<string, readonly string[]> = Object.fromEntries(
  await Promise.all(
    FUNCTION_NAMES.map(async (name) => {
      const params = (await import(pathToFileURL(join(FUNCTIONS_DIR, name, 'params.ts')).href)) as {
        parameterNames?: readonly string[];
      };
      if (!params.parameterNames) throw new Error(`functions/${name}/params.ts exports no parameterNames`);
      return [name, params.parameterNames] as const;
    }),
  ),
);

const pipeline = loadInfraTemplates().get('pipeline.yml')!;

interface Action {
  Name: string;
  ActionTypeId: { Category: string; Provider: string };
  Configuration: Record<string, unknown>;
}
const stages = pipeline.Resources.Pipeline!.Properties!.Stages as { Name: string; Actions: Action[] }[];
const invokeActions = stages.flatMap((s) =>
  s.Actions.filter((a) => a.ActionTypeId.Category === 'Invoke' && a.ActionTypeId.Provider === 'Lambda'),
);

/** The function folder a Lambda resource is built from: Code ../dist/<name>. */
function functionName(logicalId: string): string {
  const code = pipeline.Resources[logicalId]!.Properties!.Code;
  const match = typeof code === 'string' ? /^\.\.\/dist\/([a-z0-9-]+)$/.exec(code) : null;
  if (!match) throw new Error(`${logicalId}: Code must be ../dist/<function>, got ${JSON.stringify(code)}`);
  return match[1]!;
}

/** A !Sub JSON string with every ${...} replaced, parsed. Pipeline variables #{...} stay as text. */
function parseSubJson(value: unknown, substitutions: Record<string, string> = {}): Record<string, unknown> {
  if (!isIntrinsic(value) || typeof value['Fn::Sub'] !== 'string')
    throw new Error(`expected a !Sub string, got ${JSON.stringify(value)}`);
  const text = value['Fn::Sub'].replace(
    /\$\{([^}]+)\}/g,
    (_, name: string) => substitutions[name] ?? `placeholder-${name}`,
  );
  return JSON.parse(text) as Record<string, unknown>;
}

describe('pipeline wiring', () => {
  const lambdas = Object.entries(pipeline.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');

  it('declares exactly one Lambda per function that npm run build bundles (functions/<name>/handler.ts)', () => {
    // A function folder without its Lambda in the template fails here, and so does a Lambda without a folder.
    expect(lambdas.map(([id]) => functionName(id)).sort()).toEqual([...FUNCTION_NAMES]);
  });

  it('points every Invoke action at a function of this template', () => {
    expect(invokeActions.map((a) => a.Name)).toEqual(['EnableContinuousDeployment', 'PromoteStaging']);
    for (const action of invokeActions) {
      const ref = action.Configuration.FunctionName as { Ref?: string };
      expect(pipeline.Resources[ref.Ref ?? '']?.Type, action.Name).toBe('AWS::Lambda::Function');
    }
  });

  it('passes each function only UserParameters keys it accepts', () => {
    for (const action of invokeActions) {
      const fn = functionName((action.Configuration.FunctionName as { Ref: string }).Ref);
      const keys = Object.keys(parseSubJson(action.Configuration.UserParameters));
      expect(
        keys.filter((k) => !acceptedKeys[fn]!.includes(k)),
        `${action.Name} -> ${fn}`,
      ).toEqual([]);
    }
  });

  it('feeds the staging ids from the staging stack outputs through the StagingStack namespace', () => {
    const deploy = stages
      .flatMap((s) => s.Actions)
      .find((a) => a.ActionTypeId.Provider === 'CloudFormation') as Action & { Namespace: string };
    expect(deploy.Namespace).toBe('StagingStack');
    const enable = parseSubJson(invokeActions[0]!.Configuration.UserParameters);
    expect(enable.StagingDistributionId).toBe('#{StagingStack.StagingDistributionId}');
    expect(enable.ContinuousDeploymentPolicyId).toBe('#{StagingStack.ContinuousDeploymentPolicyId}');
  });

  it('passes the promotion gate parameters to promote, empty by default (gate off), with the window bounded like the function', () => {
    const promote = parseSubJson(invokeActions[1]!.Configuration.UserParameters);
    expect(promote).toMatchObject({
      MinStagingRequests: 'placeholder-PromoteMinStagingRequests',
      MaxStaging5xxErrorRate: 'placeholder-PromoteMaxStaging5xxErrorRate',
      MaxErrorRateIncrease: 'placeholder-PromoteMaxErrorRateIncrease',
      MetricsWindowMinutes: 'placeholder-MetricsWindowMinutes',
    });
    const parameters = pipeline.Parameters as Record<
      string,
      { Default?: unknown; MinValue?: number; MaxValue?: number }
    >;
    for (const name of ['PromoteMinStagingRequests', 'PromoteMaxStaging5xxErrorRate', 'PromoteMaxErrorRateIncrease'])
      expect(parameters[name]?.Default, name).toBe('');
    expect(parameters.MetricsWindowMinutes).toMatchObject({
      Default: DEFAULT_METRICS_WINDOW_MINUTES,
      MinValue: 1,
      MaxValue: MAX_WINDOW_MINUTES,
    });
  });

  it('grants promote cloudwatch:GetMetricData only when a promotion gate parameter is set', () => {
    const role = pipeline.Resources.PromoteRole!.Properties!.Policies as { PolicyDocument: { Statement: unknown[] } }[];
    const gate = role[0]!.PolicyDocument.Statement.find((s) =>
      JSON.stringify(s).includes('cloudwatch:GetMetricData'),
    ) as { 'Fn::If': [string, unknown, unknown] };
    expect(gate['Fn::If'][0]).toBe('HasPromotionGate');
    expect(gate['Fn::If'][1]).toMatchObject({ Effect: 'Allow', Action: 'cloudwatch:GetMetricData', Resource: '*' });
    expect(gate['Fn::If'][2]).toEqual({ Ref: 'AWS::NoValue' });
  });

  it("sends abort a constant EventBridge input that abort's parser accepts", () => {
    const rule = pipeline.Resources.ApprovalFailedRule!.Properties as { Targets: { Arn: unknown; Input: unknown }[] };
    const target = rule.Targets[0]!;
    expect(target.Arn).toEqual({ 'Fn::GetAtt': ['AbortFunction', 'Arn'] });
    const input = parseSubJson(target.Input, { PrimaryDistributionId: 'E2QWRUHAPOMQZL' });
    expect(parseAbortObject(input)).toMatchObject({ primaryId: 'E2QWRUHAPOMQZL', mode: 'disable' });
  });

  it('matches the failed approval of this pipeline: the stage and action names exist', () => {
    const pattern = (
      pipeline.Resources.ApprovalFailedRule!.Properties as { EventPattern: { detail: Record<string, unknown[]> } }
    ).EventPattern;
    const approval = stages.find((s) => s.Name === pattern.detail.stage![0]);
    expect(approval?.Actions.map((a) => a.Name)).toContain(pattern.detail.action![0]);
    expect(approval?.Actions[0]!.ActionTypeId).toMatchObject({ Category: 'Approval', Provider: 'Manual' });
    expect(pattern.detail.pipeline).toEqual([{ Ref: 'Pipeline' }]);
    expect(pattern.detail.state).toEqual(['FAILED']);
  });

  it('lets only EventBridge, from this rule, invoke abort', () => {
    const permission = pipeline.Resources.AbortInvokePermission!.Properties!;
    expect(permission).toMatchObject({
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': ['ApprovalFailedRule', 'Arn'] },
    });
  });
});
