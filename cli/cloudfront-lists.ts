/**
 * The account-wide CloudFront reads only cfcd makes (the Lambda actions always know their ids): every distribution
 * and every continuous deployment policy, page by page (`Marker` → `NextMarker` until the list is not truncated).
 * Through the same client and `awsCall` as the actions, so failures name the operation.
 */
import {
  type ContinuousDeploymentPolicyConfig,
  type DistributionSummary,
  ListContinuousDeploymentPoliciesCommand,
  ListDistributionsCommand,
} from '@aws-sdk/client-cloudfront';
import { awsCall } from '../shared/aws/call.js';
import { cloudFront } from '../shared/aws/clients/cloudfront.js';

/** A page size the API accepts; a test may lower it to walk several pages. */
const PAGE_SIZE = Number(process.env.CFCD_LIST_PAGE_SIZE) || 100;

/** Every distribution of the account (summaries: no ContinuousDeploymentPolicyId, which only GetDistribution has). */
export async function listDistributions(): Promise<DistributionSummary[]> {
  const all: DistributionSummary[] = [];
  let marker: string | undefined;
  for (let page = 1; ; page++) {
    const out = await awsCall('ListDistributions', `distributions (page ${page})`, () =>
      cloudFront().send(new ListDistributionsCommand({ MaxItems: PAGE_SIZE, ...(marker ? { Marker: marker } : {}) })),
    );
    const list = out.DistributionList;
    all.push(...(list?.Items ?? []));
    if (!list?.IsTruncated || !list.NextMarker) return all;
    marker = list.NextMarker;
  }
}

/** A continuous deployment policy as listed. */
export interface ListedPolicy {
  id: string;
  config: ContinuousDeploymentPolicyConfig;
  lastModified: Date | undefined;
}

/** Every continuous deployment policy of the account. */
export async function listPolicies(): Promise<ListedPolicy[]> {
  const all: ListedPolicy[] = [];
  let marker: string | undefined;
  for (let page = 1; ; page++) {
    const out = await awsCall('ListContinuousDeploymentPolicies', `continuous deployment policies (page ${page})`, () =>
      cloudFront().send(
        new ListContinuousDeploymentPoliciesCommand({ MaxItems: PAGE_SIZE, ...(marker ? { Marker: marker } : {}) }),
      ),
    );
    const list = out.ContinuousDeploymentPolicyList;
    for (const item of list?.Items ?? []) {
      const p = item.ContinuousDeploymentPolicy;
      if (p?.Id && p.ContinuousDeploymentPolicyConfig)
        all.push({ id: p.Id, config: p.ContinuousDeploymentPolicyConfig, lastModified: p.LastModifiedTime });
    }
    // This list has no IsTruncated: a NextMarker alone says there is more.
    if (!list?.NextMarker) return all;
    marker = list.NextMarker;
  }
}

/** Runs `fn` over `items` with at most `limit` at a time (CloudFront's control plane has a low request rate). */
export async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
