import {
  CodePipelineClient,
  GetPipelineStateCommand,
  ListActionExecutionsCommand,
  PutApprovalResultCommand,
} from '@aws-sdk/client-codepipeline';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../local/emulator/index.js';
import { actionStateChange, matches, targetInput } from '../../local/pipeline/eventbridge.js';
import { runExperiment } from '../../local/pipeline/experiment.js';
import { PIPELINE_NAME, stackParameters } from '../../local/pipeline/pipeline-definition.js';
import {
  LocalPipeline,
  resolveUserParameters,
  type RunnerEvent,
  type Stage,
} from '../../local/pipeline/local-codepipeline.js';
import { loadTemplatePipeline } from '../../local/pipeline/template-pipeline.js';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const SETTINGS = {
  promoteMinStagingRequests: 5,
  promoteMaxStaging5xxErrorRate: 1,
  promoteMaxErrorRateIncrease: 0.5,
  metricsWindowMinutes: 15,
  watchMaxStaging5xxErrorRate: 5,
  watchMinStagingRequests: 20,
  watchWindowMinutes: 15,
};
const layout = () =>
  loadTemplatePipeline(stackParameters({ primaryId: 'EPRIMARY00001' }, SETTINGS), { pipelineName: PIPELINE_NAME });

/** A promise with its resolve function, to hold an action until the test lets it go. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { open, opened };
}

const noLambdas = { lambdas: {}, results: { jobResults: () => [] }, continuationDelayMs: 1 };

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

describe('the local CodePipeline: QUEUED executions, one stage at a time', () => {
  /** A custom action that records its start and waits for `until`. */
  const step = (name: string, log: string[], until?: Promise<void>): Stage['actions'][number] => ({
    type: 'custom',
    name,
    run: async (_, execution) => {
      log.push(`${execution}:${name}`);
      await until;
      return { variables: {}, summary: name };
    },
  });

  it('lets a newer execution run the first stage while the older one holds the second (per-stage locks)', async () => {
    const log: string[] = [];
    const hold = gate();
    const events: RunnerEvent[] = [];
    const pipeline = new LocalPipeline(
      'two-stages',
      [
        { name: 'Deploy', actions: [step('deploy', log)] },
        { name: 'Approval', actions: [step('approve', log, hold.opened)] },
      ],
      { ...noLambdas, onEvent: (e) => events.push(e) },
    );
    const a = pipeline.start('A');
    await a.left('Deploy');
    const b = pipeline.start('B');
    await b.left('Deploy');
    expect(log).toEqual(['A:deploy', 'A:approve', 'B:deploy']);
    expect(pipeline.occupancy()).toEqual([
      { stage: 'Deploy', holder: undefined, queued: [] },
      { stage: 'Approval', holder: 'A', queued: ['B'] },
    ]);
    hold.open();
    await Promise.all([a.done, b.done]);
    expect(log).toEqual(['A:deploy', 'A:approve', 'B:deploy', 'B:approve']);
    expect(events.some((e) => e.type === 'stage-queued' && e.execution === 'B' && e.stage === 'Approval')).toBe(true);
  });

  it('keeps a newer execution in front of one locked stage until the older one is done with it', async () => {
    const log: string[] = [];
    const hold = gate();
    const pipeline = new LocalPipeline(
      'one-stage',
      [{ name: 'Release', actions: [step('deploy', log), step('approve', log, hold.opened), step('promote', log)] }],
      noLambdas,
    );
    const a = pipeline.start('A');
    const b = pipeline.start('B');
    await new Promise((r) => setTimeout(r, 20));
    expect(log).toEqual(['A:deploy', 'A:approve']);
    hold.open();
    await Promise.all([a.done, b.done]);
    expect(log).toEqual(['A:deploy', 'A:approve', 'A:promote', 'B:deploy', 'B:approve', 'B:promote']);
  });

  it('ends an approval with a rejection sent by PutApprovalResult, and tells the waiting reviewer', async () => {
    emulator = await startEmulator();
    let reviewerToldToStop = false;
    const pipeline = new LocalPipeline(
      'approvals',
      [
        {
          name: 'Release',
          actions: [
            {
              type: 'approval',
              name: 'ApproveStaging',
              customData: 'look at staging',
              decide: (_, request) =>
                new Promise<boolean>((resolve) =>
                  request.signal.addEventListener('abort', () => {
                    reviewerToldToStop = true;
                    resolve(true);
                  }),
                ),
            },
          ],
        },
      ],
      { ...noLambdas, registry: emulator.pipelines },
    );
    const execution = pipeline.start('A');
    const client = new CodePipelineClient({ endpoint: emulator.url, region: 'us-east-1' });
    let token: string | undefined;
    while (!token) {
      const state = await client.send(new GetPipelineStateCommand({ name: 'approvals' }));
      token = state.stageStates?.[0]?.actionStates?.[0]?.latestExecution?.token;
    }
    await client.send(
      new PutApprovalResultCommand({
        pipelineName: 'approvals',
        stageName: 'Release',
        actionName: 'ApproveStaging',
        token,
        result: { status: 'Rejected', summary: 'canary unhealthy' },
      }),
    );
    const result = await execution.done;
    expect(result).toMatchObject({
      status: 'Failed',
      rejected: true,
      answer: { approved: false, by: 'PutApprovalResult', summary: 'canary unhealthy' },
    });
    expect(reviewerToldToStop).toBe(true);
    const listed = await client.send(
      new ListActionExecutionsCommand({
        pipelineName: 'approvals',
        filter: { pipelineExecutionId: execution.pipelineExecutionId },
      }),
    );
    expect(listed.actionExecutionDetails?.map((d) => d.status)).toEqual(['Failed']);
  });
});

describe('npm start, every cycle', () => {
  it('holds every expectation, scenarios included, and reads line by line', async () => {
    emulator = await startEmulator({ propagationMs: 30, seed: 7 });
    const lines: string[] = [];
    const result = await runExperiment({
      emulator,
      continuationDelayMs: 25,
      approval: 'auto',
      write: (l) => lines.push(l),
      weightedSample: 600,
    });
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    const names = result.checks.map((c) => c.name);
    for (const expected of [
      "just before the promotion, production's page is v1 from the primary's edge cache",
      "just after the promotion, production's page is v2: promote invalidated the primary's cache",
      'while v5 waits for its reviewer, v6 waits in front of the locked Release stage and staging still serves v5',
      "approving v5 promoted the staging config v5's reviewer saw (its StagingETag)",
      'v6 entered the Release stage only after v5 left it',
      'promote refused to promote a staging changed after its review',
      'the refused promote made no write',
      "v9's late abort saw that a newer release owns staging and changed nothing",
      "after v9's abort, v10's canary is live (the header reaches v10, the policy is enabled)",
      'the watch judged staging unhealthy, disabled the policy and rejected the approval',
      'the approval was rejected by the watch (PutApprovalResult) before any reviewer answered',
      'abort, fired by the rejection, found nothing left to do',
      'production kept serving v10; every viewer gets it once the rollback propagated',
    ])
      expect(names).toContain(expected);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(240);
    expect(lines.join('\n')).not.toMatch(/\{"/);
    // The staging's edge caches are invalidated before viewers are routed to it; the primary's after the promotion.
    expect(lines.find((l) => l.includes('✓ EnableContinuousDeployment'))).toContain(
      '(wrote grant-bucket-read, invalidate-cache, attach-policy)',
    );
    expect(lines.find((l) => l.includes('✓ PromoteStaging'))).toContain(
      '(wrote promote-staging-config, invalidate-cache)',
    );
    expect(lines.some((l) => l.includes('stage locks (QUEUED): Release: v5 (v6 waiting)'))).toBe(true);
    expect(result.ticks.some((t) => t.decision === 'unhealthy')).toBe(true);
  });
});
