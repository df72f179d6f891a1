/**
 * Finding the staging distribution a policy routes to when the watch is not told its id: the policy names it only by
 * its `*.cloudfront.net` domain, so ListDistributions (all pages) is searched for it. A distribution's domain never
 * changes, so a warm container remembers what it found; the caller reads the distribution anyway, and a remembered
 * id whose domain no longer matches (the distribution was deleted) is forgotten and searched for again.
 */
import { ListDistributionsCommand } from '@aws-sdk/client-cloudfront';
import { awsCall, awsErrorOf } from '../../shared/aws/call.js';
import { cloudFront } from '../../shared/aws/clients/cloudfront.js';
import { readDistribution } from '../../shared/aws/cloudfront.js';
import type { DistributionState } from '../../shared/domain/resources.js';

const idByDomain = new Map<string, string>();

async function listStagingIds(domains: readonly string[]): Promise<string | undefined> {
  let marker: string | undefined;
  for (;;) {
    const from = marker;
    const out = await awsCall('ListDistributions', 'the distributions of the account', () =>
      cloudFront().send(new ListDistributionsCommand({ MaxItems: 100, ...(from ? { Marker: from } : {}) })),
    );
    const list = out.DistributionList;
    for (const d of list?.Items ?? []) {
      if (d.Id && d.DomainName && d.Staging) idByDomain.set(d.DomainName, d.Id);
    }
    const found = domains.map((domain) => idByDomain.get(domain)).find((id) => id !== undefined);
    if (found || !list?.IsTruncated || !list.NextMarker) return found;
    marker = list.NextMarker;
  }
}

/** The staging distribution with one of `domains`, read; undefined when the account has none. */
export async function findStaging(domains: readonly string[]): Promise<DistributionState | undefined> {
  const remembered = domains.map((domain) => idByDomain.get(domain)).find((id) => id !== undefined);
  if (remembered) {
    const staging = await readDistribution(remembered).catch((err: unknown) => {
      if (awsErrorOf(err).name === 'NoSuchDistribution') return undefined;
      throw err;
    });
    if (staging && domains.includes(staging.domainName)) return staging;
    for (const domain of domains) idByDomain.delete(domain);
  }
  const id = await listStagingIds(domains);
  return id ? readDistribution(id) : undefined;
}
