/**
 * Which SDK client package an operation in the emulator's request log belongs to: the one that exports
 * `<Operation>Command`. This is what a function actually uses, to compare with what its bundle carries.
 */
import * as cloudfront from '@aws-sdk/client-cloudfront';
import * as cloudwatch from '@aws-sdk/client-cloudwatch';
import * as codepipeline from '@aws-sdk/client-codepipeline';
import * as s3 from '@aws-sdk/client-s3';

const PACKAGES: Record<string, Record<string, unknown>> = {
  'client-cloudfront': cloudfront,
  'client-cloudwatch': cloudwatch,
  'client-codepipeline': codepipeline,
  'client-s3': s3,
};

/** The client package (e.g. `client-cloudfront`) that sends `operation`; throws for an operation none of them has. */
export function clientOf(operation: string): string {
  const found = Object.entries(PACKAGES).find(([, exports]) => `${operation}Command` in exports);
  if (!found) throw new Error(`no SDK client in package.json sends ${operation}`);
  return found[0];
}
