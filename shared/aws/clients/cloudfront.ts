import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { CLIENT_SETTINGS } from './retry.js';

let client: CloudFrontClient | undefined;

/**
 * The CloudFront client. CloudFront is a global service whose control plane lives in us-east-1 whatever region the
 * function runs in. `AWS_ENDPOINT_URL_CLOUDFRONT` / `AWS_ENDPOINT_URL` are honoured by the SDK itself.
 */
export function cloudFront(): CloudFrontClient {
  client ??= new CloudFrontClient({ region: 'us-east-1', ...CLIENT_SETTINGS });
  return client;
}
