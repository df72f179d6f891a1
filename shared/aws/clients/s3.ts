import { S3Client } from '@aws-sdk/client-s3';
import { CLIENT_SETTINGS } from './retry.js';

let client: S3Client | undefined;

/**
 * The S3 client. The origin bucket may live in any region, so region redirects are followed. A custom endpoint
 * (`AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`, e.g. the local emulator) cannot resolve virtual-hosted bucket
 * names, so path-style addressing is used there.
 */
export function s3(): S3Client {
  const customEndpoint = Boolean(process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL);
  client ??= new S3Client({ followRegionRedirects: true, forcePathStyle: customEndpoint, ...CLIENT_SETTINGS });
  return client;
}
