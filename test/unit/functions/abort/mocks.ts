/**
 * The mocked world both abort test files start from: a primary with an enabled header policy attached, both
 * Deployed. Each test changes one thing.
 */
import {
  CloudFrontClient,
  DeleteContinuousDeploymentPolicyCommand,
  GetContinuousDeploymentPolicyCommand,
  GetDistributionCommand,
  UpdateContinuousDeploymentPolicyCommand,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import { CodePipelineClient, PutJobFailureResultCommand, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'vitest';
import { POLICY_ID, policyOutput, primaryOutput } from '../../fixtures.js';

export const cf = mockClient(CloudFrontClient);
export const codepipeline = mockClient(CodePipelineClient);

/** Resets both mocks to the world with an enabled policy attached to a Deployed primary. */
export function policyLive(): void {
  cf.reset();
  codepipeline.reset();
  codepipeline.on(PutJobSuccessResultCommand).resolves({});
  codepipeline.on(PutJobFailureResultCommand).resolves({});
  cf.on(GetDistributionCommand).resolves(primaryOutput(POLICY_ID));
  cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput());
  cf.on(UpdateDistributionCommand).resolves({ ETag: 'ETAG-PRIMARY-NEW' });
  cf.on(UpdateContinuousDeploymentPolicyCommand).resolves({ ETag: 'ETAG-POLICY-NEW' });
  cf.on(DeleteContinuousDeploymentPolicyCommand).resolves({});
}

export function expectNoWrites(): void {
  expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
  expect(cf).not.toHaveReceivedCommand(UpdateContinuousDeploymentPolicyCommand);
  expect(cf).not.toHaveReceivedCommand(DeleteContinuousDeploymentPolicyCommand);
}

export interface JobReport {
  continuationToken?: string;
  outputVariables?: Record<string, string>;
  failureDetails?: { type: string; message: string };
}

/** The one PutJobSuccessResult or PutJobFailureResult of the invocation (fails if there is not exactly one). */
export function onlyReport(): JobReport {
  const all = [...codepipeline.commandCalls(PutJobSuccessResultCommand), ...codepipeline.commandCalls(PutJobFailureResultCommand)].map((c) => c.args[0].input);
  expect(all).toHaveLength(1);
  return all[0] as JobReport;
}
