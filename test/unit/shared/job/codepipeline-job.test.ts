import { PutJobFailureResultCommand, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPreconditionFailed } from '../../../../shared/aws/cloudfront.js';
import { InputError, StepError } from '../../../../shared/domain/errors.js';
import { awsCall, awsErrorOf } from '../../../../shared/aws/call.js';
import { runJob } from '../../../../shared/job/codepipeline-job.js';
import { decodeContinuation, encodeContinuation } from '../../../../shared/job/continuation.js';
import type { ActionDefinition, Memory, Outcome, PassInput } from '../../../../shared/job/driver.js';
import { DONE, type Plan, waitFor } from '../../../../shared/domain/plan.js';
import { ParamReader, parseUserParametersJson } from '../../../../shared/domain/params.js';
import { acceptReports, codepipeline, jobReports } from '../../codepipeline-mock.js';
import { awsError, captureLogs, jobEvent } from '../../fixtures.js';
import { readFileSync } from 'node:fs';

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

let logs: ReturnType<typeof captureLogs>;

beforeEach(() => {
  acceptReports();
  logs = captureLogs();
});
afterEach(() => logs.restore());

interface P {
  id: string;
  wait: number;
}
/**
 * A test action whose read is `run`: the outcome it returns becomes the plan's next step (a wait, or done with its
 * summary), so each test says what one pass ends in and the adapter does the rest.
 */
function action(
  run: (input: PassInput<P, 'propagating', Memory>) => Promise<Outcome>,
): ActionDefinition<P, Outcome, Plan<never, 'propagating'>, 'propagating', Memory> {
  return {
    name: 'test-action',
    parameterNames: ['Id', 'MaxWaitMinutes'],
    readStep: 'run the test action',
    steps: (input) => ({
      read: () => run(input),
      plan: (outcome) => ({
        changes: [],
        next: outcome.kind === 'waiting' ? waitFor('propagating', outcome.reason, outcome.inProgress) : DONE,
      }),
      write: async () => false,
      stepName: () => 'none',
    }),
    summarise: ({ state }) => {
      if (state.kind !== 'succeeded') throw new Error('summarised a wait');
      return { summary: state.summary, outputVariables: state.outputVariables ?? {} };
    },
    parseParams: (raw) => {
      const p = new ParamReader(parseUserParametersJson(raw), ['Id', 'MaxWaitMinutes']);
      return {
        id: p.distributionId('Id'),
        wait: p.optionalNumber('MaxWaitMinutes', { min: 1, max: 1440, integer: true }) ?? 60,
      };
    },
    maxWaitMinutes: (p) => p.wait,
    phases: ['propagating'],
  };
}
const ok = (): Promise<Outcome> =>
  Promise.resolve({ kind: 'succeeded', summary: 'done', outputVariables: { Result: 'fine' } });
const waiting = (): Promise<Outcome> =>
  Promise.resolve({
    kind: 'waiting',
    phase: 'propagating',
    reason: 'primary to be Deployed',
    inProgress: ['E1PRIMARY00001'],
  });

describe('runJob', () => {
  it('reports success once with the output variables', async () => {
    await runJob(action(ok), jobEvent({ Id: 'E1PRIMARY00001' }));
    expect(codepipeline).toHaveReceivedCommandExactlyOnceWith(PutJobSuccessResultCommand, {
      jobId: 'job-1',
      outputVariables: { Result: 'fine' },
    });
    expect(jobReports().length).toBe(1);
  });

  it('reports a bad parameter as InputError naming the field, without running the action', async () => {
    let ran = false;
    await runJob(
      action(async () => {
        ran = true;
        return ok();
      }),
      jobEvent({ Id: 'not-an-id' }),
    );
    expect(ran).toBe(false);
    expect(codepipeline).toHaveReceivedCommandExactlyOnceWith(PutJobFailureResultCommand, {
      jobId: 'job-1',
      failureDetails: { type: 'ConfigurationError', message: expect.stringContaining('UserParameters.Id') },
    });
    expect(jobReports().length).toBe(1);
  });

  it('reports any other error as JobFailed with the step, resource and AWS error name', async () => {
    const failing = action(async () => {
      throw new StepError(
        'attach the policy',
        await awsCall('UpdateDistribution', 'distribution E1PRIMARY00001', () =>
          Promise.reject(awsError('AccessDenied', 403, 'not allowed')),
        ).catch((e) => e),
      );
    });
    await runJob(failing, jobEvent({ Id: 'E1PRIMARY00001' }));
    const call = codepipeline.commandCalls(PutJobFailureResultCommand)[0]?.args[0].input;
    expect(call?.failureDetails?.type).toBe('JobFailed');
    expect(call?.failureDetails?.message).toBe(
      'test-action: step "attach the policy": UpdateDistribution on distribution E1PRIMARY00001 failed: AccessDenied (HTTP 403): not allowed',
    );
    expect(jobReports().length).toBe(1);
  });

  it("truncates a failure message to CodePipeline's 5000 characters", async () => {
    await runJob(
      action(() => Promise.reject(new Error('x'.repeat(9000)))),
      jobEvent({ Id: 'E1PRIMARY00001' }),
    );
    expect(
      codepipeline.commandCalls(PutJobFailureResultCommand)[0]?.args[0].input.failureDetails?.message,
    ).toHaveLength(5000);
  });

  it('hands a wait to CodePipeline as a continuation token holding the phase and the first invocation time', async () => {
    await runJob(action(waiting), jobEvent({ Id: 'E1PRIMARY00001' }), undefined, () => 1_000_000);
    const token = codepipeline.commandCalls(PutJobSuccessResultCommand)[0]?.args[0].input.continuationToken;
    expect(token).toBeDefined();
    expect(decodeContinuation(token as string)).toEqual({ phase: 'propagating', startedAt: 1_000_000 });
    expect(codepipeline.commandCalls(PutJobSuccessResultCommand)[0]?.args[0].input.outputVariables).toBeUndefined();
  });

  it('keeps the first invocation time across continuations and passes the token to the action', async () => {
    const token = encodeContinuation({ phase: 'propagating', startedAt: 1_000_000, data: { etag: 'E1' } });
    let seen: unknown;
    await runJob(
      action(async (input) => {
        seen = { phase: input.phase, memory: input.memory };
        return waiting();
      }),
      jobEvent({ Id: 'E1PRIMARY00001' }, token),
      undefined,
      () => 1_000_000 + 5 * 60_000,
    );
    expect(seen).toEqual({ phase: 'propagating', memory: { etag: 'E1' } });
    const next = codepipeline.commandCalls(PutJobSuccessResultCommand)[0]?.args[0].input.continuationToken as string;
    expect(decodeContinuation(next).startedAt).toBe(1_000_000);
  });

  it('fails naming the distribution still InProgress once MaxWaitMinutes has passed', async () => {
    const token = encodeContinuation({ phase: 'propagating', startedAt: 0 });
    await runJob(
      action(waiting),
      jobEvent({ Id: 'E1PRIMARY00001', MaxWaitMinutes: 10 }, token),
      undefined,
      () => 11 * 60_000,
    );
    expect(codepipeline).not.toHaveReceivedCommand(PutJobSuccessResultCommand);
    const message = codepipeline.commandCalls(PutJobFailureResultCommand)[0]?.args[0].input.failureDetails?.message;
    expect(message).toContain('MaxWaitMinutes=10');
    expect(message).toContain('still InProgress: E1PRIMARY00001');
  });

  it('counts a token that starts in the future from the pass that saw it, so MaxWaitMinutes still fires', async () => {
    // A forged (or skewed) startedAt far ahead would make every wait look negative and never reach the limit.
    const forged = encodeContinuation({ phase: 'propagating', startedAt: 10_000 * 60_000 });
    let at = 1_000_000;
    const clock = () => at;
    await runJob(action(waiting), jobEvent({ Id: 'E1PRIMARY00001', MaxWaitMinutes: 10 }, forged), undefined, clock);
    const next = codepipeline.commandCalls(PutJobSuccessResultCommand)[0]?.args[0].input.continuationToken as string;
    expect(decodeContinuation(next).startedAt).toBe(1_000_000);
    expect(logs.lines.some((l) => l.includes('"continuation-start-clamped"'))).toBe(true);

    codepipeline.resetHistory();
    at = 1_000_000 + 11 * 60_000;
    await runJob(action(waiting), jobEvent({ Id: 'E1PRIMARY00001', MaxWaitMinutes: 10 }, next), undefined, clock);
    expect(codepipeline).not.toHaveReceivedCommand(PutJobSuccessResultCommand);
    const message = codepipeline.commandCalls(PutJobFailureResultCommand)[0]?.args[0].input.failureDetails?.message;
    expect(message).toContain('MaxWaitMinutes=10');
  });

  it('fails a job whose continuation token it did not write', async () => {
    let ran = false;
    await runJob(
      action(async () => {
        ran = true;
        return ok();
      }),
      jobEvent({ Id: 'E1PRIMARY00001' }, 'garbage'),
    );
    expect(ran).toBe(false);
    expect(codepipeline).toHaveReceivedCommandWith(PutJobFailureResultCommand, {
      failureDetails: { type: 'JobFailed', message: expect.stringContaining('continuation token') },
    });
  });

  it('reports a failure shortly before the Lambda timeout instead of leaving the job unreported', async () => {
    const never = action(() => new Promise<Outcome>(() => undefined));
    await runJob(never, jobEvent({ Id: 'E1PRIMARY00001' }), { getRemainingTimeInMillis: () => 5_050 });
    expect(codepipeline).toHaveReceivedCommandWith(PutJobFailureResultCommand, {
      failureDetails: { type: 'JobFailed', message: expect.stringContaining('Lambda timeout') },
    });
    expect(jobReports().length).toBe(1);
  });

  it('starts no AWS call after the deadline report, even when the abandoned run resumes later', async () => {
    let wrote = false;
    let refusal: unknown;
    const slowThenWrite = action(async () => {
      await new Promise((r) => setTimeout(r, 120));
      refusal = await awsCall('UpdateDistributionWithStagingConfig', 'distribution E1PRIMARY00001', async () => {
        wrote = true;
      }).catch((e: unknown) => e);
      return ok();
    });
    await runJob(slowThenWrite, jobEvent({ Id: 'E1PRIMARY00001' }), { getRemainingTimeInMillis: () => 5_050 });
    expect(codepipeline).toHaveReceivedCommandWith(PutJobFailureResultCommand, {
      failureDetails: { type: 'JobFailed', message: expect.stringContaining('Lambda timeout') },
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(wrote).toBe(false);
    expect(String(refusal)).toContain('was not started');
    expect(jobReports()).toHaveLength(1);
  });

  it('reports a failure when the success report is refused, so the job is still reported', async () => {
    codepipeline.on(PutJobSuccessResultCommand).rejects(awsError('ValidationException', 400, 'bad output variables'));
    await runJob(action(ok), jobEvent({ Id: 'E1PRIMARY00001' }));
    expect(codepipeline).toHaveReceivedCommandWith(PutJobFailureResultCommand, {
      failureDetails: { type: 'JobFailed', message: expect.stringContaining('ValidationException') },
    });
    // On call learns the work itself was done: a re-run, not an investigation.
    const message = codepipeline.commandCalls(PutJobFailureResultCommand)[0]?.args[0].input.failureDetails?.message;
    expect(message).toMatch(/^the action finished \(done\), but reporting its success failed: report: /);
    expect(message).toContain('Re-running the action resumes from the current state and finds its work done.');
  });

  it('reports a failure saying the wait could not be handed back when the continuation is refused', async () => {
    codepipeline.on(PutJobSuccessResultCommand).rejects(awsError('ThrottlingException', 400, 'Rate exceeded'));
    await runJob(action(waiting), jobEvent({ Id: 'E1PRIMARY00001' }));
    expect(codepipeline).toHaveReceivedCommandWith(PutJobFailureResultCommand, {
      failureDetails: {
        type: 'JobFailed',
        message: expect.stringMatching(
          /^the action is waiting for CloudFront, but handing the wait back to CodePipeline failed: .*ThrottlingException/,
        ),
      },
    });
  });

  it('resolves quietly, sending nothing more, when another delivery already reported the job', async () => {
    codepipeline.on(PutJobSuccessResultCommand).rejects(awsError('InvalidJobStateException', 400, 'job is complete'));
    await expect(runJob(action(ok), jobEvent({ Id: 'E1PRIMARY00001' }))).resolves.toBeUndefined();
    expect(codepipeline).not.toHaveReceivedCommand(PutJobFailureResultCommand);
    const lines = logs.lines.map((l) => JSON.parse(l) as { event: string; level: string });
    expect(lines.find((l) => l.event === 'job-already-reported')).toMatchObject({ level: 'WARN' });
    expect(lines.some((l) => l.level === 'ERROR')).toBe(false);
  });

  it('resolves quietly when a failure report finds the job already reported', async () => {
    codepipeline.on(PutJobFailureResultCommand).rejects(awsError('InvalidJobStateException', 400, 'job is complete'));
    await expect(
      runJob(
        action(() => Promise.reject(new Error('boom'))),
        jobEvent({ Id: 'E1PRIMARY00001' }),
      ),
    ).resolves.toBeUndefined();
    expect(logs.lines.some((l) => JSON.parse(l).event === 'job-already-reported')).toBe(true);
  });

  it('rejects only when reporting itself failed', async () => {
    codepipeline.on(PutJobFailureResultCommand).rejects(awsError('AccessDeniedException', 403));
    await expect(
      runJob(
        action(() => Promise.reject(new Error('boom'))),
        jobEvent({ Id: 'E1PRIMARY00001' }),
      ),
    ).rejects.toThrow(/PutJobFailureResult/);
  });

  it('refuses invalid output variable names before reporting', async () => {
    await runJob(
      action(async () => ({ kind: 'succeeded', summary: 's', outputVariables: { 'bad key': 'v' } })),
      jobEvent({ Id: 'E1PRIMARY00001' }),
    );
    expect(codepipeline).toHaveReceivedCommandWith(PutJobFailureResultCommand, {
      failureDetails: { type: 'JobFailed', message: expect.stringContaining('bad key') },
    });
    expect(codepipeline).not.toHaveReceivedCommand(PutJobSuccessResultCommand);
  });

  it('never logs the event or the artifact credentials', async () => {
    await runJob(action(ok), jobEvent({ Id: 'E1PRIMARY00001' }));
    await runJob(
      action(() => Promise.reject(new InputError('Id', 'bad'))),
      jobEvent({ Id: 'E1PRIMARY00001' }),
    );
    const all = logs.lines.join('\n');
    expect(logs.lines.length).toBeGreaterThan(2);
    for (const secret of ['AKIASECRETKEYID', 'super-secret-access-key', 'secret-session-token', 'artifactCredentials'])
      expect(all).not.toContain(secret);
  });

  it('logs one JSON line per decision, each with the job id', async () => {
    await runJob(action(ok), jobEvent({ Id: 'E1PRIMARY00001' }));
    const events = logs.lines.map((l) => JSON.parse(l) as { event: string; jobId: string });
    expect(events.map((e) => e.event)).toEqual(['job-started', 'plan', 'job-succeeded', 'job-reported']);
    expect(events.every((e) => e.jobId === 'job-1')).toBe(true);
  });

  it('names the package version in its job-started line: which release ran the job', async () => {
    await runJob(action(ok), jobEvent({ Id: 'E1PRIMARY00001' }));
    const started = logs.lines.map((l) => JSON.parse(l) as { event: string }).find((e) => e.event === 'job-started');
    expect(started).toMatchObject({ version: PACKAGE_VERSION });
  });

  it('throws, without reporting, for an event that is not a CodePipeline job', async () => {
    await expect(runJob(action(ok), {} as never)).rejects.toThrow(/not a CodePipeline job/);
    expect(jobReports().length).toBe(0);
  });
});

describe('continuation tokens', () => {
  it('round-trip and stay within 2048 characters', () => {
    const c = { phase: 'promoted', startedAt: 123, data: { PrimaryETag: 'E2ABC' } };
    expect(decodeContinuation(encodeContinuation(c))).toEqual(c);
    expect(() => encodeContinuation({ phase: 'x', startedAt: 1, data: { big: 'y'.repeat(3000) } })).toThrow(/2048/);
  });
});

describe('awsErrorOf', () => {
  it('sees the AWS error through a step, so a 412 inside a step is still retried', async () => {
    const wrapped = new StepError(
      'attach',
      await awsCall('UpdateDistribution', 'distribution E1', () =>
        Promise.reject(awsError('PreconditionFailed', 412)),
      ).catch((e: unknown) => e),
    );
    expect(awsErrorOf(wrapped)).toEqual({ name: 'PreconditionFailed', httpStatus: 412 });
    expect(isPreconditionFailed(wrapped)).toBe(true);
  });
});
