/**
 * Bakes and reverts under chaos. The chaos run deploys infra/pipeline.yml without `BakeMinutes` (the bake runs on
 * some releases only, and a virtual minute apart, which the pipeline's own action would not), so the run plays what
 * `BakeMinutes` adds (its parameters chosen here, not the template's: `MaxWaitMinutes` 10): promote gets
 * `RevertRecordBucket` (the run's artifact bucket) and records what each promotion replaces, and after a promotion
 * the bake's built bundle runs as CodePipeline would run the BakeProduction action — one job per pass through the
 * same faulty Lambda service, re-invoked a (virtual) minute later with its continuation token while viewers keep
 * coming, a cleanly failed job retried as a failed action is.
 *
 * Its invariants: a revert restores exactly the recorded config (the hash of the primary's promotable config after
 * the revert equals the record's replaced config's), and no revert ever crosses a newer promotion (no write of the
 * bake is accepted once a newer promotion was made, and the bake then refuses).
 */
import { Readable } from 'node:stream';
import { CloudFrontClient, type DistributionConfig, GetDistributionConfigCommand } from '@aws-sdk/client-cloudfront';
import { configHash, parseRecord } from '../../shared/revert/record.js';
import type { SavedState } from '../emulator/index.js';
import { type XmlElement, xmlDocument } from '../emulator/xml.js';
import type { InvocationResult, Invoker, Invokers } from '../pipeline/lambda.js';

/** The bucket the run's promote records into: the pipeline's artifact bucket in AWS. */
export const ARTIFACT_BUCKET = 'chaos-pipeline-artifacts';
/** Each bake: judged for 2 virtual minutes on 20 requests, unhealthy 5 points above the primary's rate before. */
export const BAKE_MINUTES = 2;
export const BAKE_MIN_REQUESTS = 20;
export const BAKE_MAX_ERROR_RATE_INCREASE = 5;
export const BAKE_MAX_WAIT_MINUTES = 10;
/** The revert's own waits come on top of MaxWaitMinutes (functions/bake/params.ts REVERT_WAIT_MINUTES). */
export const BAKE_REVERT_WAIT_MINUTES = 120;
/** The path a release that fails in production fails on: the canary's viewers never ask for it. */
export const FAILING_PATH = '/checkout.html';
/** Viewers of the failing path, and of `/`, per virtual minute between two bake passes. */
export const BAKE_FAILING_VIEWERS = 40;
export const BAKE_VIEWERS = 40;

const XMLNS = 'http://cloudfront.amazonaws.com/doc/2020-05-31/';

/** The bake's UserParameters for a promoted release. */
export function bakeParameters(v: {
  primaryId: string;
  stagingId: string;
  policyId: string;
  record: string;
  contentBucket: string;
  invalidationPaths?: string[];
}): Record<string, unknown> {
  return {
    PrimaryDistributionId: v.primaryId,
    StagingDistributionId: v.stagingId,
    ContinuousDeploymentPolicyId: v.policyId,
    RevertRecordBucket: ARTIFACT_BUCKET,
    RevertRecord: v.record,
    BakeMinutes: BAKE_MINUTES,
    MaxErrorRateIncrease: BAKE_MAX_ERROR_RATE_INCREASE,
    MinRequests: BAKE_MIN_REQUESTS,
    MaxWaitMinutes: BAKE_MAX_WAIT_MINUTES,
    StaticResourceBucketName: v.contentBucket,
    ...(v.invalidationPaths ? { InvalidationPaths: v.invalidationPaths } : {}),
  };
}

/**
 * The invokers with promote's UserParameters as the template writes them with `BakeMinutes` set: `RevertRecordBucket`
 * the artifact bucket (the template always writes the key, empty without a bake).
 */
export function withRevertRecords(invokers: Invokers, bucket = ARTIFACT_BUCKET): Invokers {
  const promote = invokers.promote;
  if (!promote) throw new Error('no promote function to record with');
  const recording: Invoker = {
    invoke: (event: unknown, timeoutMs?: number): Promise<InvocationResult> =>
      promote.invoke(withRecordBucket(event, bucket), timeoutMs),
  };
  return { ...invokers, promote: recording };
}

function withRecordBucket(event: unknown, bucket: string): unknown {
  const e = event as {
    'CodePipeline.job'?: { data?: { actionConfiguration?: { configuration?: { UserParameters?: string } } } };
  };
  const configuration = e['CodePipeline.job']?.data?.actionConfiguration?.configuration;
  if (!configuration?.UserParameters) return event;
  const params = JSON.parse(configuration.UserParameters) as Record<string, unknown>;
  if (params.RevertRecordBucket !== '' && params.RevertRecordBucket !== undefined) return event;
  const copy = structuredClone(e);
  const target = copy['CodePipeline.job']?.data?.actionConfiguration?.configuration;
  if (target) target.UserParameters = JSON.stringify({ ...params, RevertRecordBucket: bucket });
  return copy;
}

/**
 * A `DistributionConfig` element, as the SDK reads it from a GetDistributionConfig answer: the emulator's own XML,
 * parsed by the real client (no request leaves the process), so the hash compares what the bake would read.
 */
export async function distributionConfigOf(config: XmlElement): Promise<DistributionConfig> {
  const body = xmlDocument(config, XMLNS);
  const client = new CloudFrontClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'chaos', secretAccessKey: 'chaos' },
    maxAttempts: 1,
    requestHandler: {
      handle: async () => ({
        response: { statusCode: 200, headers: { etag: 'E0' }, body: Readable.from([Buffer.from(body)]) },
      }),
    } as never,
  });
  const out = await client.send(new GetDistributionConfigCommand({ Id: 'chaos' }));
  client.destroy();
  if (!out.DistributionConfig) throw new Error('the emulator gave no DistributionConfig');
  return out.DistributionConfig;
}

/**
 * Checks a revert from the emulator's saved state (not through its API: the run must not meet the faults it injects):
 * the record at `key` parses, and the primary's promotable config hashes as the record's replaced one. Returns the
 * problems (none: the invariant held).
 */
export async function checkRevertRestored(saved: SavedState, primaryId: string, key: string): Promise<string[]> {
  const object = saved.buckets.find((b) => b.name === ARTIFACT_BUCKET)?.objects.find((o) => o.key === key);
  if (!object) return [`the revert record s3://${ARTIFACT_BUCKET}/${key} is gone`];
  const record = parseRecord(
    Buffer.from(object.body, 'base64').toString('utf8'),
    `s3://${ARTIFACT_BUCKET}/${key}`,
    primaryId,
  );
  const primary = saved.distributions.find((d) => d.id === primaryId);
  if (!primary) return [`primary ${primaryId} is gone`];
  const config = await distributionConfigOf(primary.config);
  const now = configHash(config);
  const recorded = configHash(record.replaced.config);
  if (now === recorded) return [];
  const origin = (c: DistributionConfig) => c.Origins?.Items?.map((o) => o.OriginPath).join(', ');
  return [
    `primary ${primaryId}'s promotable config (hash ${now.slice(0, 12)}, origin path ${origin(config)}) is not ` +
      `the recorded one (hash ${recorded.slice(0, 12)}, origin path ${origin(record.replaced.config)})`,
  ];
}
