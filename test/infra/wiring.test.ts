import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS_DIR, FUNCTION_NAMES } from '../../infra/bundles.mjs';
import { parseAbortObject } from '../../shared/rollback/params.js';
import { parseEnableCdParams } from '../../functions/enable-cd/params.js';
import { parsePromoteParams } from '../../functions/promote/params.js';
import { parseRampParams } from '../../functions/ramp/params.js';
import { parseBakeParams } from '../../functions/bake/params.js';
import { parameterNames as watchParameterNames, parseWatchParams } from '../../functions/watch/params.js';
import { DEFAULT_METRICS_WINDOW_MINUTES } from '../../shared/domain/gate.js';
import { MAX_WINDOW_MINUTES } from '../../shared/domain/traffic-metrics.js';
import { isIntrinsic, loadInfraTemplates, resolveConditions, PIPELINE_REQUIRED_PARAMETERS } from './template.js';

/**
 * The input keys each function accepts: the `parameterNames` of the action its functions/<name>/action.ts declares,
 * or, for a function that is no pipeline action (the watch), of its functions/<name>/params.ts.
 */
const acceptedKeys: Record<string, readonly string[]> = Object.fromEntries(
  await Promise.all(
    FUNCTION_NAMES.map(async (name) => {
      const declared = existsSync(join(FUNCTIONS_DIR, name, 'action.ts'));
      const file = join(FUNCTIONS_DIR, name, declared ? 'action.ts' : 'params.ts');
      const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      const holder = declared
        ? Object.values(module).find((v): v is { parameterNames: readonly string[] } =>
            Boolean(v && typeof v === 'object' && 'parameterNames' in v),
          )
        : (module as { parameterNames?: readonly string[] });
      if (!holder?.parameterNames) throw new Error(`${file} declares no parameterNames`);
      return [name, holder.parameterNames] as const;
    }),
  ),
);

const pipeline = loadInfraTemplates().get('pipeline.yml')!;

interface Action {
  Name: string;
  ActionTypeId: { Category: string; Provider: string };
  Configuration: Record<string, unknown>;
  Namespace?: string;
  RunOrder?: number;
}
/** The required parameters of pipeline.yml, for stacks built from it in these tests. */
const REQUIRED = { ...PIPELINE_REQUIRED_PARAMETERS };
/** A pipeline that ships its site: SitePath, built by a command. */
const SHIPS_SITE = {
  ...REQUIRED,
  StaticResourceBucketName: 'my-site',
  SitePath: 'web',
  BuildCommand: 'npm ci && npm run build',
  BuildOutputPath: 'dist',
};
type Stages = { Name: string; Actions: Action[] }[];
const stagesOf = (given: Record<string, string>) =>
  resolveConditions(pipeline, given).Resources.Pipeline!.Properties!.Stages as Stages;
/** The stages of a configuration-only pipeline (SitePath empty, as by default). */
const stages = stagesOf(REQUIRED);
const invokeActions = stages.flatMap((s) =>
  s.Actions.filter((a) => a.ActionTypeId.Category === 'Invoke' && a.ActionTypeId.Provider === 'Lambda'),
);
const actionNamed = (name: string) => stages.flatMap((s) => s.Actions).find((a) => a.Name === name)!;

const WATCH_ON = {
  ...REQUIRED,
  WatchMaxStaging5xxErrorRate: '5',
  WatchMinStagingRequests: '200',
  WatchAlarmNames:
    'arn:aws:cloudwatch:us-east-1:123456789012:alarm:site-5xx,arn:aws:cloudwatch:us-east-1:123456789012:alarm:site-latency',
};
const WATCH_RESOURCES = ['WatchLogGroup', 'WatchRole', 'WatchFunction', 'WatchSchedule', 'WatchInvokePermission'];

/** The function folder a Lambda resource is built from: Code ../dist/<name>. */
function functionName(logicalId: string): string {
  const code = pipeline.Resources[logicalId]!.Properties!.Code;
  const match = typeof code === 'string' ? /^\.\.\/dist\/([a-z0-9-]+)$/.exec(code) : null;
  if (!match) throw new Error(`${logicalId}: Code must be ../dist/<function>, got ${JSON.stringify(code)}`);
  return match[1]!;
}

/**
 * The text of a !Sub, its own variables (the list form's map, conditions already decided) written in: a variable that
 * is a string or a !Sub string of the stack's parameters.
 */
function subText(value: unknown): string {
  if (!isIntrinsic(value)) throw new Error(`expected a !Sub, got ${JSON.stringify(value)}`);
  const sub = value['Fn::Sub'];
  if (typeof sub === 'string') return sub;
  if (!Array.isArray(sub) || typeof sub[0] !== 'string')
    throw new Error(`expected a !Sub string or list, got ${JSON.stringify(value)}`);
  const variables = (sub[1] ?? {}) as Record<string, unknown>;
  return sub[0].replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
    if (!(name in variables)) return whole;
    const v = variables[name];
    if (typeof v === 'string') return v;
    if (isIntrinsic(v) && typeof v['Fn::Sub'] === 'string') return v['Fn::Sub'];
    if (isIntrinsic(v) && typeof v.Ref === 'string') return `\${${v.Ref}}`;
    throw new Error(`cannot write \${${name}} of ${JSON.stringify(value)} as text`);
  });
}

/**
 * A !Sub JSON string with every ${...} replaced, parsed: by `substitutions`, else by the parameter's default when the
 * value is substituted raw (not inside a JSON string, as InvalidationPaths' JSON array is), else by a placeholder.
 * Pipeline variables #{...} stay as text.
 */
function parseSubJson(value: unknown, substitutions: Record<string, string> = {}): Record<string, unknown> {
  const text = subText(value).replace(/(")?\$\{([^}]+)\}/g, (_, quote: string | undefined, name: string) => {
    const given = substitutions[name];
    if (given !== undefined) return `${quote ?? ''}${given}`;
    if (quote) return `${quote}placeholder-${name}`;
    const fallback = pipeline.Parameters?.[name]?.Default;
    if (typeof fallback !== 'string') throw new Error(`\${${name}} is substituted raw but has no string default`);
    return fallback;
  });
  return JSON.parse(text) as Record<string, unknown>;
}

describe('the Ship stage (SitePath)', () => {
  const shipping = stagesOf(SHIPS_SITE);
  const asIs = stagesOf({ ...SHIPS_SITE, BuildCommand: '', BuildOutputPath: '' });
  const action = (of: Stages, name: string) => of.flatMap((s) => s.Actions).find((a) => a.Name === name)!;
  const inputs = (a: Action) =>
    ((a as { InputArtifacts?: { Name: string }[] }).InputArtifacts ?? []).map((i) => i.Name);

  it('ships between Source and Release: build (only with BuildCommand), then upload', () => {
    expect(shipping.map((s) => s.Name)).toEqual(['Source', 'Ship', 'Release']);
    expect(shipping[1]!.Actions.map((a) => [a.RunOrder, a.Name, a.ActionTypeId.Provider])).toEqual([
      [1, 'BuildSite', 'CodeBuild'],
      [2, 'UploadSite', 'CodeBuild'],
    ]);
    expect(asIs[1]!.Actions.map((a) => a.Name)).toEqual(['UploadSite']);
    expect(stages.map((s) => s.Name)).toEqual(['Source', 'Release']);
  });

  it("uploads the build's output when there is a build, the commit's files otherwise, each named by the commit", () => {
    expect(inputs(action(shipping, 'BuildSite'))).toEqual(['SourceOutput']);
    expect(inputs(action(shipping, 'UploadSite'))).toEqual(['SourceOutput', 'SiteOutput']);
    expect(inputs(action(asIs, 'UploadSite'))).toEqual(['SourceOutput']);
    for (const a of [action(shipping, 'BuildSite'), action(shipping, 'UploadSite'), action(asIs, 'UploadSite')])
      expect(JSON.parse(a.Configuration.EnvironmentVariables as string), a.Name).toEqual([
        { name: 'COMMIT_ID', value: '#{SourceVariables.CommitId}', type: 'PLAINTEXT' },
      ]);
  });

  it("points the staging at the commit's release folder only when the pipeline ships the site", () => {
    const deploy = (of: Stages) => parseSubJson(action(of, 'DeployStagingStack').Configuration.ParameterOverrides);
    expect(deploy(shipping).OriginPath).toBe('/releases/#{SourceVariables.CommitId}');
    expect(deploy(asIs).OriginPath).toBe('/releases/#{SourceVariables.CommitId}');
    expect(deploy(stages)).not.toHaveProperty('OriginPath');
  });

  it('has promote prune the site bucket, keeping KeepReleases, only when the pipeline ships the site', () => {
    const promote = (of: Stages, more: Record<string, string> = {}) =>
      parseSubJson(action(of, 'PromoteStaging').Configuration.UserParameters, more);
    expect(promote(shipping, { StaticResourceBucketName: 'my-site', KeepReleases: '5' })).toMatchObject({
      ReleaseBucket: 'my-site',
      KeepReleases: '5',
    });
    expect(promote(stages)).toMatchObject({ ReleaseBucket: '', KeepReleases: '' });
  });
});

describe('pipeline wiring', () => {
  const lambdas = Object.entries(pipeline.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');

  it('declares exactly one Lambda per function that npm run build bundles (functions/<name>/handler.ts)', () => {
    // A function folder without its Lambda in the template fails here, and so does a Lambda without a folder.
    expect(lambdas.map(([id]) => functionName(id)).sort()).toEqual([...FUNCTION_NAMES]);
  });

  it('runs the whole release in one locked stage after Source: deploy, enable-cd, approval, promote', () => {
    expect(stages.map((s) => s.Name)).toEqual(['Source', 'Release']);
    const release = stages[1]!.Actions.map((a) => [a.RunOrder, a.Name, a.ActionTypeId.Category]);
    expect(release).toEqual([
      [1, 'DeployStagingStack', 'Deploy'],
      [2, 'EnableContinuousDeployment', 'Invoke'],
      [3, 'ApproveStaging', 'Approval'],
      [4, 'PromoteStaging', 'Invoke'],
    ]);
    expect(pipeline.Resources.Pipeline!.Properties!.ExecutionMode).toBe('QUEUED');
  });

  it('refers only to pipeline variables of namespaces that earlier actions declare, with or without SitePath or a ramp', () => {
    const declared: string[] = [];
    const problems: string[] = [];
    const ramp = stagesOf({ ...REQUIRED, RampSteps: '[1]', PromoteMaxStaging5xxErrorRate: '2' });
    for (const stage of [...stages, ...stagesOf(SHIPS_SITE), ...ramp]) {
      const byOrder = [...stage.Actions].sort((a, b) => (a.RunOrder ?? 1) - (b.RunOrder ?? 1));
      for (const action of byOrder) {
        const text = JSON.stringify(action.Configuration);
        for (const [, ns] of text.matchAll(/#\{([A-Za-z0-9@_-]+)\.[A-Za-z0-9@_-]+\}/g))
          if (!declared.includes(ns!))
            problems.push(`${action.Name} refers to #{${ns}.…}, declared by no earlier action`);
        if (action.Namespace) declared.push(action.Namespace);
      }
    }
    expect(problems).toEqual([]);
    expect(actionNamed('EnableContinuousDeployment').Namespace).toBe('EnableCd');
  });

  it("keeps every action configuration value within CodePipeline's 1000 characters, parameters at full length", () => {
    const longest: Record<string, string> = {
      PrimaryDistributionId: 'E'.repeat(21),
      StaticResourceBucketName: 'b'.repeat(63),
      OriginDomainName: 'd'.repeat(100),
      OriginAccessControlId: 'E'.repeat(21),
      AllowedOriginDomains: 'd'.repeat(
        Number((pipeline.Parameters!.AllowedOriginDomains! as { MaxLength?: number }).MaxLength),
      ),
    };
    // Every optional action on too: the ship stage, the ramp (with its alarms and probes empty: their share of the
    // ramp's 1000 characters has its own test) and the bake.
    const everything = {
      ...SHIPS_SITE,
      RampSteps: '[1, 5, 15]',
      PromoteMaxStaging5xxErrorRate: '5',
      BakeMinutes: '15',
    };
    const tooLong = [...stages, ...stagesOf(SHIPS_SITE), ...stagesOf(everything)].flatMap((s) =>
      s.Actions.flatMap((a) =>
        Object.entries(a.Configuration).flatMap(([key, value]) => {
          if (!isIntrinsic(value) || !('Fn::Sub' in value)) return [];
          const text = subText(value).replace(/\$\{([^}]+)\}/g, (_, n: string) => longest[n] ?? 'x'.repeat(20));
          return text.length > 1000 ? [`${a.Name}.${key}: ${text.length} characters`] : [];
        }),
      ),
    );
    expect(tooLong).toEqual([]);
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

  // With every accepted key already in the text, a stack output substituted into it that adds a key can only add an
  // unknown key or a duplicate one, and the parsers refuse both (issue 27, finding 6).
  it('names every UserParameters key each function accepts, so a substituted output cannot add one', () => {
    for (const action of invokeActions) {
      const fn = functionName((action.Configuration.FunctionName as { Ref: string }).Ref);
      const keys = Object.keys(parseSubJson(action.Configuration.UserParameters));
      expect(
        acceptedKeys[fn]!.filter((k) => !keys.includes(k)),
        `${action.Name} -> ${fn}`,
      ).toEqual([]);
    }
  });

  it('feeds the staging ids from the staging stack outputs through the StagingStack namespace', () => {
    const deploy = stages
      .flatMap((s) => s.Actions)
      .find((a) => a.ActionTypeId.Provider === 'CloudFormation') as Action & { Namespace: string };
    expect(deploy.Namespace).toBe('StagingStack');
    for (const action of invokeActions) {
      const params = parseSubJson(action.Configuration.UserParameters);
      expect(params.StagingDistributionId, action.Name).toBe('#{StagingStack.StagingDistributionId}');
      // promote with the policy id reads primary, staging and policy in one round (issue 18).
      expect(params.ContinuousDeploymentPolicyId, action.Name).toBe('#{StagingStack.ContinuousDeploymentPolicyId}');
    }
  });

  it('has promote promote the config the reviewer approved: the staging ETag enable-cd reported', () => {
    const promote = parseSubJson(actionNamed('PromoteStaging').Configuration.UserParameters);
    expect(promote.ExpectedStagingETag).toBe('#{EnableCd.StagingETag}');
  });

  it('passes InvalidationPaths to enable-cd and promote as a JSON array their parsers accept, ["/*"] by default', () => {
    const parsers = { 'enable-cd': parseEnableCdParams, promote: parsePromoteParams };
    for (const action of invokeActions) {
      const fn = functionName((action.Configuration.FunctionName as { Ref: string }).Ref) as keyof typeof parsers;
      const raw = parseSubJson(action.Configuration.UserParameters, {
        PrimaryDistributionId: 'E1PRIMARY00001',
        MaxWaitMinutes: '60',
        MetricsWindowMinutes: '15',
      });
      expect(raw.InvalidationPaths, action.Name).toEqual(['/*']);
      const ids = {
        StagingDistributionId: 'E2STAGING00002',
        ContinuousDeploymentPolicyId: '0f8fad5b-d9cb-469f-a165-70867728950e',
        ExpectedStagingETag: 'E2QWRUHAPOMQZL',
      };
      const known = Object.fromEntries(
        Object.entries({ ...raw, ...ids }).filter(([k, v]) => k in raw && !String(v).startsWith('placeholder-')),
      );
      expect(parsers[fn](JSON.stringify(known)).invalidationPaths, action.Name).toEqual(['/*']);
    }
  });

  it('allows InvalidationPaths only as an array of paths, so that its raw substitution cannot add UserParameters keys', () => {
    const parameter = pipeline.Parameters?.InvalidationPaths as unknown as { AllowedPattern: string; Default: string };
    const allowed = new RegExp(parameter.AllowedPattern);
    for (const ok of [parameter.Default, '[]', '["/index.html", "/assets/*"]', '["/a%20b"]'])
      expect(allowed.test(ok), ok).toBe(true);
    for (const bad of [
      '["/*"],"PrimaryDistributionId":"EOTHER00000001","x":["/a"]',
      '["/*"], "MaxWaitMinutes": 1, "y": ["/b"]',
      '["/a\\"]',
      '[/*]',
      '["index.html"]',
      '"/*"',
    ])
      expect(allowed.test(bad), bad).toBe(false);
  });

  it("passes AllowedOriginDomains to enable-cd only, [] by default (the primary's origins), as an array that cannot add keys", () => {
    const parameter = pipeline.Parameters?.AllowedOriginDomains as unknown as {
      AllowedPattern: string;
      Default: string;
    };
    const raw = parseSubJson(actionNamed('EnableContinuousDeployment').Configuration.UserParameters);
    expect(raw.AllowedOriginDomains).toEqual([]);
    const promote = parseSubJson(actionNamed('PromoteStaging').Configuration.UserParameters);
    expect(promote).not.toHaveProperty('AllowedOriginDomains');
    const allowed = new RegExp(parameter.AllowedPattern);
    for (const ok of [
      parameter.Default,
      '["my-site.s3.us-east-1.amazonaws.com"]',
      '["a.example.com", "*.example.net"]',
    ])
      expect(allowed.test(ok), ok).toBe(true);
    for (const bad of [
      '["a.example.com"],"PrimaryDistributionId":"EOTHER00000001","x":["b.example.com"]',
      '["a.example.com\\"]',
      '[a.example.com]',
      '"a.example.com"',
      '["https://a.example.com/"]',
    ])
      expect(allowed.test(bad), bad).toBe(false);
  });

  it('shows the reviewer the commit, the staging and its ETag, and the changes promote would make', () => {
    const customData = { 'Fn::Sub': subText(actionNamed('ApproveStaging').Configuration.CustomData) };
    expect(customData['Fn::Sub']).not.toContain('#{Ramp.');
    for (const variable of [
      '#{SourceVariables.CommitId}',
      '#{EnableCd.StagingDistributionId}',
      '#{EnableCd.StagingETag}',
      '#{EnableCd.PromoteChanges}',
      '#{EnableCd.HowToReachStaging}',
    ])
      expect(customData['Fn::Sub']).toContain(variable);
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

  it("sends abort its constant fields and the failed execution (InputTransformer), in a shape abort's parser accepts", () => {
    const rule = pipeline.Resources.ApprovalFailedRule!.Properties as {
      Targets: {
        Arn: unknown;
        Input?: unknown;
        InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: unknown };
      }[];
    };
    const target = rule.Targets[0]!;
    expect(target.Arn).toEqual({ 'Fn::GetAtt': ['AbortFunction', 'Arn'] });
    expect(target.Input).toBeUndefined();
    const { InputPathsMap: paths, InputTemplate: template } = target.InputTransformer;
    expect(paths).toEqual({ pipeline: '$.detail.pipeline', executionId: '$.detail.execution-id' });
    // What EventBridge sends for a failed approval: each <placeholder> outside quotes becomes a JSON string.
    const event = {
      pipeline: 'cloudfront-cd-pipeline-Pipeline-1A2B3C',
      executionId: '2d4e6f80-1234-4abc-9def-0123456789ab',
    };
    const rendered = (template as { 'Fn::Sub': string })['Fn::Sub']
      .replace('${PrimaryDistributionId}', 'E2QWRUHAPOMQZL')
      .replace(/<([A-Za-z]+)>/g, (_, name: string) => JSON.stringify(event[name as keyof typeof event]));
    const input = JSON.parse(rendered) as Record<string, unknown>;
    expect(input).toEqual({
      PrimaryDistributionId: 'E2QWRUHAPOMQZL',
      Mode: 'disable',
      PipelineName: event.pipeline,
      PipelineExecutionId: event.executionId,
    });
    expect(parseAbortObject(input)).toMatchObject({ primaryId: 'E2QWRUHAPOMQZL', mode: 'disable' });
  });

  it('matches the failed approval of this pipeline: the stage and action names exist', () => {
    const pattern = (
      pipeline.Resources.ApprovalFailedRule!.Properties as { EventPattern: { detail: Record<string, unknown[]> } }
    ).EventPattern;
    const stage = stages.find((s) => s.Name === pattern.detail.stage![0]);
    const approval = stage?.Actions.find((a) => a.Name === pattern.detail.action![0]);
    expect(approval?.ActionTypeId).toMatchObject({ Category: 'Approval', Provider: 'Manual' });
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

describe('the watch', () => {
  const on = resolveConditions(pipeline, WATCH_ON);
  const off = resolveConditions(pipeline, REQUIRED);

  it('does not exist when every Watch* parameter is empty: no function, role, schedule or permission', () => {
    expect(WATCH_RESOURCES.filter((id) => id in off.Resources)).toEqual([]);
    expect(Object.keys(off.Outputs ?? {})).not.toContain('WatchFunctionName');
  });

  it('exists as soon as an error-rate threshold or an alarm is set', () => {
    const switches: Record<string, string>[] = [
      { WatchMaxStaging5xxErrorRate: '5' },
      { WatchMaxErrorRateIncrease: '2' },
      { WatchAlarmNames: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:site-5xx' },
    ];
    for (const given of switches) {
      const resolved = resolveConditions(pipeline, { ...REQUIRED, ...given });
      expect(
        WATCH_RESOURCES.filter((id) => !(id in resolved.Resources)),
        JSON.stringify(given),
      ).toEqual([]);
    }
  });

  it('ticks every minute with a constant input that the watch accepts', () => {
    const rule = on.Resources.WatchSchedule!.Properties as {
      ScheduleExpression: string;
      Targets: { Arn: unknown; Input: unknown; InputTransformer?: unknown }[];
    };
    expect(rule.ScheduleExpression).toBe('rate(1 minute)');
    const target = rule.Targets[0]!;
    expect(target.Arn).toEqual({ 'Fn::GetAtt': ['WatchFunction', 'Arn'] });
    expect(target.InputTransformer).toBeUndefined();
    const input = parseSubJson(target.Input, {
      ...WATCH_ON,
      StagingDistributionId: '',
      WatchMaxErrorRateIncrease: '',
      WatchWindowMinutes: '',
      Pipeline: 'site-pipeline',
    });
    expect(Object.keys(input).filter((k) => !watchParameterNames.includes(k as never))).toEqual([]);
    expect(parseWatchParams(input)).toMatchObject({
      primaryId: REQUIRED.PrimaryDistributionId,
      stagingId: undefined,
      approval: { pipelineName: 'site-pipeline', stageName: 'Release', actionName: 'ApproveStaging' },
      alarms: [
        { name: 'site-5xx', region: 'us-east-1' },
        { name: 'site-latency', region: 'us-east-1' },
      ],
    });
  });

  it('rejects the approval action this pipeline declares, the one the IAM grant names', () => {
    const input = parseSubJson(
      (on.Resources.WatchSchedule!.Properties as { Targets: { Input: unknown }[] }).Targets[0]!.Input,
    );
    const stage = stages.find((s) => s.Name === input.ApprovalStageName);
    const action = stage?.Actions.find((a) => a.Name === input.ApprovalActionName);
    expect(action?.ActionTypeId).toMatchObject({ Category: 'Approval', Provider: 'Manual' });
    const role = JSON.stringify(on.Resources.WatchRole!.Properties!.Policies);
    expect(role).toContain(`:\${Pipeline}/${String(input.ApprovalStageName)}/${String(input.ApprovalActionName)}"`);
  });

  it('lets only EventBridge, from the schedule, invoke the watch', () => {
    expect(on.Resources.WatchInvokePermission!.Properties).toMatchObject({
      FunctionName: { 'Fn::GetAtt': ['WatchFunction', 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': ['WatchSchedule', 'Arn'] },
    });
  });
});

describe('the ramp (RampSteps)', () => {
  const RAMP_ON = {
    ...REQUIRED,
    RampSteps: '[1, 5, 15]',
    RampProbes: '["/", "/app.js"]',
    PromoteMaxStaging5xxErrorRate: '2',
  };
  const RAMP_RESOURCES = ['RampLogGroup', 'RampRole', 'RampFunction'];
  const release = (given: Record<string, string>) => stagesOf(given).find((s) => s.Name === 'Release')!.Actions;
  const named = (given: Record<string, string>, name: string) => release(given).find((a) => a.Name === name)!;
  const resources = (given: Record<string, string>) => Object.keys(resolveConditions(pipeline, given).Resources);

  it('does not exist while RampSteps is empty (the default): the release stage is as before', () => {
    expect(pipeline.Parameters?.RampSteps?.Default).toBe('');
    expect(release(REQUIRED).map((a) => a.Name)).not.toContain('RampCanary');
    for (const id of RAMP_RESOURCES) expect(resources(REQUIRED), id).not.toContain(id);
  });

  it('ramps between enable-cd and the approval, and the approval shows its figures', () => {
    expect(release(RAMP_ON).map((a) => [a.RunOrder, a.Name])).toEqual([
      [1, 'DeployStagingStack'],
      [2, 'EnableContinuousDeployment'],
      [3, 'RampCanary'],
      [4, 'ApproveStaging'],
      [5, 'PromoteStaging'],
    ]);
    for (const id of RAMP_RESOURCES) expect(resources(RAMP_ON), id).toContain(id);
    expect(functionName((named(RAMP_ON, 'RampCanary').Configuration.FunctionName as { Ref: string }).Ref)).toBe('ramp');
    expect(named(RAMP_ON, 'RampCanary').Namespace).toBe('Ramp');
    const customData = subText(named(RAMP_ON, 'ApproveStaging').Configuration.CustomData);
    expect(customData).toContain('#{Ramp.FinalWeight}');
    expect(customData).toContain('#{Ramp.RampFigures}');
  });

  // Issue 25: after a ramp the policy routes by weight; enable-cd's TrafficType and HowToReachStaging (its header,
  // a curl -H command) were written before the ramp's first step and no longer say how viewers reach the staging.
  it("tells the reviewer how the ramp left the routing, not enable-cd's header, and stays within 1000 characters", () => {
    const customData = subText(named(RAMP_ON, 'ApproveStaging').Configuration.CustomData);
    expect(customData).toContain('(#{Ramp.TrafficType}). #{Ramp.HowToReachStaging}.');
    expect(customData).not.toContain('#{EnableCd.TrafficType}');
    expect(customData).not.toContain('#{EnableCd.HowToReachStaging}');
    for (const variable of ['#{EnableCd.StagingETag}', '#{EnableCd.PromoteChanges}', '#{SourceVariables.CommitId}'])
      expect(customData).toContain(variable);
    // CodePipeline's limit for a configuration value as written, variable syntax counted.
    expect(customData.replace('${PrimaryDistributionId}', 'E1PRIMARY00001').length).toBeLessThanOrEqual(1000);
  });

  it('tells enable-cd that the ramp owns the weights (RampHeader) only with RampSteps, in a shape its parser accepts', () => {
    const header = (given: Record<string, string>) =>
      parseSubJson(named(given, 'EnableContinuousDeployment').Configuration.UserParameters).RampHeader;
    expect(header(RAMP_ON)).toBe('aws-cf-cd-staging: true');
    expect(header(REQUIRED)).toBe('');
    const ids = {
      PrimaryDistributionId: 'E1PRIMARY00001',
      StagingDistributionId: 'E2STAGING00002',
      ContinuousDeploymentPolicyId: '0f8fad5b-d9cb-469f-a165-70867728950e',
    };
    for (const [given, expected] of [
      [RAMP_ON, { header: 'aws-cf-cd-staging', value: 'true' }],
      [REQUIRED, undefined],
    ] as const)
      expect(parseEnableCdParams(JSON.stringify({ ...ids, RampHeader: header(given) })).rampHeader).toEqual(expected);
  });

  // Issue 25/26: a ramp's weights end with its release. The ramp's rollback and promote after a ramped promotion put
  // the policy back on header routing: the header must be the one enable-cd switches on, and "" without a ramp.
  it('gives the ramp and promote the same RampHeader as enable-cd, and promote "" without a ramp', () => {
    const headerOf = (given: Record<string, string>, action: string) =>
      parseSubJson(named(given, action).Configuration.UserParameters, {
        RampSteps: RAMP_ON.RampSteps,
        RampProbes: RAMP_ON.RampProbes,
      }).RampHeader;
    const enableCd = headerOf(RAMP_ON, 'EnableContinuousDeployment');
    expect(enableCd).toBe('aws-cf-cd-staging: true');
    expect(headerOf(RAMP_ON, 'RampCanary')).toBe(enableCd);
    expect(headerOf(RAMP_ON, 'PromoteStaging')).toBe(enableCd);
    expect(headerOf({ ...RAMP_ON, RampAutoPromote: 'true' }, 'PromoteStaging')).toBe(enableCd);
    expect(headerOf(REQUIRED, 'PromoteStaging')).toBe('');
    const ids = {
      PrimaryDistributionId: 'E1PRIMARY00001',
      StagingDistributionId: 'E2STAGING00002',
      ContinuousDeploymentPolicyId: '0f8fad5b-d9cb-469f-a165-70867728950e',
    };
    const expected = { header: 'aws-cf-cd-staging', value: 'true' };
    expect(parsePromoteParams(JSON.stringify({ ...ids, RampHeader: enableCd })).rampHeader).toEqual(expected);
    expect(parsePromoteParams(JSON.stringify({ ...ids, RampHeader: '' })).rampHeader).toBeUndefined();
    const ramp = { ...ids, Steps: [1], MaxStaging5xxErrorRate: 2, RampHeader: headerOf(RAMP_ON, 'RampCanary') };
    expect(parseRampParams(JSON.stringify(ramp)).rampHeader).toEqual(expected);
  });

  it('promotes right after a healthy ramp, with no approval, when RampAutoPromote is "true"', () => {
    const auto = { ...RAMP_ON, RampAutoPromote: 'true' };
    expect(release(auto).map((a) => [a.RunOrder, a.Name])).toEqual([
      [1, 'DeployStagingStack'],
      [2, 'EnableContinuousDeployment'],
      [3, 'RampCanary'],
      [4, 'PromoteStaging'],
    ]);
    // Without a ramp the flag changes nothing (and the rule RampSettingsNeedSteps refuses it).
    expect(release({ ...REQUIRED, RampAutoPromote: 'true' }).map((a) => a.Name)).toContain('ApproveStaging');
    const rule = pipeline.Rules?.RampSettingsNeedSteps as unknown as { RuleCondition: unknown };
    expect(JSON.stringify(rule.RuleCondition)).toContain('RampAutoPromote');
  });

  it('passes the ramp every key it accepts, in a shape its parser accepts', () => {
    const action = named(RAMP_ON, 'RampCanary');
    const raw = parseSubJson(action.Configuration.UserParameters, {
      PrimaryDistributionId: 'E1PRIMARY00001',
      RampSteps: RAMP_ON.RampSteps,
      RampProbes: RAMP_ON.RampProbes,
      RampStepMinutes: '5',
      PromoteMinStagingRequests: '',
      PromoteMaxStaging5xxErrorRate: '2',
      PromoteMaxErrorRateIncrease: '',
      WatchAlarmNames: WATCH_ON.WatchAlarmNames,
    });
    expect(Object.keys(raw).sort()).toEqual([...acceptedKeys.ramp!].sort());
    const parsed = parseRampParams(
      JSON.stringify({
        ...raw,
        StagingDistributionId: 'E2STAGING00002',
        ContinuousDeploymentPolicyId: '0f8fad5b-d9cb-469f-a165-70867728950e',
        ExpectedStagingETag: 'E2QWRUHAPOMQZL',
      }),
    );
    expect(parsed).toMatchObject({ steps: [1, 5, 15], stepMinutes: 5, probes: [{ path: '/' }, { path: '/app.js' }] });
    expect(raw.ExpectedStagingETag).toBe('#{EnableCd.StagingETag}');
    // The canary's alarms, the ones the watch judges: the same parameter, so the two never judge different alarms.
    expect(parsed.alarms).toEqual([
      { name: 'site-5xx', region: 'us-east-1' },
      { name: 'site-latency', region: 'us-east-1' },
    ]);
    const noAlarms = { RampSteps: '[1]', RampProbes: '[]', WatchAlarmNames: '' };
    expect(parseSubJson(action.Configuration.UserParameters, noAlarms).AlarmNames).toBe('');
  });

  // CodePipeline refuses a configuration value over 1000 characters. WatchAlarmNames and RampProbes have no length
  // of their own (the watch's input holds more): docs/ramp.md gives them 470 characters together, beyond "[]"
  // (RampHeader, for the rollback to header routing, took ~40 of the 500 they had).
  it("keeps the ramp's UserParameters within 1000 characters with WatchAlarmNames and RampProbes at 470", () => {
    const ladder = `[${Array.from({ length: 15 }, (_, i) => i + 1).join(', ')}]`;
    const bounded: Record<string, string> = {
      PrimaryDistributionId: 'E'.repeat(21),
      RampSteps: ladder,
      RampStepMinutes: '1440',
      PromoteMinStagingRequests: '9'.repeat(9),
      // The rates' patterns allow any number of decimals; a threshold is typed with a few.
      PromoteMaxStaging5xxErrorRate: '99.999',
      PromoteMaxErrorRateIncrease: '99.999',
    };
    const text = (alarms: string, probes: string) =>
      subText(named(RAMP_ON, 'RampCanary').Configuration.UserParameters).replace(
        /\$\{([^}]+)\}/g,
        (_, n: string) => ({ ...bounded, WatchAlarmNames: alarms, RampProbes: probes })[n] ?? `\${${n}}`,
      );
    expect(text('', '[]')).not.toContain('${');
    expect(text('a'.repeat(470), '[]').length).toBeLessThanOrEqual(1000);
    expect(text('a'.repeat(235), `["/${'p'.repeat(230)}"]`).length).toBeLessThanOrEqual(1000);
    // Not much more: the figure the docs give is the real room, not a guess far below it.
    expect(text('a'.repeat(530), '[]').length).toBeGreaterThan(1000);
  });

  it('lets the pipeline invoke the ramp function only when it exists', () => {
    const invoke = (given: Record<string, string>) => {
      const role = resolveConditions(pipeline, given).Resources.PipelineRole!.Properties!.Policies as {
        PolicyDocument: { Statement: { Sid?: string; Resource: unknown }[] };
      }[];
      return JSON.stringify(role[0]!.PolicyDocument.Statement.find((st) => st.Sid === 'InvokeActions')!.Resource);
    };
    expect(invoke(RAMP_ON)).toContain('RampFunction');
    expect(invoke(REQUIRED)).not.toContain('RampFunction');
  });

  it('allows RampSteps and RampProbes only as arrays, so that their raw substitution cannot add keys', () => {
    const pattern = (name: string) =>
      new RegExp((pipeline.Parameters![name] as unknown as { AllowedPattern: string }).AllowedPattern);
    for (const ok of ['', '[1, 5, 15]', '[0.5,2.25, 10]']) expect(pattern('RampSteps').test(ok), ok).toBe(true);
    for (const bad of ['[1],"StepMinutes":0', '["1"]', '[1, 5', '[100]'])
      expect(pattern('RampSteps').test(bad), bad).toBe(false);
    for (const ok of ['[]', '["/"]', '["/", "/app.js"]']) expect(pattern('RampProbes').test(ok), ok).toBe(true);
    for (const bad of ['["/"],"Steps":[15]', '["/a\\"]', '["/a b"]', '[{"Path":"/"}]'])
      expect(pattern('RampProbes').test(bad), bad).toBe(false);
  });

  it('refuses a ladder without an error-rate threshold to judge its steps by', () => {
    const rule = pipeline.Rules?.RampNeedsErrorRate as unknown as { Assertions: unknown[] };
    const text = JSON.stringify(rule.Assertions);
    expect(text).toContain('PromoteMaxStaging5xxErrorRate');
    expect(text).toContain('PromoteMaxErrorRateIncrease');
  });
});

describe('the bake after promote (BakeMinutes)', () => {
  const BAKE_ON = { ...REQUIRED, BakeMinutes: '15', StaticResourceBucketName: 'my-site' };
  const baking = stagesOf(BAKE_ON);
  const release = (of: Stages) => of.find((s) => s.Name === 'Release')!.Actions;
  const named = (of: Stages, name: string) => release(of).find((a) => a.Name === name);
  const on = resolveConditions(pipeline, BAKE_ON);
  const off = resolveConditions(pipeline, REQUIRED);
  const BAKE_RESOURCES = ['BakeLogGroup', 'BakeRole', 'BakeFunction'];

  it('runs right after promote, with or without a ramp before the approval, and with the ramp promoting itself', () => {
    const order = (given: Record<string, string>) =>
      release(stagesOf(given))
        .map((a) => [a.RunOrder, a.Name])
        .sort(([x], [y]) => Number(x) - Number(y));
    const ramp = { RampSteps: '[1, 5, 15]', PromoteMaxStaging5xxErrorRate: '5' };
    expect(order(BAKE_ON).slice(-2)).toEqual([
      [4, 'PromoteStaging'],
      [5, 'BakeProduction'],
    ]);
    expect(order({ ...BAKE_ON, ...ramp }).slice(-4)).toEqual([
      [3, 'RampCanary'],
      [4, 'ApproveStaging'],
      [5, 'PromoteStaging'],
      [6, 'BakeProduction'],
    ]);
    expect(order({ ...BAKE_ON, ...ramp, RampAutoPromote: 'true' }).slice(-3)).toEqual([
      [3, 'RampCanary'],
      [4, 'PromoteStaging'],
      [5, 'BakeProduction'],
    ]);
  });

  it('does not exist without BakeMinutes: no function, role, log group or action, and promote records nothing', () => {
    for (const id of BAKE_RESOURCES) expect(off.Resources[id], id).toBeUndefined();
    expect(named(stages, 'BakeProduction')).toBeUndefined();
    expect(parseSubJson(actionNamed('PromoteStaging').Configuration.UserParameters).RevertRecordBucket).toBe('');
    const invoke = off.Resources.PipelineRole!.Properties!.Policies as { PolicyDocument: { Statement: unknown[] } }[];
    expect(JSON.stringify(invoke)).not.toContain('BakeFunction');
  });

  it('bakes right after promote, in the same locked stage, through the bake function', () => {
    for (const id of BAKE_RESOURCES) expect(on.Resources[id], id).toBeDefined();
    const order = release(baking).map((a) => [a.RunOrder, a.Name]);
    expect(order.slice(-2)).toEqual([
      [4, 'PromoteStaging'],
      [5, 'BakeProduction'],
    ]);
    const bake = named(baking, 'BakeProduction')!;
    expect(bake.ActionTypeId).toMatchObject({ Category: 'Invoke', Provider: 'Lambda' });
    expect(bake.Configuration.FunctionName).toEqual({ Ref: 'BakeFunction' });
    expect(functionName('BakeFunction')).toBe('bake');
    const invoke = JSON.stringify(on.Resources.PipelineRole!.Properties!.Policies);
    expect(invoke).toContain('{"Fn::GetAtt":["BakeFunction","Arn"]}');
  });

  it('passes the bake every key it accepts and no other, in a shape its parser accepts', () => {
    const bake = named(baking, 'BakeProduction')!;
    const params = parseSubJson(bake.Configuration.UserParameters, {
      PrimaryDistributionId: 'E1PRIMARY00001',
      ArtifactBucket: 'pipeline-artifacts',
      BakeMinutes: '15',
      BakeMaxErrorRateIncrease: '1',
      BakeMaxPrimary5xxErrorRate: '',
      BakeMinRequests: '',
      BakeInconclusive: 'succeed',
      StaticResourceBucketName: 'my-site',
      BakeAlarmNames: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:site-5xx',
    });
    expect(Object.keys(params).sort()).toEqual([...acceptedKeys.bake!].sort());
    expect(params).toMatchObject({
      RevertRecordBucket: 'pipeline-artifacts',
      RevertRecord: '#{Promote.RevertRecord}',
      StagingDistributionId: '#{StagingStack.StagingDistributionId}',
    });
    const parsed = parseBakeParams(
      JSON.stringify({
        ...params,
        StagingDistributionId: 'E2STAGING00002',
        ContinuousDeploymentPolicyId: '',
        RevertRecord: 'cfcd-revert/E1PRIMARY00001/2026-12-07T10-00-00-000Z-E1.json',
      }),
    );
    expect(parsed).toMatchObject({
      bakeMinutes: 15,
      maxErrorRateIncrease: 1,
      maxWaitMinutes: 60,
      inconclusive: 'succeed',
      alarms: [{ name: 'site-5xx', region: 'us-east-1' }],
    });
    // BakeAlarmNames empty (its default): no alarm.
    const none = parseSubJson(bake.Configuration.UserParameters, { BakeAlarmNames: '' });
    expect(none.AlarmNames).toBe('');
  });

  it('accepts an alarm as the threshold a bake needs', () => {
    const rule = pipeline.Rules?.BakeNeedsThreshold as unknown as { Assertions: { Assert: { 'Fn::Or': unknown[] } }[] };
    expect(rule.Assertions[0]!.Assert['Fn::Or']).toEqual(
      ['BakeMaxErrorRateIncrease', 'BakeMaxPrimary5xxErrorRate', 'BakeAlarmNames'].map((name) => ({
        'Fn::Not': [{ 'Fn::Equals': [{ Ref: name }, ''] }],
      })),
    );
    const byAlarm = parseBakeParams(
      JSON.stringify({
        PrimaryDistributionId: 'E1PRIMARY00001',
        StagingDistributionId: 'E2STAGING00002',
        RevertRecordBucket: 'pipeline-artifacts',
        RevertRecord: 'none',
        MaxErrorRateIncrease: '',
        MaxPrimary5xxErrorRate: '',
        AlarmNames: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:site-5xx',
      }),
    );
    expect(byAlarm.alarms).toHaveLength(1);
  });

  it('has promote record what it replaces in the artifact bucket when the bake is on, and allows it to', () => {
    const promote = parseSubJson(named(baking, 'PromoteStaging')!.Configuration.UserParameters);
    expect(promote.RevertRecordBucket).toBe('placeholder-ArtifactBucket');
    expect(
      parsePromoteParams(
        JSON.stringify({
          ...promote,
          RevertRecordBucket: 'pipeline-artifacts',
          PrimaryDistributionId: 'E1PRIMARY00001',
          StagingDistributionId: 'E2STAGING00002',
          ContinuousDeploymentPolicyId: '',
          ExpectedStagingETag: '',
          MinStagingRequests: '',
          MaxStaging5xxErrorRate: '',
          MaxErrorRateIncrease: '',
          MetricsWindowMinutes: '15',
          MaxWaitMinutes: '60',
        }),
      ).recordBucket,
    ).toBe('pipeline-artifacts');
    expect(JSON.stringify(on.Resources.PromoteRole!.Properties!.Policies)).toContain('cfcd-revert/*');
    expect(JSON.stringify(off.Resources.PromoteRole!.Properties!.Policies)).not.toContain('cfcd-revert');
  });

  it("keeps the bake's UserParameters within CodePipeline's 1000 characters, parameters at full length", () => {
    const p = pipeline.Parameters!;
    const text = subText(named(baking, 'BakeProduction')!.Configuration.UserParameters).replace(
      /\$\{([^}]+)\}/g,
      (_, n: string) =>
        ({
          PrimaryDistributionId: 'E'.repeat(21),
          StaticResourceBucketName: 'b'.repeat(63),
          ArtifactBucket: 'a'.repeat(63),
          BakeAlarmNames: 'a'.repeat((p.BakeAlarmNames as unknown as { MaxLength: number }).MaxLength),
        })[n] ?? 'x'.repeat(20),
    );
    expect(text.length).toBeLessThanOrEqual(1000);
  });

  it('keeps the bake parameters within what the function accepts', () => {
    const p = pipeline.Parameters!;
    const pattern = (name: string) => new RegExp((p[name] as { AllowedPattern: string }).AllowedPattern);
    expect(['', '0', '15', '240'].every((v) => pattern('BakeMinutes').test(v))).toBe(true);
    expect(['-1', '241', '1000', '1.5'].some((v) => pattern('BakeMinutes').test(v))).toBe(false);
    expect(pattern('BakeMaxErrorRateIncrease').test('101')).toBe(false);
    expect((p.BakeInconclusive as unknown as { AllowedValues: string[] }).AllowedValues).toEqual(['succeed', 'fail']);
    expect((p.BakeMinutes as { Default: string }).Default).toBe('');
    // BakeAlarmNames: what the template lets through, the bake parses, one alarm per ARN.
    const arn = (name: string) => `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`;
    const alarmsOf = (names: string) =>
      parseBakeParams(
        JSON.stringify({
          PrimaryDistributionId: 'E1PRIMARY00001',
          StagingDistributionId: 'E2STAGING00002',
          RevertRecordBucket: 'pipeline-artifacts',
          RevertRecord: 'none',
          MaxErrorRateIncrease: '1',
          AlarmNames: names,
        }),
      ).alarms;
    for (const ok of ['', arn('site-5xx'), `${arn('a')},${arn('b b')}`]) {
      expect(pattern('BakeAlarmNames').test(ok), ok).toBe(true);
      expect(alarmsOf(ok), ok).toHaveLength(ok === '' ? 0 : ok.split(',').length);
    }
    for (const bad of ['site-5xx', `${arn('a')}, ${arn('b')}`, arn('*'), `${arn('a')},`])
      expect(pattern('BakeAlarmNames').test(bad), bad).toBe(false);
  });
});
