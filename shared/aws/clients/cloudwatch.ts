import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CLIENT_SETTINGS } from './retry.js';

let client: CloudWatchClient | undefined;

/**
 * The CloudWatch client for CloudFront's metrics. CloudFront publishes them in us-east-1 whatever region the function
 * runs in, like its control plane. Only promote imports this module, so only promote's bundle carries the client.
 * `AWS_ENDPOINT_URL_CLOUDWATCH` / `AWS_ENDPOINT_URL` are honoured by the SDK itself.
 */
export function cloudWatch(): CloudWatchClient {
  client ??= new CloudWatchClient({ region: 'us-east-1', ...CLIENT_SETTINGS });
  return client;
}
