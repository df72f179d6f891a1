import { describe, expect, it } from 'vitest';
import {
  type DistributionReport,
  type StatusReport,
  describeRampStep,
  formatStatus,
  inProgressWarning,
  policyDisabledWarning,
  quotaWarnings,
} from '../../../cli/primary-report.js';
import type { ServedOrigin } from '../../../cli/served-releases.js';
import type { RevertTarget } from '../../../shared/revert/target.js';
import { POLICY_ID, PRIMARY_DOMAIN, PRIMARY_ID, STAGING_DOMAIN, STAGING_ID } from '../fixtures.js';

const distribution = (o: Partial<DistributionReport> = {}): DistributionReport => ({
  id: PRIMARY_ID,
  domainName: PRIMARY_DOMAIN,
  status: 'Deployed',
  etag: 'EP',
  staging: false,
  httpVersion: 'http2',
  latestInvalidation: null,
  serves: [],
  ...o,
});

/** A primary with nothing attached: what `cfcd status` reads before enable-cd. */
const bare = (o: Partial<StatusReport> = {}): StatusReport => ({
  primary: { ...distribution(), aliases: ['www.example.com'], policyId: null },
  policy: null,
  staging: null,
  promoteChanges: null,
  bucket: null,
  warnings: [],
  ...o,
});

describe('formatStatus', () => {
  it('shows a bare primary: never invalidated, no policy', () => {
    expect(formatStatus(bare())).toBe(
      [
        `Primary  ${PRIMARY_ID}  Deployed  ETag EP  ${PRIMARY_DOMAIN}  www.example.com`,
        '  cache  never invalidated',
        'Policy   none attached',
      ].join('\n'),
    );
  });

  it('shows the policy, the staging and how to reach it, what a promotion would change, the bucket and warnings', () => {
    const text = formatStatus(
      bare({
        primary: {
          ...distribution({
            latestInvalidation: {
              id: 'I1',
              status: 'Completed',
              createTime: '2026-11-01T00:10:00.000Z',
              paths: ['/*'],
              afterLastChange: false,
              forCurrentConfig: false,
            },
          }),
          aliases: [],
          policyId: POLICY_ID,
        },
        policy: {
          id: POLICY_ID,
          exists: true,
          etag: 'EC',
          enabled: true,
          traffic: { type: 'weight', weight: 0.05, stickiness: { idleTTL: 300, maximumTTL: 600 } },
          stagingDomains: [STAGING_DOMAIN],
        },
        staging: {
          ...distribution({
            id: STAGING_ID,
            domainName: STAGING_DOMAIN,
            status: 'InProgress',
            etag: 'ES',
            staging: true,
            latestInvalidation: {
              id: 'I2',
              status: 'InProgress',
              createTime: '2026-11-01T00:20:00.000Z',
              paths: ['/*'],
              afterLastChange: true,
              forCurrentConfig: true,
            },
          }),
          howToReach: 'one request in 20, sticky',
        },
        promoteChanges: ['origin s3-origin: origin path "/v1" → "/v2"'],
        bucket: { name: 'site-assets', hasPolicy: true, primaryGranted: true, stagingGranted: false },
        warnings: ['the staging is InProgress'],
      }),
    );
    expect(text.split('\n')).toEqual([
      `Primary  ${PRIMARY_ID}  Deployed  ETag EP  ${PRIMARY_DOMAIN}`,
      '  cache  invalidation I1 Completed  2026-11-01T00:10:00.000Z  /*, before its last change',
      `Policy   ${POLICY_ID}  enabled  weight 0.05 (5% of viewers), sticky sessions (idle 300s, max 600s)`,
      "  ramp   weight 5 % now; a ramp (RampSteps) moves it up its ladder, each step judged first: the pipeline's " +
        'RampCanary action shows the step and its figures',
      `Staging  ${STAGING_ID}  InProgress  ETag ES  ${STAGING_DOMAIN}`,
      '  cache  invalidation I2 InProgress  2026-11-01T00:20:00.000Z  /*, for its current config',
      '  reach  one request in 20, sticky',
      'Promote  would change 1 thing(s) on the primary:',
      '           - origin s3-origin: origin path "/v1" → "/v2"',
      'Bucket   site-assets  grants primary yes, staging no',
      '! the staging is InProgress',
    ]);
  });

  it('says when the policy is missing, the staging cannot be found, or a promotion would change nothing', () => {
    expect(formatStatus(bare({ policy: { id: POLICY_ID, exists: false } }))).toContain(
      `Policy   ${POLICY_ID}  missing`,
    );
    const header = {
      id: POLICY_ID,
      exists: true as const,
      etag: 'EC',
      enabled: false,
      traffic: { type: 'header' as const, header: 'aws-cf-cd-staging', value: 'true' },
      stagingDomains: [STAGING_DOMAIN],
    };
    const lost = formatStatus(bare({ policy: header }));
    expect(lost).toContain(`Policy   ${POLICY_ID}  disabled  header aws-cf-cd-staging: true`);
    expect(lost).toContain('Staging  not found');
    expect(formatStatus(bare({ policy: { ...header, enabled: true }, promoteChanges: [] }))).toContain(
      'Promote  would change nothing: the primary already carries the staging config',
    );
  });
});

describe('the last screen of npm start, calm and true (issue 29, item 4)', () => {
  const policy = (enabled: boolean) => ({
    id: POLICY_ID,
    exists: true as const,
    etag: 'EC',
    enabled,
    traffic: { type: 'header' as const, header: 'aws-cf-cd-staging', value: 'true' },
    stagingDomains: [STAGING_DOMAIN],
  });
  const differs = ['DefaultCacheBehavior.TargetOriginId: /v10 → /v11'];

  it('says "Promote would change" only while a canary is live; otherwise how the staging differs', () => {
    const rolledBack = formatStatus(bare({ policy: policy(false), promoteChanges: differs }));
    expect(rolledBack).not.toContain('Promote');
    expect(rolledBack).toContain('Staging  differs from the primary by 1 thing(s):');
    const live = formatStatus(bare({ policy: policy(true), promoteChanges: differs }));
    expect(live).toContain('Promote  would change 1 thing(s) on the primary:');
  });

  it('says nobody reaches staging while the policy is disabled, and how to once it is enabled', () => {
    const staging = { ...distribution({ id: STAGING_ID }), howToReach: 'send the header aws-cf-cd-staging: true' };
    expect(formatStatus(bare({ policy: policy(false), staging }))).toContain(
      '  reach  nobody while the policy is disabled; once enabled: send the header aws-cf-cd-staging: true',
    );
    expect(formatStatus(bare({ policy: policy(true), staging }))).toContain(
      '  reach  send the header aws-cf-cd-staging: true',
    );
  });

  it('tells a policy disabled by a rollback from one disabled by a promotion, when it can', () => {
    expect(policyDisabledWarning(POLICY_ID, differs)).toMatch(/disabled by a rollback \(the watch or cfcd abort\)/);
    expect(policyDisabledWarning(POLICY_ID, [])).toMatch(/disabled by the last promotion/);
    expect(policyDisabledWarning(POLICY_ID, null)).toMatch(/disabled by a promotion or a rollback/);
    expect(policyDisabledWarning(POLICY_ID, differs)).not.toMatch(/every promotion disables it/);
  });

  it('says InProgress is propagating, normal after a change', () => {
    expect(inProgressWarning(PRIMARY_ID, 'InProgress')).toBe(
      `${PRIMARY_ID} is InProgress: propagating (normal for a few minutes after a change); ` +
        'what it serves may still change',
    );
  });
});

describe('quota headroom (issue 29, item 6)', () => {
  it('shows the counts against the quota of 20, and warns only near it', () => {
    const quota = { stagingDistributions: 3, policies: 19, max: 20 };
    expect(formatStatus(bare({ quota }))).toContain('Quota    staging distributions 3/20, policies 19/20');
    expect(quotaWarnings(quota)).toEqual([
      expect.stringMatching(/^19 of 20 continuous deployment policies in the account: near CloudFront's quota/),
    ]);
    expect(quotaWarnings({ stagingDistributions: 20, policies: 1, max: 20 })).toEqual([
      expect.stringMatching(/^20 of 20 staging distributions in the account: at CloudFront's quota/),
    ]);
  });
});

describe('the release each distribution serves (issue 24)', () => {
  const commit = (c: string) => `${c}${'0'.repeat(40 - c.length)}`;
  const release = (c: string, folder: ServedOrigin['folder'] = null): ServedOrigin => ({
    originId: 's3-origin',
    bucket: 'site-assets',
    originPath: `/releases/${commit(c)}`,
    commit: commit(c),
    folder,
  });
  const staging = (serves: ServedOrigin[]) => ({
    ...distribution({ id: STAGING_ID, domainName: STAGING_DOMAIN, staging: true, serves }),
    howToReach: null,
  });

  it("shows each distribution's release by its short commit under its cache line, and the folder when checked", () => {
    const text = formatStatus(
      bare({
        primary: { ...distribution({ serves: [release('3f2a9c1', 'complete')] }), aliases: [], policyId: null },
        staging: staging([release('77aa001', 'unfinished')]),
      }),
    );
    expect(text.split('\n')).toEqual([
      `Primary  ${PRIMARY_ID}  Deployed  ETag EP  ${PRIMARY_DOMAIN}`,
      '  cache  never invalidated',
      '  serves release 3f2a9c1 (releases/3f2a9c1…/)  complete',
      'Policy   none attached',
      `Staging  ${STAGING_ID}  Deployed  ETag EP  ${STAGING_DOMAIN}`,
      '  cache  never invalidated',
      '  serves release 77aa001 (releases/77aa001…/)  unfinished',
    ]);
  });

  it('shows another origin path as a hand-uploaded folder, and names the origin when there are several', () => {
    const serves = [
      { ...release('3f2a9c1'), originId: 'site' },
      { ...release('3f2a9c1'), originId: 'legacy', originPath: '/v3', commit: null },
    ];
    const text = formatStatus(bare({ primary: { ...distribution({ serves }), aliases: [], policyId: null } }));
    expect(text).toContain('  serves site: release 3f2a9c1 (releases/3f2a9c1…/)\n');
    expect(text).toContain('  serves legacy: /v3 (hand-uploaded folder)\n');
  });

  it('has no serves line for a distribution without an S3 origin', () => {
    expect(formatStatus(bare())).not.toContain('serves');
  });
});

describe("the ramp's step (issue 25)", () => {
  const weighted = (weight: number, enabled: boolean) => ({
    id: POLICY_ID,
    exists: true as const,
    etag: 'EC',
    enabled,
    traffic: { type: 'weight' as const, weight },
    stagingDomains: [STAGING_DOMAIN],
  });

  it('shows the weight a live weighted policy routes now, and where the step and its figures are', () => {
    const text = formatStatus(bare({ policy: weighted(0.01, true) }));
    expect(text.split('\n')[3]).toBe(
      "  ramp   weight 1 % now; a ramp (RampSteps) moves it up its ladder, each step judged first: the pipeline's " +
        'RampCanary action shows the step and its figures',
    );
  });

  it('says a disabled policy keeps its last weight, and what enable-cd does with it, with a ramp and without', () => {
    expect(describeRampStep(weighted(0.15, false))).toBe(
      'weight 15 % kept while disabled: with RampSteps, enable-cd puts the policy back on header routing ' +
        '(RampHeader) and the ramp starts from its first step; without, enable-cd switches it back on at 15 %',
    );
  });

  it('reads weights as percent without float noise', () => {
    expect(describeRampStep(weighted(0.001, true))).toMatch(/^weight 0\.1 % now;/);
    expect(describeRampStep(weighted(0.075, true))).toMatch(/^weight 7\.5 % now;/);
  });

  it('has no ramp line for header routing, a missing policy or none', () => {
    const header = { ...weighted(0, true), traffic: { type: 'header' as const, header: 'h', value: 'v' } };
    expect(describeRampStep(header)).toBeUndefined();
    expect(describeRampStep({ id: POLICY_ID, exists: false })).toBeUndefined();
    expect(describeRampStep(null)).toBeUndefined();
    expect(formatStatus(bare({ policy: header }))).not.toContain('ramp');
  });
});

describe('formatStatus: the revert target (--record-bucket)', () => {
  const recordAt = `s3://artifacts/cfcd-revert/${PRIMARY_ID}/2026-12-07T10-00-00-000Z-EP1.json`;
  const target = (o: Partial<RevertTarget>): RevertTarget => ({
    recordAt,
    key: recordAt.slice('s3://artifacts/'.length),
    recordedAt: '2026-12-07T10:00:01.000Z',
    release: 'commit 3f2a9c1d',
    standing: 'promoted',
    underWay: false,
    changes: ['origin site-bucket: origin path "/releases/b" → "/releases/a"'],
    summary: 'the summary',
    brief: 'the brief',
    ...o,
  });
  const revertLines = (revert: StatusReport['revert']) => {
    const lines = formatStatus(bare({ revert })).split('\n');
    return lines.slice(lines.findIndex((l) => l.startsWith('Revert')));
  };
  const record = `  record ${recordAt} (recorded 2026-12-07T10:00:01.000Z)`;

  it('says a revert is possible, with the record and what it would change on the primary', () => {
    expect(revertLines({ recordBucket: 'artifacts', target: target({}), summary: 'the summary' })).toEqual([
      'Revert   possible: the brief',
      record,
      '           - origin site-bucket: origin path "/releases/b" → "/releases/a"',
    ]);
  });

  it('says a revert is under way, or done, without the changes', () => {
    const underWay = target({ underWay: true });
    expect(revertLines({ recordBucket: 'artifacts', target: underWay, summary: '' })).toEqual([
      'Revert   under way: the brief',
      record,
    ]);
    const done = target({ standing: 'reverted', underWay: true, changes: [] });
    expect(revertLines({ recordBucket: 'artifacts', target: done, summary: '' })).toEqual([
      'Revert   done: the brief',
      record,
    ]);
  });

  it('says no revert is safe when production changed since the newest record', () => {
    const changed = target({ standing: 'changed', changes: [] });
    expect(revertLines({ recordBucket: 'artifacts', target: changed, summary: '' })[0]).toBe(
      'Revert   none safe: the brief',
    );
  });

  it('says there is no record, and has no revert line without --record-bucket', () => {
    const none = { recordBucket: 'artifacts', target: null, summary: 'no revert record in s3://artifacts/…' };
    expect(revertLines(none)).toEqual(['Revert   no revert record in s3://artifacts/…']);
    expect(formatStatus(bare())).not.toContain('Revert');
  });

  it('colours the state: green when possible or done, yellow when under way or none safe', () => {
    const paint = (colour: string, text: string) => `<${colour}>${text}</>`;
    const line = (o: Partial<RevertTarget>) =>
      formatStatus(bare({ revert: { recordBucket: 'a', target: target(o), summary: '' } }), paint)
        .split('\n')
        .find((l) => l.includes('Revert'));
    expect(line({})).toContain('<green>possible</>');
    expect(line({ standing: 'reverted' })).toContain('<green>done</>');
    expect(line({ underWay: true })).toContain('<yellow>under way</>');
    expect(line({ standing: 'changed' })).toContain('<yellow>none safe</>');
  });
});
