/**
 * `cfcd primary-template` and status's stack check against the emulator: a primary brought under a stack by importing
 * it from the template cfcd wrote is in step with it; a promotion then changes the primary behind CloudFormation's
 * back, which status says (with what to do), and the template written again carries the promoted release.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, CreateChangeSetCommand, ExecuteChangeSetCommand } from '@aws-sdk/client-cloudformation';
import { CreateContinuousDeploymentPolicyCommand, CreateDistributionCommand } from '@aws-sdk/client-cloudfront';
import { parse } from 'yaml';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../local/emulator/index.js';
import { type LocalClients, localClients } from '../../local/pipeline/aws.js';
import { lambdaNode } from '../../local/pipeline/runtime-node.js';
import { SchemaValidator } from '../infra/schema-validator.js';
import { distributionConfig } from '../unit/fixtures.js';

const CFCD_NODE = lambdaNode().path;
const CLI = join(process.cwd(), 'dist/cli/cfcd.mjs');

type Cfn = Record<string, unknown>;

let emulator: Emulator;
let clients: LocalClients;
let cloudFormation: CloudFormationClient;
let primaryId: string;
let stagingId: string;
let policyId: string;

beforeEach(async () => {
  emulator = await startEmulator({ propagationMs: 30, seed: 29 });
  clients = localClients(emulator.url);
  cloudFormation = new CloudFormationClient({
    endpoint: emulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const primary = await clients.cloudFront.send(
    new CreateDistributionCommand({ DistributionConfig: distributionConfig() }),
  );
  primaryId = primary.Distribution?.Id as string;
  const staging = await clients.cloudFront.send(
    new CreateDistributionCommand({
      DistributionConfig: distributionConfig(
        { CallerReference: 'staging-ref', Aliases: { Quantity: 0 }, Staging: true },
        '/v2',
      ),
    }),
  );
  stagingId = staging.Distribution?.Id as string;
  const policy = await clients.cloudFront.send(
    new CreateContinuousDeploymentPolicyCommand({
      ContinuousDeploymentPolicyConfig: {
        Enabled: true,
        StagingDistributionDnsNames: { Quantity: 1, Items: [staging.Distribution?.DomainName as string] },
        TrafficConfig: { Type: 'SingleHeader', SingleHeaderConfig: { Header: 'aws-cf-cd-staging', Value: 'true' } },
      },
    }),
  );
  policyId = policy.ContinuousDeploymentPolicy?.Id as string;
  emulator.settle();
});
afterEach(async () => {
  await emulator.close();
});

const scratch = mkdtempSync(join(tmpdir(), 'cfcd-primary-template-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function cfcd(...args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(CFCD_NODE, [CLI, ...args], {
      env: { ...process.env, ...emulator.env, NO_COLOR: '1' },
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
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Brings the primary under a new stack the documented way: a change set of type IMPORT, executed. */
async function importPrimary(stackName: string, templateBody: string, logicalId = 'Primary') {
  await cloudFormation.send(
    new CreateChangeSetCommand({
      StackName: stackName,
      ChangeSetName: 'import-primary',
      ChangeSetType: 'IMPORT',
      TemplateBody: templateBody,
      ResourcesToImport: [
        {
          ResourceType: 'AWS::CloudFront::Distribution',
          LogicalResourceId: logicalId,
          ResourceIdentifier: { Id: primaryId },
        },
      ],
    }),
  );
  await cloudFormation.send(new ExecuteChangeSetCommand({ StackName: stackName, ChangeSetName: 'import-primary' }));
}

async function primaryStack() {
  const run = await cfcd('status', '--primary', primaryId, '--json');
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout).primaryStack as Cfn;
}

const cfnLint = spawnSync('cfn-lint', ['--version']).status === 0;

describe('cfcd primary-template and the primary stack in status', () => {
  it('says when a promotion left the primary ahead of its stack, and writes the template that catches it up', async () => {
    expect(await primaryStack()).toEqual({ state: 'no-stack', region: 'us-east-1' });
    const ids = ['--primary', primaryId, '--staging', stagingId];
    expect((await cfcd('enable-cd', ...ids, '--policy', policyId, '--yes')).code).toBe(0);

    const written = await cfcd('primary-template', '--primary', primaryId);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toMatch(/^# The primary \w+, generated by cfcd primary-template/);
    await importPrimary('my-site', written.stdout);
    expect(await primaryStack()).toMatchObject({ state: 'in-step', stackName: 'my-site', logicalId: 'Primary' });
    const text = await cfcd('status', '--primary', primaryId);
    expect(text.stdout).toMatch(/^IaC {6}stack my-site \(Primary\): no change to the primary since the stack last/m);

    expect((await cfcd('promote', ...ids, '--yes')).code).toBe(0);
    expect(await primaryStack()).toMatchObject({ state: 'changed-since-stack', stackName: 'my-site' });
    const behind = await cfcd('status', '--primary', primaryId);
    expect(behind.stdout).toMatch(
      /^IaC {6}stack my-site \(Primary\): behind: the primary changed \S+ \(a promotion\?\)/m,
    );
    expect(behind.stdout).toContain(
      `catch the stack up first: cfcd primary-template --primary ${primaryId} --logical-id Primary`,
    );

    const after = parse((await cfcd('primary-template', '--primary', primaryId)).stdout) as Cfn;
    expect(after.Parameters).toMatchObject({
      OriginPath: { Default: '/v2' },
      ContinuousDeploymentPolicyId: { Default: policyId },
    });
    const resource = (after.Resources as Record<string, { Type: string; Properties: Cfn }>).Primary;
    expect(resource?.Properties.DistributionConfig).toMatchObject({ Aliases: ['www.example.com'] });
    expect(new SchemaValidator().validateResource('Primary', resource?.Type as string, resource?.Properties)).toEqual(
      [],
    );
  });

  it('writes a template cfn-lint finds no error in, with and without an attached policy', async () => {
    expect(cfnLint, 'cfn-lint is installed on these machines').toBe(true);
    const files: string[] = [];
    for (const attached of [false, true]) {
      if (attached)
        expect(
          (await cfcd('enable-cd', '--primary', primaryId, '--staging', stagingId, '--policy', policyId, '--yes')).code,
        ).toBe(0);
      const run = await cfcd('primary-template', '--primary', primaryId, '--logical-id', 'Site');
      const file = join(scratch, `primary-${attached ? 'attached' : 'alone'}.yml`);
      writeFileSync(file, run.stdout);
      files.push(file);
    }
    const lint = spawnSync('cfn-lint', ['--format', 'json', ...files], { encoding: 'utf8', timeout: 120_000 });
    const findings = JSON.parse(lint.stdout || '[]') as { Level: string; Rule: { Id: string }; Message: string }[];
    expect(findings.filter((f) => f.Level === 'Error').map((f) => `${f.Rule.Id} ${f.Message}`)).toEqual([]);
  });

  it('refuses a staging distribution, and a logical id CloudFormation would not take', async () => {
    const staging = await cfcd('primary-template', '--primary', stagingId);
    expect(staging.code).toBe(3);
    expect(staging.stderr).toMatch(/refused: \w+ is a staging distribution: its stack is the staging stack/);
    expect(staging.stdout).toBe('');
    const badId = await cfcd('primary-template', '--primary', primaryId, '--logical-id', 'my-primary');
    expect(badId.code).toBe(2);
    expect(badId.stderr).toMatch(/--logical-id: CloudFormation logical ids are letters and digits, got "my-primary"/);
  });
});
