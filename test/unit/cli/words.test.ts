/**
 * cfcd says what to do in its own words: the messages the actions share with the pipeline name `cfcd <command>` and
 * flags in cfcd, UserParameters and pipeline actions in a pipeline (issue 29, item 2).
 */
import { describe, expect, it } from 'vitest';
import { CLI_WORDS } from '../../../cli/action-flags.js';
import { messageOf } from '../../../cli/exit-codes.js';
import { abortAction } from '../../../functions/abort/action.js';
import { pinnedParams } from '../../../functions/promote/action.js';
import { parsePromoteParams } from '../../../functions/promote/params.js';
import { decide } from '../../../functions/promote/plan.js';
import { factsFromData } from '../../../functions/promote/result.js';
import { PIPELINE_WORDS, StateCheckError, StepError, sayError } from '../../../shared/domain/errors.js';
import { evaluateGate } from '../../../shared/domain/gate.js';
import { decodeContinuation } from '../../../shared/job/continuation.js';
import { checkAbortState } from '../../../shared/rollback/plan.js';
import { teardownFoundNone } from '../../../shared/rollback/steps.js';
import { createLogger } from '../../../shared/log.js';
import {
  POLICY_ID,
  PRIMARY_ID,
  STAGING_ID,
  distributionConfig,
  policyState,
  primaryState,
  stagingState,
} from '../fixtures.js';

/** The error `run` throws, said in cfcd's words as cfcd prints it. */
function cfcdMessage(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    return messageOf(new StepError('check and plan', err));
  }
  throw new Error('expected an error');
}

const PIPELINE_ONLY =
  /UserParameters|PrimaryDistributionId|StagingDistributionId|ContinuousDeploymentPolicyId|CodePipeline|execution|the \w+ action|re-run the action/;

describe("cfcd's words", () => {
  it('a parameter is its flag, a command is the cfcd command line, a placeholder is left unquoted', () => {
    expect(CLI_WORDS.param('ContinuousDeploymentPolicyId', POLICY_ID)).toBe(`--policy ${POLICY_ID}`);
    expect(CLI_WORDS.param('MaxWaitMinutes')).toBe('--max-wait-minutes');
    expect(CLI_WORDS.command('abort', { PrimaryDistributionId: PRIMARY_ID, Mode: 'teardown', X: '<policy id>' })).toBe(
      `cfcd abort --primary ${PRIMARY_ID} --mode teardown --x <policy id>`,
    );
    expect(CLI_WORDS.command('abort', { Mode: 'a b' })).toBe("cfcd abort --mode 'a b'");
  });

  it('promote with no policy attached: run cfcd enable-cd with --policy, then cfcd promote again', () => {
    const noPolicy = () =>
      decide({
        primary: primaryState({ config: distributionConfig({ ContinuousDeploymentPolicyId: '' }) }),
        staging: stagingState(),
        policy: undefined,
      });
    const message = cfcdMessage(noPolicy);
    expect(message).toContain(
      `Run cfcd enable-cd --primary ${PRIMARY_ID} --staging ${STAGING_ID} --policy <the staging stack's policy id>, ` +
        'let the reviewer check staging, then run cfcd promote again.',
    );
    expect(message).not.toMatch(PIPELINE_ONLY);
  });

  it('a staging changed since the review: no "approve the newer execution", the ETag to review again with', () => {
    const changed = () =>
      decide({ primary: primaryState(), staging: stagingState(), policy: policyState(), expectedStagingEtag: 'EOLD' });
    const message = cfcdMessage(changed);
    expect(message).toContain('(--expected-staging-etag)');
    expect(message).toContain('then run cfcd promote again with --expected-staging-etag ES.');
    expect(message).not.toMatch(PIPELINE_ONLY);
    expect(message).not.toContain('Approve the newer execution');
  });

  it('a primary with another policy attached names --policy, not ContinuousDeploymentPolicyId', () => {
    const other = () =>
      decide({ primary: primaryState(), staging: stagingState(), policy: policyState(), expectedPolicyId: 'p-other' });
    expect(cfcdMessage(other)).toContain(`not --policy p-other`);
    expect(cfcdMessage(other)).not.toMatch(PIPELINE_ONLY);
  });

  it("the gate's refusal suggests the cfcd abort command, not a JSON event", () => {
    const verdict = evaluateGate(
      { minStagingRequests: undefined, maxStaging5xxErrorRate: 1, maxErrorRateIncrease: undefined, windowMinutes: 5 },
      { windowMinutes: 5, staging: { requests: 40, errorRate5xx: 12.5 }, primary: { requests: 400, errorRate5xx: 0 } },
      { primaryId: PRIMARY_ID, stagingId: STAGING_ID, policy: undefined },
    );
    if (verdict.kind !== 'refuse') throw new Error('expected a refusal');
    const message = messageOf(new StateCheckError(verdict.said));
    expect(message).toContain('above --max-staging-5xx-error-rate 1%');
    expect(message).toContain(
      `run cfcd abort --primary ${PRIMARY_ID} --mode disable; fix staging, then run cfcd promote`,
    );
    expect(message).not.toMatch(PIPELINE_ONLY);
    expect(message).not.toContain('{"');
    expect(verdict.reason).toContain(
      `the abort action with {"PrimaryDistributionId":"${PRIMARY_ID}","Mode":"disable"}`,
    );
  });

  it('a --resume token that is not one of ours is "the --resume token", not the pipeline\'s', () => {
    expect(
      sayError(
        catching(() => decodeContinuation('garbage')),
        CLI_WORDS,
      ),
    ).toBe('the --resume token is not one this action wrote (not JSON)');
    expect(
      sayError(
        catching(() => decodeContinuation('garbage')),
        PIPELINE_WORDS,
      ),
    ).toBe('the continuation token is not one this action wrote (not JSON)');
  });

  it("promote's token pinned to another release, and one without its facts, speak of --resume and the command", () => {
    const pinned = catching(() =>
      pinnedParams({ ...promoteParams, expectedStagingEtag: 'EOTHER' }, { expectedStagingEtag: 'EPINNED' }),
    );
    expect(sayError(pinned, CLI_WORDS)).toBe(
      'the --resume token is pinned to staging ETag EPINNED, but --expected-staging-etag is EOTHER: the token ' +
        'belongs to another release. Nothing was promoted; run the command again without the token.',
    );
    expect(sayError(pinned, PIPELINE_WORDS)).toMatch(/^the continuation token is pinned .* ExpectedStagingETag is /);
    const noFacts = catching(() => factsFromData({ changes: 'x', note: 'n', policyEnabled: 'maybe' }));
    expect(sayError(noFacts, CLI_WORDS)).not.toMatch(PIPELINE_ONLY);
    expect(sayError(noFacts, CLI_WORDS)).toMatch(/^the --resume token .*Run the command again, which checks/);
  });
});

describe("abort's refusals in cfcd", () => {
  it('a --policy that is not the attached one names --policy, and a --resume token is the --resume token', () => {
    const named = () =>
      checkAbortState({ primary: primaryState(), policyId: 'p-other', policy: undefined, policyFromParameters: true });
    expect(cfcdMessage(named)).toContain(
      `but --policy names p-other. Nothing was changed. Run teardown without --policy`,
    );
    expect(cfcdMessage(named)).not.toMatch(PIPELINE_ONLY);
    const remembered = () =>
      checkAbortState({
        primary: primaryState(),
        policyId: 'p-other',
        policy: undefined,
        policyFromContinuation: true,
      });
    expect(cfcdMessage(remembered)).toContain('but the --resume token names policy p-other: the token is not this job');
    expect(cfcdMessage(remembered)).toContain('Run abort again without the --resume token: it acts on the live state.');
  });
});

describe('a teardown that finds no policy attached', () => {
  const log = createLogger({ function: 'abort' });
  const pass = {
    params: abortAction.parseParams(JSON.stringify({ PrimaryDistributionId: PRIMARY_ID, Mode: 'teardown' })),
    state: { primary: primaryState(), policyId: undefined, policy: undefined } as never,
    plan: { changes: [], next: { kind: 'done' }, nothingToDo: 'no policy attached' } as never,
    written: [],
    changes: [],
    next: { kind: 'done' } as const,
    memory: {},
  };

  it('does not say "nothing to change": it says what it found and the cfcd command that finishes a detached policy', () => {
    const { summary } = abortAction.summarise(pass, log, CLI_WORDS);
    expect(summary).not.toContain('nothing to change');
    expect(summary).toBe(
      `teardown: no continuous deployment policy is attached to primary ${PRIMARY_ID}, so there was none to detach or ` +
        'delete. If an earlier teardown detached a policy and then failed, that policy still exists: finish it with ' +
        `cfcd abort --primary ${PRIMARY_ID} --mode teardown --policy <policy id> ` +
        '(cfcd cleanup lists the policies attached to no distribution)',
    );
  });

  it('in a pipeline, names the abort action and its UserParameters instead', () => {
    expect(abortAction.summarise(pass, log, PIPELINE_WORDS).summary).toBe(
      teardownFoundNone(PRIMARY_ID)(PIPELINE_WORDS),
    );
    expect(teardownFoundNone(PRIMARY_ID)(PIPELINE_WORDS)).toContain(
      `the abort action with {"PrimaryDistributionId":"${PRIMARY_ID}","Mode":"teardown",` +
        '"ContinuousDeploymentPolicyId":"<policy id>"}',
    );
  });
});

const promoteParams = parsePromoteParams(
  JSON.stringify({ PrimaryDistributionId: PRIMARY_ID, StagingDistributionId: STAGING_ID }),
);

function catching(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
