/**
 * S3 endpoints as origins name them. One reading for every caller: `cfcd status` (which release a distribution
 * serves, from which bucket), the revert record (which origins read from S3) and `cfcd revert` (the bucket whose
 * content it checks). Pure.
 */

/** An S3 endpoint: `<bucket>.s3.amazonaws.com`, `….s3.<region>…`, `….s3.dualstack.…`, `….s3-website-…`. */
const S3_DOMAIN = /^(.+?)\.s3([.-][a-z0-9-]+)*\.amazonaws\.com(\.cn)?$/;

/** The bucket an S3 origin domain names; undefined when the domain is not an S3 endpoint. */
export function bucketOfS3Domain(domain: string | undefined): string | undefined {
  return S3_DOMAIN.exec(domain ?? '')?.[1];
}
