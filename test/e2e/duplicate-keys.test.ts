/**
 * Duplicate UserParameters keys on the built bundles: CodePipeline substitutes `#{StagingStack.…}` into the
 * template's UserParameters as text, so a stack output that closes its string can repeat a key. JSON.parse keeps the
 * last value, which would point enable-CD at another team's distribution; the functions refuse the job instead, as a
 * ConfigurationError naming the key, before any AWS call.
 */
import { CreateDistributionCommand, GetDistributionConfigCommand } from '@aws-sdk/client-cloudfront';
import { afterEach, describe, expect, it } from 'vitest';
import { runInvoke } from '../../local/pipeline/local-codepipeline.js';
import { SITE_BUCKET, siteDistributionConfig } from '../../local/pipeline/site.js';
import { isIntrinsic, loadInfraTemplates, PIPELINE_REQUIRED_PARAMETERS, resolveConditions } from '../infra/template.js';
import { type Harness, operations, startHarness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** An Invoke action's UserParameters as pipeline.yml writes them, `!Sub` filled in from `parameters`, else defaults. */
function templateUserParameters(action: string, parameters: Record<string, string>): string {
  const pipeline = loadInfraTemplates().get('pipeline.yml')!;
  // The stack as deployed with its required parameters: each Fn::If of the stages decided.
  const deployed = resolveConditions(pipeline, PIPELINE_REQUIRED_PARAMETERS);
  const stages = deployed.Resources.Pipeline!.Properties!.Stages as {
    Actions: { Name: string; Configuration: Record<string, unknown> }[];
  }[];
  const sub = stages.flatMap((s) => s.Actions).find((a) => a.Name === action)?.Configuration.UserParameters;
  // A !Sub string, or the list form whose variables (each Fn::If decided) are strings.
  const form = isIntrinsic(sub) ? sub['Fn::Sub'] : undefined;
  const [text, variables] = Array.isArray(form) ? form : [form, {}];
  if (typeof text !== 'string') throw new Error(`${action} has no !Sub UserParameters`);
  const defaults = pipeline.Parameters ?? {};
  return text.replace(/\$\{(\w+)\}/g, (_, name: string) => {
    const fallback = defaults[name]?.Default;
    const own = (variables as Record<string, unknown>)[name];
    const value =
      parameters[name] ??
      (typeof own === 'string' ? own : undefined) ??
      (typeof fallback === 'string' ? fallback : undefined);
    if (value === undefined) throw new Error(`no value for \${${name}}`);
    return value;
  });
}

describe('end to end: duplicate UserParameters keys', () => {
  it("refuses a staging stack output that repeats PrimaryDistributionId, with no AWS call but the job's report", async () => {
    h = await startHarness({ propagationMs: 0 });
    const outputs = await h.deployStaging();
    // Another team's production distribution, which the injected key would make enable-CD attach the policy to.
    const other = await h.clients.cloudFront.send(
      new CreateDistributionCommand({
        DistributionConfig: {
          ...siteDistributionConfig('other-team', '/v1', false),
          Aliases: { Quantity: 1, Items: ['other.example.com'] },
        },
      }),
    );
    const otherId = other.Distribution!.Id!;
    const userParameters = templateUserParameters('EnableContinuousDeployment', {
      PrimaryDistributionId: h.site.primaryId,
      StaticResourceBucketName: SITE_BUCKET,
      MaxWaitMinutes: '60',
      InvalidationPaths: '["/*"]',
    });
    const injected = `${outputs.StagingDistributionId}","PrimaryDistributionId":"${otherId}`;
    // What JSON.parse alone would read: the other team's distribution as the primary.
    const text = userParameters
      .replace('#{StagingStack.StagingDistributionId}', injected)
      .replace('#{StagingStack.ContinuousDeploymentPolicyId}', outputs.ContinuousDeploymentPolicyId);
    expect((JSON.parse(text) as { PrimaryDistributionId: string }).PrimaryDistributionId).toBe(otherId);
    const before = operations(h.emulator).length;

    const result = await runInvoke(
      { type: 'invoke', name: 'EnableContinuousDeployment', functionName: 'enable-cd', userParameters },
      {
        StagingStack: {
          StagingDistributionId: injected,
          ContinuousDeploymentPolicyId: outputs.ContinuousDeploymentPolicyId,
        },
      },
      { lambdas: h.lambdas, results: h.emulator, continuationDelayMs: 5, maxInvocations: 5 },
    );

    expect(result).toEqual({
      ok: false,
      message: expect.stringMatching(
        /^ConfigurationError: enable-cd: UserParameters\.PrimaryDistributionId: is given twice;/,
      ),
    });
    expect(operations(h.emulator).slice(before)).toEqual(['PutJobFailureResult']);
    const otherConfig = await h.clients.cloudFront.send(new GetDistributionConfigCommand({ Id: otherId }));
    expect(otherConfig.DistributionConfig?.ContinuousDeploymentPolicyId ?? '').toBe('');
    expect(await h.attachedPolicy()).toBe('');
  });

  it('runs the same template text with an honest stack output', async () => {
    h = await startHarness({ propagationMs: 0 });
    const outputs = await h.deployStaging();
    const userParameters = templateUserParameters('EnableContinuousDeployment', {
      PrimaryDistributionId: h.site.primaryId,
      StaticResourceBucketName: SITE_BUCKET,
      MaxWaitMinutes: '60',
      InvalidationPaths: '["/*"]',
    });

    const result = await runInvoke(
      { type: 'invoke', name: 'EnableContinuousDeployment', functionName: 'enable-cd', userParameters },
      { StagingStack: { ...outputs } },
      { lambdas: h.lambdas, results: h.emulator, continuationDelayMs: 5, maxInvocations: 50 },
    );

    expect(result).toMatchObject({ ok: true });
    expect(await h.attachedPolicy()).toBe(outputs.ContinuousDeploymentPolicyId);
  });
});
