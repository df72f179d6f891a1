/** Whether an object exists in a bucket (HeadObject): enable-CD checks a release was uploaded before routing to it. */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { awsCall, awsErrorOf } from './call.js';
import { s3 } from './clients/s3.js';

/**
 * True when `key` exists in `bucket`. S3 answers 404 for a missing key only to a caller allowed `s3:ListBucket`;
 * without it a missing key is a 403, which is reported as the AccessDenied it is rather than guessed at.
 */
export async function objectExists(bucket: string, key: string): Promise<boolean> {
  try {
    await awsCall('HeadObject', `s3://${bucket}/${key}`, () =>
      s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
    );
    return true;
  } catch (err) {
    const { name, httpStatus } = awsErrorOf(err);
    if (httpStatus === 404 || name === 'NotFound' || name === 'NoSuchKey') return false;
    throw err;
  }
}
