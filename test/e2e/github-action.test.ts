/**
 * The GitHub Action (action.yml → action/run.mjs → the built cfcd) run as GitHub runs it: the step's inputs as
 * INPUT_* variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY pointing at files, the job's credentials in the
 * environment (here the emulator's fake ones and AWS_ENDPOINT_URL). Needs `npm run build` (dist/cli/cfcd.mjs).
 */
import { cfcdWorld } from './cfcd-world.js';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetDistributionCommand } from '@aws-sdk/client-cloudfront';
import { parse } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../local/emulator/index.js';
import type { LocalClients } from '../../local/pipeline/aws.js';
import { type LocalSite, SITE_BUCKET } from '../../local/pipeline/site.js';
import { COMMANDS, INPUTS, OUTPUTS, commandLine, readInputs, splitArgs } from '../../action/cfcd-action.mjs';
import { lambdaNode } from '../../local/pipeline/runtime-node.js';

/** cfcd runs on the operator's Node (22 or 24): here the Lambda runtime's Node 24 when installed. */
const CFCD_NODE = lambdaNode().path;

const ENTRY = join(process.cwd(), 'action/run.mjs');
const CLI = join(process.cwd(), 'dist/cli/cfcd.mjs');

interface ActionYml {
  inputs: Record<string, { required?: boolean }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: { id?: string; uses?: string; run?: string; env?: Record<string, string> }[] };
}
const actionYml = parse(readFileSync(join(process.cwd(), 'action.yml'), 'utf8')) as ActionYml;

interface Step {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** Reads $GITHUB_OUTPUT: `name<<delimiter` blocks (what the entry point writes) and `name=value` lines. */
function readOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc as unknown as [string, string, string];
      const end = lines.indexOf(delimiter, i + 1);
      outputs[name] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (line.includes('=')) outputs[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
  }
  return outputs;
}

let emulator: Emulator;
let clients: LocalClients;
let site: LocalSite;
let stagingId: string;
let policyId: string;
let dir: string;

/** Runs the entry point as the composite step does: `node action/run.mjs` with the step's environment. */
function runStep(
  inputs: Record<string, string>,
  env: Record<string, string> = {},
  started?: (child: ChildProcess) => void,
): Promise<Step> {
  const out = join(dir, `output-${Math.random().toString(36).slice(2)}`);
  const summary = join(dir, `summary-${Math.random().toString(36).slice(2)}`);
  writeFileSync(out, '');
  writeFileSync(summary, '');
  return new Promise((resolve, reject) => {
    const child = spawn(CFCD_NODE, [ENTRY], {
      env: {
        PATH: process.env.PATH,
        ...emulator.env,
        NO_COLOR: '1',
        GITHUB_ACTIONS: 'true',
        GITHUB_OUTPUT: out,
        GITHUB_STEP_SUMMARY: summary,
        ...inputs,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout,
        stderr,
        outputs: readOutputs(readFileSync(out, 'utf8')),
        summary: readFileSync(summary, 'utf8'),
      }),
    );
    started?.(child);
  });
}

const operations = () => emulator.requestLog().map((r) => r.operation);
const writes = () => operations().filter((op) => !/^(Get|List|Head|Describe)/.test(op));

const enableCdInputs = () => ({
  INPUT_COMMAND: 'enable-cd',
  INPUT_PRIMARY: site.primaryId,
  INPUT_STAGING: stagingId,
  INPUT_POLICY: policyId,
  INPUT_BUCKET: SITE_BUCKET,
});

describe('action.yml and the entry point agree', () => {
  it('declares exactly the inputs the entry point reads, each passed to it as INPUT_<NAME>', () => {
    expect(Object.keys(actionYml.inputs).sort()).toEqual([...INPUTS].sort());
    expect(actionYml.inputs.command?.required).toBe(true);
    const step = actionYml.runs.steps.find((s) => s.id === 'cfcd');
    expect(step?.run).toMatch(/action\/run\.mjs/);
    const passed = Object.entries(step?.env ?? {}).filter(([key]) => key.startsWith('INPUT_'));
    expect(Object.fromEntries(passed)).toEqual(
      Object.fromEntries(
        INPUTS.map((name) => [`INPUT_${name.replaceAll('-', '_').toUpperCase()}`, `\${{ inputs.${name} }}`]),
      ),
    );
    // ...which reads them in that form and in GitHub's own (hyphens kept) alike.
    expect(readInputs({ INPUT_EXPECTED_STAGING_ETAG: 'E1', 'INPUT_MAX-WAIT-MINUTES': ' 5 ', INPUT_ARGS: '' })).toEqual({
      'expected-staging-etag': 'E1',
      'max-wait-minutes': '5',
    });
  });

  it('declares every output the entry point may set, each read from the cfcd step', () => {
    expect(Object.keys(actionYml.outputs).sort()).toEqual([...OUTPUTS].sort());
    for (const [name, { value }] of Object.entries(actionYml.outputs))
      expect(value).toBe(`\${{ steps.cfcd.outputs.${name} }}`);
  });

  it('is a composite action whose actions are pinned to a commit', () => {
    expect(actionYml.runs.using).toBe('composite');
    for (const { uses } of actionYml.runs.steps.filter((s) => s.uses))
      expect(uses).toMatch(/^[\w-]+\/[\w-]+@[0-9a-f]{40}$/);
  });

  it("maps each command's inputs to flags cfcd has", () => {
    for (const [command, inputs] of Object.entries(COMMANDS)) {
      const help = spawnSync(CFCD_NODE, [CLI, command, '--help'], { encoding: 'utf8' });
      expect(help.status, help.stderr).toBe(0);
      for (const input of [...inputs, 'region']) expect(help.stdout, `${command} --${input}`).toContain(`--${input} `);
      if (command !== 'status') expect(help.stdout).toContain('--yes');
    }
  });

  it("docs/github-action.md's workflow gives each step of this action inputs its command takes", () => {
    const docs = readFileSync(join(process.cwd(), 'docs/github-action.md'), 'utf8');
    const blocks = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    const workflow = parse(blocks.find((b) => b.includes('jobs:')) ?? '') as {
      jobs: Record<string, { steps: { uses?: string; with?: Record<string, string> }[] }>;
    };
    const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
    const ours = steps.filter((step) => step.uses?.startsWith('OWNER/cloudfront-cd-pipeline@'));
    expect(ours.map((step) => step.with?.command)).toEqual(['enable-cd', 'promote', 'abort']);
    for (const step of ours) {
      const { command, ...inputs } = step.with ?? {};
      const takes = COMMANDS[command as keyof typeof COMMANDS];
      for (const input of Object.keys(inputs)) expect(takes, `${command} takes ${input}`).toContain(input);
    }
    for (const { uses } of steps.filter((step) => step.uses && !step.uses.startsWith('OWNER/')))
      expect(uses).toMatch(/@[0-9a-f]{40}$/);
  });

  it('builds the command line: the inputs as flags, args split like a shell, always --json, --yes when it writes', () => {
    expect(
      commandLine({
        command: 'promote',
        primary: 'E1',
        region: 'eu-west-1',
        args: `--invalidation-paths '["/a b"]' -v`,
      }),
    ).toEqual([
      'promote',
      '--primary',
      'E1',
      '--region',
      'eu-west-1',
      '--invalidation-paths',
      '["/a b"]',
      '-v',
      '--yes',
      '--json',
    ]);
    expect(commandLine({ command: 'status', primary: 'E1' })).toEqual(['status', '--primary', 'E1', '--json']);
    expect(splitArgs(`a "b \\"c\\"" 'd''e' ""`)).toEqual(['a', 'b "c"', 'de', '']);
    expect(() => splitArgs(`--x 'open`)).toThrow(/input "args": unterminated ' quote/);
    expect(() => commandLine({})).toThrow(/input "command" is required/);
    expect(() => commandLine({ command: 'status', primary: 'E1', policy: 'p' })).toThrow(
      /input "policy" does not apply to command "status", which takes primary, staging, bucket/,
    );
  });
});

describe('the action against the emulator', () => {
  beforeEach(async () => {
    ({ emulator, clients, site, stagingId, policyId } = await cfcdWorld(28));
    dir = mkdtempSync(join(tmpdir(), 'cfcd-action-'));
  });
  afterEach(async () => {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('enable-cd, then promote pinned to the StagingETag output: outputs, summaries, exit 0', async () => {
    const enable = await runStep(enableCdInputs(), { 'INPUT_MAX-WAIT-MINUTES': '5' });
    expect(enable.code, enable.stderr).toBe(0);
    const staging = await clients.cloudFront.send(new GetDistributionCommand({ Id: stagingId }));
    expect(enable.outputs).toMatchObject({
      'exit-code': '0',
      StagingETag: staging.ETag,
      StagingDistributionId: stagingId,
      ContinuousDeploymentPolicyId: policyId,
      PolicyEnabled: 'true',
      StagingHeader: 'aws-cf-cd-staging: true',
      StagingInvalidationId: expect.stringMatching(/^I[A-Z0-9]+$/),
    });
    expect(JSON.parse(enable.outputs.result ?? '')).toMatchObject({ action: 'enable-cd', result: 'succeeded' });
    for (const name of Object.keys(enable.outputs)) expect(OUTPUTS, `output ${name} is declared`).toContain(name);
    expect(enable.summary).toContain('### ✅ cfcd enable-cd: done (exit 0)');
    expect(enable.summary).toContain(`cfcd enable-cd --primary ${site.primaryId} --staging ${stagingId}`);
    expect(enable.summary).toContain(`| StagingETag | ${staging.ETag} |`);
    expect(enable.summary).toMatch(/writes: grant-bucket-read, invalidate-cache, attach-policy/);
    expect(writes()).toEqual(expect.arrayContaining(['PutBucketPolicy', 'CreateInvalidation', 'UpdateDistribution']));

    const promote = await runStep({
      INPUT_COMMAND: 'promote',
      INPUT_PRIMARY: site.primaryId,
      INPUT_STAGING: stagingId,
      INPUT_EXPECTED_STAGING_ETAG: enable.outputs.StagingETag ?? '',
    });
    expect(promote.code, promote.stderr).toBe(0);
    expect(promote.outputs).toMatchObject({
      'exit-code': '0',
      PromotedFrom: stagingId,
      PolicyEnabled: 'false',
      InvalidationId: expect.stringMatching(/^I[A-Z0-9]+$/),
    });
    for (const name of Object.keys(promote.outputs)) expect(OUTPUTS, `output ${name} is declared`).toContain(name);
    expect(promote.summary).toContain('### ✅ cfcd promote: done (exit 0)');
    expect(promote.summary).toMatch(/serves the config of staging/);
  });

  it('a promote refused by the release guard exits 3, with the message and what 3 means in the summary', async () => {
    const run = await runStep({
      INPUT_COMMAND: 'promote',
      INPUT_PRIMARY: site.primaryId,
      INPUT_STAGING: stagingId,
      INPUT_EXPECTED_STAGING_ETAG: 'E2ABCDEFGHIJKL',
    });
    expect(run.code).toBe(3);
    expect(run.outputs).toMatchObject({ 'exit-code': '3', 'error-kind': 'refused' });
    expect(run.outputs['error-message']).toMatch(
      /ETag E2ABCDEFGHIJKL \(--expected-staging-etag\).*Nothing was promoted/,
    );
    expect(run.summary).toContain('### ❌ cfcd promote: refused (exit 3)');
    expect(run.summary).toMatch(
      /> staging \S+ has ETag \S+, but the config the reviewer approved had ETag E2ABCDEFGHIJKL/,
    );
    expect(run.summary).toContain('Exit 3: refused by a check on the live state: nothing was written.');
    expect(run.stdout).toMatch(/^::error title=cfcd promote \(exit 3\)::staging /m);
    expect(writes()).toEqual([]);
  });

  it('an unknown command or an input the command does not take exits 2 before any AWS call', async () => {
    const unknown = await runStep({ INPUT_COMMAND: 'deploy', INPUT_PRIMARY: site.primaryId });
    expect(unknown.code).toBe(2);
    expect(unknown.outputs).toMatchObject({ 'exit-code': '2', 'error-kind': 'usage' });
    expect(unknown.summary).toContain('input "command": "deploy" is not a command this action runs');
    expect(unknown.summary).toContain('cfcd was not run');
    expect(unknown.summary).toContain('Exit 2: bad usage');

    const misplaced = await runStep({ INPUT_COMMAND: 'status', INPUT_PRIMARY: site.primaryId, INPUT_POLICY: policyId });
    expect(misplaced.code).toBe(2);
    expect(misplaced.summary).toContain('input "policy" does not apply to command "status"');

    const badId = await runStep({ INPUT_COMMAND: 'status', INPUT_PRIMARY: 'nope' });
    expect(badId.code).toBe(2);
    expect(badId.summary).toContain('--primary: "nope" is not a valid CloudFront distribution id');
    expect(operations()).toEqual([]);
  });

  it('status writes a summary of where the primary stands and sets its figures as outputs', async () => {
    const run = await runStep({ INPUT_COMMAND: 'status', INPUT_PRIMARY: site.primaryId, INPUT_STAGING: stagingId });
    expect(run.code, run.stderr).toBe(0);
    const primary = await clients.cloudFront.send(new GetDistributionCommand({ Id: site.primaryId }));
    expect(run.outputs).toMatchObject({
      'exit-code': '0',
      PrimaryETag: primary.ETag,
      PrimaryStatus: 'Deployed',
      StagingDistributionId: stagingId,
      ContinuousDeploymentPolicyId: 'none',
      PromoteChanges: 'origin site-bucket: origin path "/v1" → "/v2"',
    });
    expect(run.summary).toContain('### ✅ cfcd status: done (exit 0)');
    expect(run.summary).toContain(`| Primary | ${site.primaryId} · Deployed · ETag ${primary.ETag}`);
    expect(run.summary).toContain('| Policy | none attached |');
    expect(run.summary).toContain('| Promote would change | origin site-bucket: origin path "/v1" → "/v2" |');
    expect(writes()).toEqual([]);
  });

  it('abort after enable-cd: Mode and Changes outputs', async () => {
    expect((await runStep(enableCdInputs())).code).toBe(0);
    const run = await runStep({ INPUT_COMMAND: 'abort', INPUT_PRIMARY: site.primaryId, INPUT_MODE: 'detach' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.outputs).toMatchObject({ Mode: 'detach', ContinuousDeploymentPolicyId: policyId });
    expect(run.summary).toContain('### ✅ cfcd abort: done (exit 0)');
  });

  it('a cancelled job (SIGINT to the step) stops cfcd with 130, and args --resume carries on', async () => {
    emulator.setPropagationMs(60_000);
    const stopped = await runStep(enableCdInputs(), {}, (child) => {
      child.stderr?.on('data', (d) => {
        if (/waiting for primary/.test(String(d))) child.kill('SIGINT');
      });
    });
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.outputs).toMatchObject({ 'exit-code': '130', 'error-kind': 'interrupted' });
    expect(stopped.summary).toContain('### ❌ cfcd enable-cd: interrupted (exit 130)');
    expect(stopped.summary).toContain('Exit 130: stopped (the job was cancelled)');
    const resume = /With this action: the same inputs and `args: --resume (\S+)`/.exec(stopped.summary)?.[1];
    expect(resume, stopped.summary).toBeDefined();

    emulator.settle();
    emulator.setPropagationMs(30);
    const carried = await runStep({ ...enableCdInputs(), INPUT_ARGS: `--resume ${resume}` });
    expect(carried.code, carried.stderr).toBe(0);
    expect(carried.outputs).toMatchObject({ PolicyEnabled: 'true', StagingDistributionId: stagingId });
  });

  it('an unbuilt cfcd fails the step (exit 1) saying how to build it', async () => {
    const run = await runStep(
      { INPUT_COMMAND: 'status', INPUT_PRIMARY: site.primaryId },
      { CFCD_PATH: join(dir, 'none.mjs') },
    );
    expect(run.code).toBe(1);
    expect(run.summary).toMatch(/cfcd is not built at .*none\.mjs: run "npm ci && npm run build"/);
    expect(operations()).toEqual([]);
  });
});
