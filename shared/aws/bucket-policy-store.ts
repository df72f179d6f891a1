/** Reading and writing an S3 bucket policy as a JSON string (the merge itself is domain/bucket-policy-merge.ts). */
import { GetBucketPolicyCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { s3 } from './clients/s3.js';
import { awsCall, awsErrorOf } from './call.js';

/** The bucket's policy JSON, or undefined when it has none (S3 answers 404 `NoSuchBucketPolicy`). */
export async function readBucketPolicy(bucket: string): Promise<string | undefined> {
  try {
    const out = await awsCall('GetBucketPolicy', `bucket ${bucket}`, () =>
      s3().send(new GetBucketPolicyCommand({ Bucket: bucket })),
    );
    return out.Policy;
  } catch (err) {
    // Not a modelled error class in SDK v3: recognise it by name.
    if (awsErrorOf(err).name === 'NoSuchBucketPolicy') return undefined;
    throw err;
  }
}

/** Replaces the bucket's policy. */
export async function writeBucketPolicy(bucket: string, json: string): Promise<void> {
  await awsCall('PutBucketPolicy', `bucket ${bucket}`, () =>
    s3().send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: json })),
  );
}
