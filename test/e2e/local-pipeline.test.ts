import {
  CodePipelineClient,
  GetPipelineStateCommand,
  ListActionExecutionsCommand,
  PutApprovalResultCommand,
} from '@aws-sdk/client-codepipeline';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../local/emulator/index.js';
import { runExperiment } from '../../local/pipeline/experiment.js';
import { LocalPipeline } from '../../local/pipeline/local-codepipeline.js';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const noLambdas = { lambdas: {}, results: { jobResults: () => [] }, continuationDelayMs: 1 };

describe('the local CodePipeline against the emulator', () => {
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
