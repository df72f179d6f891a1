/**
 * The documented storyline (`npm start`) end to end against the emulator and the built bundles, and the local
 * CodePipeline's approvals against the emulator's CodePipeline API. The storyline runs once, through npm start's own
 * command line: every assertion on it reads that one run (its exit code, its output and its timeline).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  CodePipelineClient,
  GetPipelineStateCommand,
  ListActionExecutionsCommand,
  PutApprovalResultCommand,
} from '@aws-sdk/client-codepipeline';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../local/emulator/index.js';
import { runExperiment, type ExperimentResult } from '../../local/pipeline/experiment.js';
import { LocalPipeline } from '../../local/pipeline/local-codepipeline.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = `${ROOT}node_modules/.bin/tsx`;

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const noLambdas = { lambdas: {}, results: { jobResults: () => [] }, continuationDelayMs: 1 };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  lines: string[];
}

let storyline: Promise<Run> | undefined;
/**
 * The one run of `npm start -- --propagation-ms 40` (local/pipeline/cli.ts, without --build: the bundles the suite
 * built), made by the first test that asks for it and shared by the others.
 */
function npmStart(): Promise<Run> {
  storyline ??= new Promise((resolve) => {
    execFile(
      TSX,
      ['local/pipeline/cli.ts', '--propagation-ms', '40'],
      { cwd: ROOT, timeout: 80_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({
          code: err ? Number((err as { code?: number }).code ?? 1) : 0,
          stdout,
          stderr,
          lines: stdout.trimEnd().split('\n'),
        }),
    );
  });
  return storyline;
}

/**
 * What `npm start` may write on stderr: nothing, but for two true notices. Where the Lambda runtime's Node is not
 * installed (local/pipeline/runtime-node.ts), one line says the functions run on this Node instead. And `npm start`
 * runs on the machine's Node: on one older than 22 the SDK's clients warn, once per process, that its next releases
 * need Node 22.
 */
const RUNTIME_NODE_NOTICE = /^notice: local Lambda functions run on .*\n/m;
const SDK_NODE_WARNING =
  /^\(node:\d+\) Warning: NodeVersionSupportWarning: [\s\S]*?to show where the warning was created\)\n/m;
const unexpectedStderr = (stderr: string) =>
  (Number(process.versions.node.split('.')[0]) < 22 ? stderr.replace(SDK_NODE_WARNING, '') : stderr).replace(
    RUNTIME_NODE_NOTICE,
    '',
  );

/** An expectation's line in the timeline: `[  1.86s]   ✓ name: detail` (✗ when it failed). */
const EXPECTATION = /^\[[\s\d.]+s\] {3}([✓✗]) /;
const held = (run: Run, name: string) =>
  run.lines.some((l) => EXPECTATION.exec(l)?.[1] === '✓' && l.includes(`✓ ${name}: `));
/** The timeline's own lines: everything but the emulator's banner and the `cfcd status` block it quotes at the end. */
function timelineLines(run: Run): string[] {
  const status = run.lines.findIndex((l) => l.includes('where production stands now'));
  expect(status, 'the timeline introduces cfcd status').toBeGreaterThan(100);
  return [...run.lines.slice(1, status + 1), ...run.lines.slice(-1)];
}

describe('npm start, every cycle (one run, shared)', () => {
  it('exits 0 with every expectation held and ends with cfcd status of production', { timeout: 90_000 }, async () => {
    const { code, lines, stderr } = await npmStart();
    expect(unexpectedStderr(stderr)).toBe('');
    expect(code).toBe(0);
    expect(lines.at(-1)).toMatch(/\] (\d+) of \1 expectations held$/);
    const status = lines.findIndex((l) => /cfcd status --primary E[A-Z0-9]+ --bucket site-assets:$/.test(l));
    expect(status).toBeGreaterThan(0);
    expect(lines[status + 1]).toMatch(/\]\s+Primary\s+E[A-Z0-9]+ /);
    // The last promotion invalidated production's edge caches.
    expect(lines[status + 2]).toMatch(/\]\s+cache\s+invalidation I[A-Z0-9]+ Completed {2}\S+ {2}\/\*, /);
    expect(lines.slice(status).some((l) => /Bucket\s+site-assets\s+grants primary yes/.test(l))).toBe(true);
    // Cycle 13's promotion disabled the header policy; production serves v17's release folder.
    expect(
      lines.slice(status).some((l) => /\]\s+Policy\s+\S+\s+disabled\s+header aws-cf-cd-staging: true/.test(l)),
    ).toBe(true);
    expect(lines[status + 3]).toMatch(/\]\s+serves release [0-9a-f]{7} \(releases\/[0-9a-f]{7}…\/\)\s+complete$/);
  });

  it('runs header, weighted and content-only cycles, every scenario, shipped releases, ramps, then bakes, each holding', {
    timeout: 90_000,
  }, async () => {
    const run = await npmStart();
    expect(run.lines.filter((l) => EXPECTATION.exec(l)?.[1] === '✗')).toEqual([]);
    const expected = [
      'with the header, requests reach v2',
      'without the header, requests get v1',
      'after promotion everyone gets v2',
      'about 15% of fresh viewers reach v3',
      'a viewer routed to staging stays there (sticky cookie)',
      'after promotion everyone gets v3',
      'enable-CD re-enabled the policy that CloudFormation skipped',
      'after promotion everyone gets v4',
      'statements other owners put in the bucket policy are intact',
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
      // Cycles 8 and 9: the pipeline ships the site.
      "the Ship stage built and uploaded v12's site",
      "the staging serves /releases/<v12's commit> (OriginPath from the pipeline, no template edit)",
      'Cache-Control by rule: the page revalidates, the fingerprinted script is immutable',
      'after promotion everyone gets v12',
      "the Ship stage built and uploaded v13's site",
      'after promotion everyone gets v13',
      'promote pruned the release nothing serves any more, kept the live one (KeepReleases 1)',
      'the hand-uploaded folders outside releases/ are untouched',
      // Cycles 10 and 11: the ramp, on virtual minutes.
      "v14's ramp succeeded at 15 % with every step judged, before anyone was asked to approve",
      'the ramp set 1 % → 5 % → 15 %, only up, each move in the pass that judged the step below healthy',
      "each step was judged on its own minutes of viewers' requests, none with a 5xx",
      "each minute's fresh viewers reached v14 about as often as the step's weight, 1 % → 5 % → 15 %",
      "the approval's instructions show the ramp's figures and its routing by weight, not enable-CD's header",
      'after promotion everyone gets v14',
      "viewers routed to v15's staging got errors, at 1 % only",
      'the ramp judged step 1 (1 %) unhealthy and failed naming it, before any approval was asked',
      "the weight never left 1 %: enable-CD switched the policy on by header, not at cycle 10's 15 %; " +
        'the ramp set 1 %, then only the rollback',
      'production kept serving v14: every viewer gets it',
      // Cycles 12 and 13: the bake, on virtual minutes.
      'with the header, requests reach v16',
      'promote recorded what production served (v14) in the artifact bucket, then promoted v16',
      "promote's prune kept the folder production would go back to",
      'before the promotion viewers got v14 and no 5xx; once v16 was promoted, v16 and /about.html failing',
      'the bake judged production unhealthy: its 5xx rate against its own rate before the promotion',
      'the revert put the recorded config onto the staging, promoted it back, then invalidated; no policy write',
      'the execution failed at BakeProduction: production is back on v14, with the figures',
      'the primary serves what it served before the promotion again, and the staging carries it too',
      "after the revert's invalidation every viewer gets v14, and /about.html answers no 5xx",
      'the policy stays disabled: the bake never writes it',
      "v17's pipeline succeeded (Source → Ship → Release with BakeProduction)",
      'the bake judged 3 minutes of production healthy and wrote nothing',
      'after promotion everyone gets v17',
    ];
    expect(expected.filter((name) => !held(run, name))).toEqual([]);
  });

  it('reads line by line: short lines, no JSON, the writes of each action, the stage locks, the watch ticks', {
    timeout: 90_000,
  }, async () => {
    const run = await npmStart();
    const { lines } = run;
    for (const line of timelineLines(run)) expect(line.length, line).toBeLessThanOrEqual(240);
    expect(run.stdout).not.toMatch(/\{"/);
    // The staging's edge caches are invalidated before viewers are routed to it; the primary's after the promotion.
    expect(lines.find((l) => l.includes('✓ EnableContinuousDeployment'))).toContain(
      '(wrote grant-bucket-read, invalidate-cache, attach-policy)',
    );
    expect(lines.find((l) => l.includes('✓ PromoteStaging'))).toContain(
      '(wrote promote-staging-config, invalidate-cache)',
    );
    // The bake's revert: its three writes, named by change, on the failed action's line; the healthy bake's none.
    expect(lines.find((l) => l.includes('✗ BakeProduction'))).toContain(
      'failed (wrote stage-recorded-config, promote-recorded-config, invalidate-cache): JobFailed: bake: production is back on commit ',
    );
    expect(lines.some((l) => /v17 │ {5}✓ BakeProduction \(no write\): BakeResult=healthy/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes('stage locks (QUEUED): Release: v5 (v6 waiting)'))).toBe(true);
    // The timeline shows every tick whose decision changed: a tick judged the canary unhealthy.
    expect(lines.some((l) => /⏱ watch tick \d+ \(\d+ ms\): unhealthy — /.test(l))).toBe(true);
    // The propagation waits were handed to CodePipeline, not slept through.
    expect(lines.some((l) => l.includes('re-invokes with the continuation token'))).toBe(true);
  });
});

function failed(result: ExperimentResult): string[] {
  return result.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
}

describe('npm start -- --reject', () => {
  it('rolls traffic back to the primary when the approval is rejected', async () => {
    emulator = await startEmulator({ propagationMs: 0, seed: 7 });
    const result = await runExperiment({
      emulator,
      continuationDelayMs: 5,
      approval: 'reject',
      write: () => undefined,
    });
    expect(failed(result)).toEqual([]);
    expect(result.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'abort succeeded',
        'after the rejection, requests with the header get v1 again',
        'the policy is disabled after abort',
      ]),
    );
    // Nothing was promoted.
    expect(result.events.some((e) => e.type === 'invocation' && e.functionName === 'promote')).toBe(false);
  });
});

describe('npm start -- --interactive: the approval text', () => {
  it("shows the emulator's address for staging, and its curl reaches staging locally as shown", {
    timeout: 60_000,
  }, async () => {
    emulator = await startEmulator({ propagationMs: 0, seed: 7 });
    const local = emulator;
    const reached: { text: string; withHeader: string; without: string }[] = [];
    const result = await runExperiment({
      emulator,
      continuationDelayMs: 5,
      approval: async (text) => {
        const curl = /curl -H '([^:]+): ([^']+)' (\S+)/.exec(text);
        if (curl && !reached.length) {
          const [, header, value, url] = curl as unknown as [string, string, string, string];
          const page = async (headers: Record<string, string>) => {
            const res = await fetch(url, { headers });
            return res.status === 200 ? (/site (v\d+)/.exec(await res.text())?.[1] ?? 'other') : `HTTP ${res.status}`;
          };
          reached.push({ text, withHeader: await page({ [header]: value }), without: await page({}) });
        }
        return true;
      },
      write: () => undefined,
    });
    expect(failed(result)).toEqual([]);
    const [first] = reached;
    expect(first?.text).toContain(`curl -H 'aws-cf-cd-staging: true' ${local.url}/_viewer/`);
    expect(first?.text).not.toMatch(/https:\/\/\w+\.cloudfront\.net/);
    expect(first?.withHeader).toBe('v2');
    expect(first?.without).toBe('v1');
  });
});

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
