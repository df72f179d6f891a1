/**
 * What the reviewer is shown, on the built enable-cd bundle against the emulator (issue 27, finding 4): a commit
 * chooses the staging's origins, so enable-cd refuses an origin outside AllowedOriginDomains before anything is written
 * (no viewer is routed to it), and the change summary the approval shows cannot be padded into hiding the change that
 * sends viewers elsewhere.
 */
import { type DistributionConfig, GetDistributionCommand, UpdateDistributionCommand } from '@aws-sdk/client-cloudfront';
import { afterEach, describe, expect, it } from 'vitest';
import { SITE_BUCKET } from '../../local/pipeline/site.js';
import { PROMOTE_CHANGES_MAX_CHARS } from '../../shared/domain/reviewer.js';
import { type Harness, operations, startHarness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const BUCKET_DOMAIN = `${SITE_BUCKET}.s3.us-east-1.amazonaws.com`;
const customOrigin = (id: string, domain: string) => ({
  Id: id,
  DomainName: domain,
  OriginPath: '',
  CustomHeaders: { Quantity: 0 },
  CustomOriginConfig: { HTTPPort: 80, HTTPSPort: 443, OriginProtocolPolicy: 'https-only' as const },
});

/** Deploys the documented staging stack, then changes its distribution as a commit's staging template could. */
async function stagingChangedBy(harness: Harness, change: (config: DistributionConfig) => DistributionConfig) {
  const outputs = await harness.deployStaging();
  const cf = harness.clients.cloudFront;
  const staging = await cf.send(new GetDistributionCommand({ Id: outputs.StagingDistributionId }));
  await cf.send(
    new UpdateDistributionCommand({
      Id: outputs.StagingDistributionId,
      IfMatch: staging.ETag,
      DistributionConfig: change(staging.Distribution!.DistributionConfig!),
    }),
  );
  harness.emulator.settle();
  return outputs;
}

/** The config with `origins` added after its own. */
const withOrigins = (config: DistributionConfig, origins: NonNullable<DistributionConfig['Origins']>['Items']) => {
  const items = [...(config.Origins?.Items ?? []), ...(origins ?? [])];
  return { ...config, Origins: { Quantity: items.length, Items: items } };
};

/** The emulator's AWS state but the jobs' reports: what a write by the job would change. */
const awsState = (harness: Harness) => JSON.stringify({ ...harness.emulator.state(), jobs: undefined });

/** The write operations the emulator served since `from` (the job's own report excepted). */
const writesSince = (harness: Harness, from: number) =>
  operations(harness.emulator)
    .slice(from)
    .filter((op) => /^(Update|Put|Delete|Create|Tag|Untag)/.test(op) && !op.startsWith('PutJob'));

describe('end to end: what the reviewer sees is complete', () => {
  it('refuses a staging origin outside the allow-list (default: the primary’s origins) with no write, naming it', async () => {
    h = await startHarness({ propagationMs: 0 });
    const outputs = await stagingChangedBy(h, (config) =>
      withOrigins(config, [customOrigin('collector', 'collector.evil.example')]),
    );
    const state = awsState(h);
    const before = operations(h.emulator).length;

    const result = await h.job('enable-cd', h.enableCdParams(outputs));

    expect(result).toMatchObject({ ok: false });
    const message = result.ok ? '' : result.message;
    expect(message).toContain(
      `staging ${outputs.StagingDistributionId} has origins whose domain is not in AllowedOriginDomains, ` +
        `which is not set, so only the primary's own origins are allowed (${BUCKET_DOMAIN}): ` +
        '"collector.evil.example" (origin collector)',
    );
    expect(message).toContain('no viewer was routed to staging');
    expect(writesSince(h, before)).toEqual([]);
    expect(awsState(h)).toBe(state);
    expect(await h.attachedPolicy()).toBe('');
  });

  it('shows the change of where requests go before 12 decoy origins, and where the full list is', async () => {
    h = await startHarness({ propagationMs: 0 });
    const decoys = Array.from({ length: 12 }, (_, i) => ({
      ...customOrigin(`decoy-${String(i + 1).padStart(2, '0')}`, BUCKET_DOMAIN),
      OriginPath: `/decoy-${i + 1}`,
    }));
    const outputs = await stagingChangedBy(h, (config) => ({
      // Allowed by the default list (the primary's bucket), but another path: say, where users' uploads land.
      ...withOrigins(config, [...decoys, { ...customOrigin('zz-takeover', BUCKET_DOMAIN), OriginPath: '/uploads' }]),
      DefaultCacheBehavior: { ...config.DefaultCacheBehavior!, TargetOriginId: 'zz-takeover' },
    }));

    const result = await h.job('enable-cd', h.enableCdParams(outputs));

    expect(result).toMatchObject({ ok: true });
    const variables = result.ok ? result.variables : {};
    const summary = variables.PromoteChanges ?? '';
    expect(summary.length).toBeLessThanOrEqual(PROMOTE_CHANGES_MAX_CHARS);
    expect(
      summary.startsWith(
        `default cache behavior: target origin "site-bucket" → "zz-takeover" (zz-takeover is ${BUCKET_DOMAIN}/uploads); `,
      ),
    ).toBe(true);
    expect(summary).toMatch(
      /\(15 changes in all, \d+ shown; the full list: enable-cd's output variable PromoteChangesAll \(its action details\), or cfcd status\)$/,
    );
    const all = (variables.PromoteChangesAll ?? '').split('; ');
    expect(all).toHaveLength(15);
    expect(all.filter((line) => /^origin decoy-\d\d added/.test(line))).toHaveLength(12);
    expect(all).toContain(`origin zz-takeover added (${BUCKET_DOMAIN}/uploads)`);
  });
});
