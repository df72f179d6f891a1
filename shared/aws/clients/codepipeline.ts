import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { CLIENT_SETTINGS } from './retry.js';

let client: CodePipelineClient | undefined;

/** The CodePipeline client, in the function's own region (the pipeline's). */
export function codePipeline(): CodePipelineClient {
  client ??= new CodePipelineClient({ ...CLIENT_SETTINGS });
  return client;
}
