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
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'vitest';
import { acceptReports, codepipeline, onlyReport, type JobReport } from '../../codepipeline-mock.js';
import { POLICY_ID, policyOutput, primaryOutput } from '../../fixtures.js';

export const cf = mockClient(CloudFrontClient);
export { codepipeline, onlyReport, type JobReport };

/** Resets both mocks to the world with an enabled policy attached to a Deployed primary. */
export function policyLive(): void {
  cf.reset();
  acceptReports();
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
