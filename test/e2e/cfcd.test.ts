/**
 * cfcd end to end: the built CLI (dist/cli/cfcd.mjs, `npm run build`) spawned against the emulator, as an operator
 * runs it — exit codes, text and --json output, what it calls (the emulator's request log) and what it leaves behind.
 */
import { cfcdWorld } from './cfcd-world.js';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateContinuousDeploymentPolicyCommand,
  CreateDistributionCommand,
  DeleteDistributionCommand,
  GetContinuousDeploymentPolicyCommand,
  GetDistributionCommand,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../local/emulator/index.js';
import type { LocalClients } from '../../local/pipeline/aws.js';
import { type LocalSite, SITE_BUCKET, siteDistributionConfig } from '../../local/pipeline/site.js';
import { CLI, runCfcd } from './cfcd-process.js';

/** cfcd runs on the operator's Node (22 or 24): here the Lambda runtime's Node 24 when installed. */

const HEADER = { 'aws-cf-cd-staging': 'true' };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let emulator: Emulator;
let clients: LocalClients;
let site: LocalSite;
let stagingId: string;
let policyId: string;

beforeEach(async () => {
  ({ emulator, clients, site, stagingId, policyId } = await cfcdWorld(3));
});
afterEach(async () => {
  await emulator.close();
});

/** Spawns the built CLI against the emulator; `started` gets the child (e.g. to send it Ctrl-C). */
function spawnCfcd(args: string[], env: Record<string, string> = {}, started?: (child: ChildProcess) => void) {
  return runCfcd(args, { env: { ...emulator.env, ...env }, ...(started ? { started } : {}) });
}

const cfcd = (...args: string[]) => spawnCfcd(args);
const json = (run: Run) => JSON.parse(run.stdout);
const operations = () => emulator.requestLog().map((r) => r.operation);
const writes = () => operations().filter((op) => !/^(Get|List|Head|Describe)/.test(op));

const enableCdFlags = () => [
  '--primary',
  site.primaryId,
  '--staging',
  stagingId,
  '--policy',
  policyId,
  '--bucket',
  SITE_BUCKET,
];

async function viewer(headers?: Record<string, string>): Promise<string> {
  const r = await emulator.viewer(site.primaryDomain, '/', headers ? { headers } : undefined);
  return r.status === 200 ? (/site (v\d+)/.exec(r.body)?.[1] ?? r.body) : `HTTP ${r.status}`;
}

async function primaryConfig() {
  return (await clients.cloudFront.send(new GetDistributionCommand({ Id: site.primaryId }))).Distribution;
}

describe('cfcd: bad usage answers one line naming the flag, exit 2, and calls nothing', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['an unknown flag', () => ['status', '--primary', site.primaryId, '--bogus'], /unknown option --bogus/],
    [
      'a malformed distribution id',
      () => ['status', '--primary', 'nope'],
      /--primary: "nope" is not a valid CloudFront distribution id/,
    ],
    ['a missing required flag', () => ['status'], /--primary is required/],
    [
      'a missing action flag',
      () => ['enable-cd', '--primary', site.primaryId, '--staging', stagingId],
      /--policy is required/,
    ],
    [
      'a value out of range',
      () => ['plan', 'promote', '--primary', site.primaryId, '--staging', stagingId, '--max-wait-minutes', '0'],
      /--max-wait-minutes must be between 1 and 1440/,
    ],
    [
      'an unknown mode',
      () => ['abort', '--primary', site.primaryId, '--mode', 'nuke', '--yes'],
      /--mode must be one of disable, detach, teardown/,
    ],
    [
      'a flag of another mode',
      () => ['abort', '--primary', site.primaryId, '--policy', policyId, '--yes'],
      /--policy is only used with --mode teardown/,
    ],
    ['a flag without its value', () => ['status', '--primary'], /--primary needs a value/],
    [
      'a malformed policy id',
      () => ['cleanup', '--delete', 'not-a-uuid'],
      /--delete: "not-a-uuid" is not a continuous deployment policy id/,
    ],
    [
      'flags of the other traffic type',
      () => ['staging-template', '--primary', site.primaryId, '--traffic', 'weight', '--header', 'aws-cf-cd-x'],
      /--header applies to --traffic header only/,
    ],
    [
      'a bad region',
      () => ['status', '--primary', site.primaryId, '--region', 'mars'],
      /--region: "mars" is not an AWS region/,
    ],
    ['an unknown command', () => ['deploy'], /unknown command "deploy"/],
    ['an unknown action to plan', () => ['plan', 'rollback'], /unknown action "rollback"/],
    [
      'a write without --yes when stdin is not a terminal',
      () => ['promote', '--primary', site.primaryId, '--staging', stagingId],
      /stdin is not a terminal.*pass --yes/,
    ],
    [
      'a resume token that is not one',
      () => ['abort', '--primary', site.primaryId, '--resume', 'garbage'],
      /--resume: /,
    ],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const run = await cfcd(...args());
    expect(run.code).toBe(2);
    const [first] = run.stderr.split('\n');
    expect(first).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
    expect(emulator.requestLog()).toEqual([]);
  });

  it('with --json, also prints the error as a JSON document', async () => {
    const run = await cfcd('status', '--primary', 'E1', '--json');
    expect(run.code).toBe(2);
    expect(json(run)).toEqual({ error: { kind: 'usage', message: expect.stringMatching(/^--primary: "E1"/) } });
  });

  it('--help on every command lists its options and exits 0; no command prints the overview and exits 2', async () => {
    for (const command of [
      ['status'],
      ['plan', 'enable-cd'],
      ['plan', 'promote'],
      ['plan', 'abort'],
      ['enable-cd'],
      ['promote'],
      ['abort'],
      ['cleanup'],
      ['staging-template'],
    ]) {
      const run = await cfcd(...command, '--help');
      expect(run.code, command.join(' ')).toBe(0);
      expect(run.stdout).toContain(`usage: cfcd ${command.join(' ')} `);
      expect(run.stdout).toMatch(/--json/);
    }
    const promoteHelp = await cfcd('promote', '-h');
    for (const flag of ['--expected-staging-etag', '--min-staging-requests', '--max-staging-5xx-error-rate', '--yes'])
      expect(promoteHelp.stdout).toContain(flag);
    const overview = await cfcd();
    expect(overview.code).toBe(2);
    expect(overview.stderr).toMatch(/^cfcd: /);
    expect(emulator.requestLog()).toEqual([]);
  });
});

describe('cfcd status', () => {
  it('before enable-cd: no policy; with --staging and --bucket, what a promotion would change and the missing grant', async () => {
    const bare = await cfcd('status', '--primary', site.primaryId);
    expect(bare.code).toBe(0);
    expect(bare.stdout).toMatch(
      new RegExp(`^Primary\\s+${site.primaryId}\\s+Deployed\\s+ETag E\\w+\\s+${site.primaryDomain}\\s+www.example.com`),
    );
    expect(bare.stdout).toMatch(/^ {2}cache\s+never invalidated$/m);
    expect(bare.stdout).toMatch(/Policy\s+none attached/);
    expect(bare.stdout).toMatch(/^ {2}serves\s+\/v1 \(hand-uploaded folder\)$/m);

    const run = await cfcd(
      'status',
      '--primary',
      site.primaryId,
      '--staging',
      stagingId,
      '--bucket',
      SITE_BUCKET,
      '--json',
    );
    expect(run.code).toBe(0);
    expect(json(run)).toEqual({
      primary: {
        id: site.primaryId,
        domainName: site.primaryDomain,
        status: 'Deployed',
        etag: expect.stringMatching(/^E/),
        staging: false,
        httpVersion: 'http2',
        aliases: ['www.example.com'],
        policyId: null,
        latestInvalidation: null,
        // The site's hand-uploaded /v1: not a release folder, so nothing of the bucket is read for it.
        serves: [{ originId: 'site-bucket', bucket: SITE_BUCKET, originPath: '/v1', commit: null, folder: null }],
      },
      policy: null,
      staging: expect.objectContaining({
        id: stagingId,
        staging: true,
        status: 'Deployed',
        howToReach: null,
        latestInvalidation: null,
      }),
      promoteChanges: ['origin site-bucket: origin path "/v1" → "/v2"'],
      bucket: { name: SITE_BUCKET, hasPolicy: true, primaryGranted: true, stagingGranted: false },
      quota: { stagingDistributions: 1, policies: 1, max: 20 },
      warnings: [`bucket ${SITE_BUCKET} does not grant staging ${stagingId} read access (enable-cd adds the grant)`],
      primaryStack: { state: 'no-stack', region: 'us-east-1' },
    });
    expect(writes()).toEqual([]);
  });

  it('after enable-cd: the policy, the staging it routes to (found by listing) and how to reach it, its invalidated cache; no warning', async () => {
    const enable = await cfcd('enable-cd', ...enableCdFlags(), '--yes', '--json');
    expect(enable.code).toBe(0);
    const invalidationId = json(enable).outputVariables.StagingInvalidationId;
    const run = await cfcd('status', '--primary', site.primaryId, '--bucket', SITE_BUCKET, '--json');
    expect(json(run)).toMatchObject({
      // enable-cd invalidates the staging only: the primary's caches keep serving production.
      primary: { policyId, latestInvalidation: null },
      policy: {
        id: policyId,
        exists: true,
        enabled: true,
        traffic: { type: 'header', header: 'aws-cf-cd-staging', value: 'true' },
      },
      staging: {
        id: stagingId,
        howToReach: `curl -H 'aws-cf-cd-staging: true' https://${site.primaryDomain}/ (requests without the header get production)`,
        latestInvalidation: {
          id: invalidationId,
          status: 'Completed',
          paths: ['/*'],
          afterLastChange: true,
          forCurrentConfig: true,
        },
      },
      bucket: { primaryGranted: true, stagingGranted: true },
      warnings: [],
    });
    expect(operations()).toContain('ListDistributions');
    const text = await cfcd('status', '--primary', site.primaryId);
    expect(text.stdout).toMatch(new RegExp(`Policy\\s+${policyId}\\s+enabled\\s+header aws-cf-cd-staging: true`));
    expect(text.stdout).toMatch(
      new RegExp(
        `Staging\\s+${stagingId}\\s+Deployed.*\\n {2}cache\\s+invalidation ${invalidationId} Completed {2}\\S+ {2}/\\*, for its current config`,
      ),
    );
    expect(text.stdout).toMatch(
      /Promote\s+would change 1 thing\(s\) on the primary:\n\s+- origin site-bucket: origin path "\/v1" → "\/v2"/,
    );
  });

  it('warns when the policy is disabled (after a promotion) and while a distribution is InProgress', async () => {
    expect((await cfcd('enable-cd', ...enableCdFlags(), '--yes')).code).toBe(0);
    expect((await cfcd('promote', '--primary', site.primaryId, '--staging', stagingId, '--yes')).code).toBe(0);
    emulator.setPropagationMs(60_000);
    // A staging stack update for the next release: the staging is InProgress again.
    const current = await clients.cloudFront.send(new GetDistributionCommand({ Id: stagingId }));
    await clients.cloudFront.send(
      new UpdateDistributionCommand({
        Id: stagingId,
        IfMatch: current.ETag,
        DistributionConfig: { ...current.Distribution!.DistributionConfig!, Comment: 'release v3' },
      }),
    );
    const run = await cfcd('status', '--primary', site.primaryId, '--json');
    expect(json(run).warnings).toEqual([
      `policy ${policyId} is disabled by a rollback (the watch or cfcd abort), or the staging changed after a ` +
        'promotion: it differs from the primary: staging gets no traffic until enable-cd re-enables it',
      `${stagingId} is InProgress: propagating (normal for a few minutes after a change); ` +
        'what it serves may still change',
    ]);
    expect(json(run).quota).toEqual({ stagingDistributions: 1, policies: 1, max: 20 });
    expect(json(run).promoteChanges).toEqual(['comment "example site" → "release v3"']);
    // enable-cd invalidated the staging for the release before this update.
    expect(json(run).staging.latestInvalidation).toMatchObject({
      status: 'Completed',
      afterLastChange: false,
      forCurrentConfig: false,
    });
  });

  it('warns that a distribution on HTTP/3 cannot use continuous deployment, and a staging that could never be promoted', async () => {
    const h3 = await clients.cloudFront.send(
      new CreateDistributionCommand({
        DistributionConfig: {
          ...siteDistributionConfig('h3', '/v1', false),
          Aliases: { Quantity: 0 },
          HttpVersion: 'http2and3',
        },
      }),
    );
    const run = await cfcd('status', '--primary', h3.Distribution?.Id as string, '--staging', stagingId, '--json');
    expect(json(run).warnings).toEqual([
      `${h3.Distribution?.Id} has HttpVersion http2and3: continuous deployment does not support HTTP/3`,
    ]);
    const priced = await clients.cloudFront.send(
      new CreateDistributionCommand({
        DistributionConfig: {
          ...siteDistributionConfig('priced', '/v1', false),
          Aliases: { Quantity: 0 },
          PriceClass: 'PriceClass_All',
        },
      }),
    );
    const other = await cfcd(
      'status',
      '--primary',
      priced.Distribution?.Id as string,
      '--staging',
      stagingId,
      '--json',
    );
    expect(json(other).warnings).toEqual([
      'staging can never be promoted: PriceClass is "PriceClass_All" on the primary, "PriceClass_100" on staging (cannot differ while continuous deployment is set up)',
    ]);
  });

  it('names a primary that does not exist: exit 1, one line', async () => {
    const run = await cfcd('status', '--primary', 'E0000000000000');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^cfcd status: failed: GetDistribution on distribution E0000000000000 failed: NoSuchDistribution/,
    );
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe("cfcd plan: the action's own planner, and never a write", () => {
  it('plans enable-cd, promote and abort from the live state without a single write', async () => {
    const before = emulator.state();
    const enable = await cfcd('plan', 'enable-cd', ...enableCdFlags(), '--json');
    expect(enable.code).toBe(0);
    expect(json(enable)).toMatchObject({
      dryRun: true,
      action: 'enable-cd',
      userParameters: {
        PrimaryDistributionId: site.primaryId,
        StagingDistributionId: stagingId,
        ContinuousDeploymentPolicyId: policyId,
        StaticResourceBucketName: SITE_BUCKET,
      },
      // Viewers are routed to the staging (attach-policy) only once its edge caches are invalidated.
      changes: [
        { kind: 'grant-bucket-read', reason: expect.stringContaining('adds statement') },
        { kind: 'invalidate-cache', reason: expect.stringMatching(new RegExp(`^staging ${stagingId} is Deployed`)) },
      ],
      held: `routing viewers to staging ${stagingId} waits for its cache invalidation (being created)`,
      next: { kind: 'wait', phase: 'invalidating', inProgress: [] },
      promoteChanges: ['origin site-bucket: origin path "/v1" → "/v2"'],
    });
    const text = await cfcd('plan', 'enable-cd', ...enableCdFlags());
    expect(text.stdout).toContain('cfcd plan enable-cd  (dry run: nothing is written)');
    expect(text.stdout).toMatch(/1\. grant-bucket-read: adds statement/);
    expect(text.stdout).toMatch(new RegExp(`2\\. invalidate-cache: staging ${stagingId} is Deployed`));
    expect(text.stdout).toMatch(new RegExp(`Held\\s+routing viewers to staging ${stagingId} waits`));

    const abort = await cfcd('plan', 'abort', '--primary', site.primaryId, '--mode', 'teardown', '--json');
    expect(json(abort)).toMatchObject({
      changes: [],
      next: { kind: 'done' },
      nothingToDo: expect.stringMatching(/no continuous deployment policy is attached/),
    });
    expect(writes()).toEqual([]);
    expect(emulator.state()).toEqual(before);

    expect((await cfcd('enable-cd', ...enableCdFlags(), '--yes')).code).toBe(0);
    emulator.clearRequestLog();
    const after = emulator.state();
    const promote = await cfcd('plan', 'promote', '--primary', site.primaryId, '--staging', stagingId, '--json');
    expect(json(promote)).toMatchObject({
      decision: { kind: 'promote' },
      changes: [{ kind: 'promote-staging-config', diff: ['origin site-bucket: origin path "/v1" → "/v2"'] }],
      next: { kind: 'wait', phase: 'promoted' },
    });
    const teardown = await cfcd('plan', 'abort', '--primary', site.primaryId, '--mode', 'teardown', '--json');
    expect(json(teardown).changes.map((c: { kind: string }) => c.kind)).toEqual(['disable-policy', 'detach-policy']);
    expect(writes()).toEqual([]);
    expect(emulator.state()).toEqual(after);
  });

  it('a refusal by a check is exit 3 with its reason', async () => {
    const run = await cfcd('plan', 'promote', '--primary', site.primaryId, '--staging', stagingId);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /^cfcd plan promote: refused: .*primary \w+ has no continuous deployment policy attached/,
    );
    const json3 = await cfcd('plan', 'promote', '--primary', site.primaryId, '--staging', stagingId, '--json');
    expect(json(json3).error.kind).toBe('refused');
  });
});

describe('cfcd enable-cd | promote | abort', () => {
  it('runs the cycle with --yes: enable-cd makes staging reachable, promote puts v2 on the primary', async () => {
    const enable = await cfcd('enable-cd', ...enableCdFlags(), '--yes', '--json');
    expect(enable.code).toBe(0);
    expect(json(enable)).toMatchObject({
      action: 'enable-cd',
      result: 'succeeded',
      summary: expect.stringMatching(
        /^applied grant-bucket-read, invalidate-cache, attach-policy; continuous deployment is live; the staging's edge caches were invalidated \(I\w+\)$/,
      ),
      writes: ['grant-bucket-read', 'invalidate-cache', 'attach-policy'],
      outputVariables: {
        StagingDistributionId: stagingId,
        ContinuousDeploymentPolicyId: policyId,
        PolicyEnabled: 'true',
        StagingInvalidationId: expect.stringMatching(/^I\w+$/),
      },
    });
    // The staging's caches are invalidated before any viewer is routed to it.
    expect(writes()).toEqual(['PutBucketPolicy', 'CreateInvalidation', 'UpdateDistribution']);
    expect(json(enable).passes).toBeGreaterThan(1);
    expect(await viewer(HEADER)).toBe('v2');
    expect(await viewer()).toBe('v1');

    emulator.clearRequestLog();
    const again = await cfcd('enable-cd', ...enableCdFlags(), '--yes');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/✓ enable-cd done in \d+s: continuous deployment already live; nothing to change/);
    expect(writes()).toEqual([]);

    const promote = await cfcd('promote', '--primary', site.primaryId, '--staging', stagingId, '--yes');
    expect(promote.code).toBe(0);
    expect(promote.stdout).toMatch(
      /✓ UpdateDistributionWithStagingConfig: primary \w+, from staging \w+ \(ETag E\w+ → E\w+\)/,
    );
    expect(promote.stdout).toMatch(/- origin site-bucket: origin path "\/v1" → "\/v2"/);
    // Once the primary is Deployed with the promoted config, its edge caches are invalidated and waited for.
    expect(promote.stdout).toMatch(
      new RegExp(`✓ invalidate-cache: distribution ${site.primaryId}, paths /\\* \\(invalidation (I\\w+)\\)`),
    );
    expect(promote.stderr).toMatch(
      new RegExp(
        `… waiting for primary ${site.primaryId} to be Deployed with the promoted config[\\s\\S]*… waiting for the edge-cache invalidation of primary ${site.primaryId}`,
      ),
    );
    const invalidationId = /invalidation (I\w+)\)/.exec(promote.stdout)?.[1];
    expect(promote.stdout).toMatch(/✓ promote done in/);
    expect(promote.stdout).toContain(`its edge caches were invalidated (${invalidationId}, Completed)`);
    expect(promote.stdout).toMatch(new RegExp(`InvalidationId\\s+${invalidationId}`));
    expect(promote.stdout).toMatch(/PolicyEnabled\s+false/);
    expect(await viewer()).toBe('v2');
    expect((await primaryConfig())?.Status).toBe('Deployed');
    const status = await cfcd('status', '--primary', site.primaryId);
    expect(status.stdout).toMatch(
      new RegExp(
        `^ {2}cache\\s+invalidation ${invalidationId} Completed {2}\\S+ {2}/\\*, for its current config$`,
        'm',
      ),
    );
  });

  it("the release guard: --expected-staging-etag that is not the staging's refuses with exit 3 and no promotion", async () => {
    expect((await cfcd('enable-cd', ...enableCdFlags(), '--yes')).code).toBe(0);
    emulator.clearRequestLog();
    const run = await cfcd(
      'promote',
      '--primary',
      site.primaryId,
      '--staging',
      stagingId,
      '--expected-staging-etag',
      'E1234567890ABC',
      '--yes',
    );
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /refused: staging \w+ has ETag \w+, but the config the reviewer approved had ETag E1234567890ABC/,
    );
    expect(operations()).not.toContain('UpdateDistributionWithStagingConfig');
  });

  it('the promotion gate: waits for staging traffic with a live progress line, then promotes and shows the figures', async () => {
    expect((await cfcd('enable-cd', ...enableCdFlags(), '--yes')).code).toBe(0);
    let sent = false;
    const run = await spawnCfcd(
      ['promote', '--primary', site.primaryId, '--staging', stagingId, '--min-staging-requests', '5', '--yes'],
      {},
      (child) =>
        child.stderr?.on('data', async (d) => {
          if (sent || !String(d).includes('waiting for')) return;
          sent = true;
          for (let i = 0; i < 5; i++) await viewer(HEADER);
        }),
    );
    expect(run.code).toBe(0);
    // The full reason once, then one short line per pass with the figures; no second line per pass.
    expect(run.stderr.match(/possible causes/g)).toHaveLength(1);
    expect(run.stderr).toContain(`waiting for staging ${stagingId} to serve at least 5 request(s) before promoting`);
    const passes = run.stderr.split('\n').filter((l) => l.startsWith('… waiting for staging'));
    expect(passes.length).toBeGreaterThan(0);
    for (const line of passes) {
      expect(line).toMatch(
        new RegExp(`^… waiting for staging ${stagingId} to serve 5 request\\(s\\): \\d+ in the last`),
      );
      expect(line.length).toBeLessThan(120);
    }
    expect(run.stdout).not.toContain('gate: wait');
    expect(run.stdout).toMatch(/✓ gate: pass \(StagingRequests=5 /);
    expect(await viewer()).toBe('v2');
  });

  it('a teardown run again finds no policy attached: it says so and names the cfcd command that finishes one', async () => {
    expect((await cfcd('enable-cd', ...enableCdFlags(), '--yes')).code).toBe(0);
    // An earlier teardown detached the policy and then failed before deleting it.
    const primary = await clients.cloudFront.send(new GetDistributionCommand({ Id: site.primaryId }));
    const config = primary.Distribution?.DistributionConfig;
    await clients.cloudFront.send(
      new UpdateDistributionCommand({
        Id: site.primaryId,
        IfMatch: primary.ETag,
        DistributionConfig: { ...config, ContinuousDeploymentPolicyId: '' } as NonNullable<typeof config>,
      }),
    );
    const run = await cfcd('abort', '--primary', site.primaryId, '--mode', 'teardown', '--yes');
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('nothing to change');
    expect(run.stdout).toContain(
      `no continuous deployment policy is attached to primary ${site.primaryId}, so there was none to detach or ` +
        'delete. If an earlier teardown detached a policy and then failed, that policy still exists: finish it with ' +
        `cfcd abort --primary ${site.primaryId} --mode teardown --policy <policy id>`,
    );
    const summary = run.stdout.split('\n')[0] ?? '';
    expect(summary).toMatch(/^✓ abort done in \d+s: teardown: /);
    expect(summary).not.toMatch(/ContinuousDeploymentPolicyId|re-run teardown/);
    const finish = await cfcd(
      'abort',
      '--primary',
      site.primaryId,
      '--mode',
      'teardown',
      '--policy',
      policyId,
      '--yes',
    );
    expect(finish.code).toBe(0);
    expect(finish.stdout).toContain('delete-policy');
  });

  it('Ctrl-C while waiting stops after the pass, leaves nothing half-made, and prints the command that carries on', async () => {
    expect((await cfcd('enable-cd', ...enableCdFlags(), '--yes')).code).toBe(0);
    emulator.setPropagationMs(600_000);
    let pressed = false;
    const run = await spawnCfcd(['abort', '--primary', site.primaryId, '--mode', 'teardown', '--yes'], {}, (child) =>
      child.stderr?.on('data', (d) => {
        if (pressed || !String(d).includes('… waiting for')) return;
        pressed = true;
        child.kill('SIGINT');
      }),
    );
    expect(run.code, run.stderr).toBe(130);
    const resume = /To carry on: cfcd (.*)$/m.exec(run.stderr)?.[1];
    expect(resume).toMatch(/^abort --primary \w+ --mode teardown --yes --resume [\w-]+$/);
    // Both writes of the pass were made; the delete waits for the primary to propagate without the policy.
    expect(run.stdout).toMatch(/✓ disable-policy/);
    expect(run.stdout).toMatch(/✓ detach-policy/);
    expect((await primaryConfig())?.DistributionConfig?.ContinuousDeploymentPolicyId).toBe('');
    const policy = await clients.cloudFront.send(new GetContinuousDeploymentPolicyCommand({ Id: policyId }));
    expect(policy.ContinuousDeploymentPolicy?.ContinuousDeploymentPolicyConfig?.Enabled).toBe(false);

    // A plain re-run would find no policy attached; the resume token remembers which one to delete.
    emulator.settle();
    const resumed = await cfcd(...(resume as string).split(' '));
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/✓ delete-policy/);
    expect(resumed.stdout).toMatch(/teardown: disable-policy, detach-policy, delete-policy/);
    await expect(
      clients.cloudFront.send(new GetContinuousDeploymentPolicyCommand({ Id: policyId })),
    ).rejects.toMatchObject({ name: 'NoSuchContinuousDeploymentPolicy' });
  });
  it('Ctrl-C during a pass lets the pass finish its writes, then stops; twice, it stops before the next AWS call', async () => {
    // Slow AWS calls keep the first pass in flight long enough to press Ctrl-C in it.
    emulator.setLatencyMs(150);
    // Once the plan is printed the first pass is running; a second press waits for the first to be acknowledged
    // (two signals sent at once may arrive as one).
    const pressDuringPass = (times: number) => (child: ChildProcess) => {
      let out = '';
      let err = '';
      let pressed = 0;
      const press = () => {
        pressed++;
        child.kill('SIGINT');
      };
      child.stdout?.on('data', (d) => {
        out += d;
        if (pressed === 0 && out.includes('A promotion of this staging would change')) press();
      });
      child.stderr?.on('data', (d) => {
        err += d;
        if (pressed === 1 && times === 2 && err.includes('Ctrl-C: stopping once')) press();
      });
    };
    const once = await spawnCfcd(['enable-cd', ...enableCdFlags(), '--yes'], {}, pressDuringPass(1));
    expect(once.code, once.stderr).toBe(130);
    expect(once.stderr).toMatch(/Ctrl-C: stopping once the AWS calls of this pass are done/);
    // The first pass grants and invalidates the staging; routing viewers to it is a later pass's, after the wait.
    expect(once.stdout).toMatch(/✓ grant-bucket-read[\s\S]*✓ invalidate-cache/);
    expect(once.stdout).not.toMatch(/✓ attach-policy/);
    expect(writes()).toEqual(['PutBucketPolicy', 'CreateInvalidation']);
    const resume = /To carry on: cfcd (enable-cd .* --resume [\w-]+)$/m.exec(once.stderr)?.[1];
    expect(resume).toBeTruthy();
    expect((await primaryConfig())?.DistributionConfig?.ContinuousDeploymentPolicyId ?? '').toBe('');

    // Carrying on attaches, without granting or invalidating again.
    emulator.setLatencyMs(0);
    emulator.clearRequestLog();
    const resumed = await cfcd(...(resume as string).split(' '));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(writes()).toEqual(['UpdateDistribution']);
    expect((await primaryConfig())?.DistributionConfig?.ContinuousDeploymentPolicyId).toBe(policyId);
    emulator.setLatencyMs(150);

    // A fresh start: a plan that routes viewers to the staging again (the grant and the staging's invalidation are
    // already there: no grant, no invalidation).
    await cfcd('abort', '--primary', site.primaryId, '--mode', 'detach', '--yes');
    emulator.settle();
    const twice = await spawnCfcd(['enable-cd', ...enableCdFlags(), '--yes'], {}, pressDuringPass(2));
    expect(twice.code, twice.stderr).toBe(130);
    expect(twice.stderr).toMatch(
      /stopped before the next AWS call \(Ctrl-C twice\); every change made so far is complete/,
    );
    // What was written is what the output reports: no write is left unreported or half-made.
    const reported = [...twice.stdout.matchAll(/✓ (\S+):/g)].map((m) => m[1]);
    const attached = (await primaryConfig())?.DistributionConfig?.ContinuousDeploymentPolicyId === policyId;
    expect(reported.includes('attach-policy')).toBe(attached);
    expect(reported.filter((kind) => kind === 'grant-bucket-read' || kind === 'invalidate-cache')).toEqual([]);
  });
});

/** A second staging with its own policy, attached nowhere (a staging stack the pipeline never ran enable-cd for). */
async function unattachedPolicy(): Promise<{ stagingId: string; policyId: string }> {
  const staging = await clients.cloudFront.send(
    new CreateDistributionCommand({ DistributionConfig: siteDistributionConfig('staging-2', '/v3', true) }),
  );
  const policy = await clients.cloudFront.send(
    new CreateContinuousDeploymentPolicyCommand({
      ContinuousDeploymentPolicyConfig: {
        StagingDistributionDnsNames: { Quantity: 1, Items: [staging.Distribution?.DomainName as string] },
        Enabled: true,
        TrafficConfig: { Type: 'SingleWeight', SingleWeightConfig: { Weight: 0.05 } },
      },
    }),
  );
  return { stagingId: staging.Distribution?.Id as string, policyId: policy.ContinuousDeploymentPolicy?.Id as string };
}

/** Tears the staging stack down the way a careless stack deletion does: the staging goes, its policy stays. */
async function deleteStaging(id: string): Promise<void> {
  const current = await clients.cloudFront.send(new GetDistributionCommand({ Id: id }));
  const disabled = await clients.cloudFront.send(
    new UpdateDistributionCommand({
      Id: id,
      IfMatch: current.ETag,
      DistributionConfig: { ...current.Distribution!.DistributionConfig!, Enabled: false },
    }),
  );
  emulator.settle();
  await clients.cloudFront.send(new DeleteDistributionCommand({ Id: id, IfMatch: disabled.ETag }));
}

describe('cfcd cleanup', () => {
  it('lists every policy (page by page) with where it is attached and whether its staging exists', async () => {
    expect((await cfcd('enable-cd', ...enableCdFlags(), '--yes')).code).toBe(0);
    const other = await unattachedPolicy();
    emulator.clearRequestLog();
    const run = await spawnCfcd(['cleanup', '--json'], { CFCD_LIST_PAGE_SIZE: '1' });
    expect(run.code).toBe(0);
    const byId = Object.fromEntries(json(run).policies.map((p: { id: string }) => [p.id, p]));
    expect(byId[policyId]).toEqual({
      id: policyId,
      enabled: true,
      traffic: { type: 'header', header: 'aws-cf-cd-staging', value: 'true' },
      stagingDomains: [expect.stringMatching(/cloudfront\.net$/)],
      staging: { id: stagingId, domainName: expect.any(String), status: 'Deployed', isStaging: true },
      attachedTo: [site.primaryId],
      orphan: null,
      liveCanary: true,
    });
    expect(byId[other.policyId]).toMatchObject({
      attachedTo: [],
      orphan: 'attached to no distribution',
      liveCanary: false,
    });
    // Two policies and three distributions, one per page.
    expect(operations().filter((op) => op === 'ListContinuousDeploymentPolicies')).toHaveLength(2);
    expect(operations().filter((op) => op === 'ListDistributions')).toHaveLength(3);
    expect(writes()).toEqual([]);

    const text = await cfcd('cleanup');
    expect(text.stdout).toMatch(/^POLICY\s+ENABLED\s+TRAFFIC\s+STAGING\s+ATTACHED TO\s+STATE/);
    expect(text.stdout).toMatch(
      new RegExp(
        `${policyId}\\s+yes\\s+header aws-cf-cd-staging: true\\s+${stagingId} \\(Deployed\\)\\s+${site.primaryId}\\s+live canary`,
      ),
    );
    expect(text.stdout).toMatch(
      new RegExp(
        `${other.policyId}\\s+yes\\s+weight 0.05\\s+${other.stagingId} \\(Deployed\\)\\s+-\\s+orphan: attached to no distribution`,
      ),
    );
    expect(text.stdout).toMatch(/2 policies, 1 orphan$/m);
  });

  it('finds a policy orphaned by a deleted staging, and --delete detaches it (fresh ETag), waits, and deletes it', async () => {
    expect((await cfcd('enable-cd', ...enableCdFlags(), '--yes')).code).toBe(0);
    expect((await cfcd('promote', '--primary', site.primaryId, '--staging', stagingId, '--yes')).code).toBe(0);
    // The promotion disabled the policy; the staging stack is then deleted, leaving the policy behind, attached.
    await deleteStaging(stagingId);
    const status = await cfcd('status', '--primary', site.primaryId, '--json');
    expect(json(status).warnings).toContainEqual(
      expect.stringMatching(new RegExp(`policy ${policyId} routes to \\S+, which is no longer a distribution`)),
    );

    const listed = await cfcd('cleanup', '--json');
    expect(json(listed).policies).toEqual([
      expect.objectContaining({
        id: policyId,
        staging: null,
        attachedTo: [site.primaryId],
        orphan: expect.stringMatching(/which is no distribution any more$/),
        liveCanary: false,
      }),
    ]);

    emulator.clearRequestLog();
    const run = await cfcd('cleanup', '--delete', policyId, '--yes');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`To delete:\\n  ${policyId}: detach from ${site.primaryId}, wait for Deployed, delete`),
    );
    expect(run.stdout).toMatch(
      new RegExp(`✓ ${policyId}: detach-policy: primary ${site.primaryId} \\(ETag E\\w+ → E\\w+\\)`),
    );
    expect(run.stdout).toMatch(new RegExp(`✓ ${policyId}: delete-policy: policy ${policyId}`));
    expect(run.stdout).toMatch(new RegExp(`✓ policy ${policyId} deleted`));
    // No attempt to update (disable) a policy whose staging is gone: detach, then delete.
    expect(writes()).toEqual(['UpdateDistribution', 'DeleteContinuousDeploymentPolicy']);
    expect((await primaryConfig())?.DistributionConfig?.ContinuousDeploymentPolicyId).toBe('');
    expect(json(await cfcd('cleanup', '--json')).policies).toEqual([]);
    // A re-run is a no-op.
    const again = await cfcd('cleanup', '--delete', policyId, '--yes');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/no such policy \(already deleted\?\)/);
  });

  it('--all-orphans deletes every orphan and leaves a live canary alone', async () => {
    expect((await cfcd('enable-cd', ...enableCdFlags(), '--yes')).code).toBe(0);
    const other = await unattachedPolicy();
    const run = await cfcd('cleanup', '--all-orphans', '--yes', '--json');
    expect(run.code).toBe(0);
    expect(json(run)).toMatchObject({ deleted: [other.policyId], missing: [] });
    expect(json(await cfcd('cleanup', '--json')).policies.map((p: { id: string }) => p.id)).toEqual([policyId]);
  });

  it('refuses a live canary (exit 3, nothing written) unless --force', async () => {
    expect((await cfcd('enable-cd', ...enableCdFlags(), '--yes')).code).toBe(0);
    emulator.clearRequestLog();
    const refused = await cfcd('cleanup', '--delete', policyId, '--yes');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(
      new RegExp(
        `refused: policy ${policyId} is attached to ${site.primaryId} and routes viewers to live staging ${stagingId}. Nothing was changed. Pass --force`,
      ),
    );
    expect(writes()).toEqual([]);
    expect(await viewer(HEADER)).toBe('v2');

    const forced = await cfcd('cleanup', '--delete', policyId, '--force', '--yes');
    expect(forced.code).toBe(0);
    expect(await viewer(HEADER)).toBe('v1');
    expect(json(await cfcd('cleanup', '--json')).policies).toEqual([]);
  });
});

describe('cfcd options every command takes', () => {
  it("--verbose writes the actions' JSON log lines on stderr, never on stdout", async () => {
    const quiet = await cfcd('plan', 'enable-cd', ...enableCdFlags());
    expect(quiet.stderr).toBe('');
    const verbose = await cfcd('plan', 'enable-cd', ...enableCdFlags(), '--verbose');
    const lines = verbose.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toContainEqual(
      expect.objectContaining({ function: 'enable-cd', trigger: 'cfcd', event: 'plan', dryRun: true }),
    );
    expect(verbose.stdout).toBe(quiet.stdout);
  });

  it('--profile picks the profile from the shared credentials file; a missing one fails in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfcd-profile-'));
    try {
      writeFileSync(join(dir, 'credentials'), '[ops]\naws_access_key_id = ops\naws_secret_access_key = ops\n');
      writeFileSync(join(dir, 'config'), '');
      const files = {
        AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
        AWS_CONFIG_FILE: join(dir, 'config'),
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
      };
      const ok = await spawnCfcd(['status', '--primary', site.primaryId, '--profile', 'ops'], files);
      expect(ok.code, ok.stderr).toBe(0);
      const missing = await spawnCfcd(['status', '--primary', site.primaryId, '--profile', 'nope'], files);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^cfcd status: failed: .*nope/);
      expect(missing.stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cfcd bundle', () => {
  it('is one executable file with a shebang, and no Lambda bundle carries any of cli/', () => {
    expect(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(CLI).mode & 0o111).not.toBe(0);
    const bundles = readdirSync('dist').filter((name) => existsSync(join('dist', name, 'meta.json')));
    expect(bundles.length).toBeGreaterThan(0);
    for (const name of bundles) {
      const meta = JSON.parse(readFileSync(join('dist', name, 'meta.json'), 'utf8')) as {
        inputs: Record<string, unknown>;
      };
      expect(
        Object.keys(meta.inputs).filter((input) => input.startsWith('cli/')),
        name,
      ).toEqual([]);
    }
  });
});
