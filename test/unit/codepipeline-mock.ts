/**
 * The mocked CodePipeline client every unit test of a job uses, and the one assertion they all share: an invocation
 * reports its job exactly once. Each test file imports its own instance (vitest isolates modules per file).
 */
import {
  CodePipelineClient,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'vitest';
import { namesField } from './fixtures.js';

export const codepipeline = mockClient(CodePipelineClient);

/** What a job was reported with: success (output variables or a continuation token) or failure. */
export interface JobReport {
  jobId?: string;
  continuationToken?: string;
  outputVariables?: Record<string, string>;
  failureDetails?: { type: string; message: string };
}

/** Resets the mock so that both reports are accepted. */
export function acceptReports(): void {
  codepipeline.reset();
  codepipeline.on(PutJobSuccessResultCommand).resolves({});
  codepipeline.on(PutJobFailureResultCommand).resolves({});
}

/** Every PutJobSuccessResult and PutJobFailureResult sent since the last reset, successes first. */
export function jobReports(): JobReport[] {
  return [
    ...codepipeline.commandCalls(PutJobSuccessResultCommand),
    ...codepipeline.commandCalls(PutJobFailureResultCommand),
  ].map((c) => c.args[0].input as JobReport);
}

/** The one report of the invocation; fails the test if there is not exactly one. */
export function onlyReport(): JobReport {
  const all = jobReports();
  expect(all).toHaveLength(1);
  return all[0] as JobReport;
}

/** The job's one report is a ConfigurationError whose message names `field` as `UserParameters.<field>:`. */
export function expectInputErrorReport(field: string): void {
  expect(onlyReport().failureDetails).toEqual({
    type: 'ConfigurationError',
    message: expect.stringContaining(namesField(field)),
  });
}
