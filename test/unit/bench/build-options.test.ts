/**
 * The function build options' two SDK plugins (infra/bundles.mjs) change what is in a bundle, not what it does:
 * each test builds a small entry with and without a plugin, runs both bundles in a fresh `node`, and compares what
 * they did. No timing here (the bench measures that).
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build, type Plugin } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionBuildOptions, lambdaCredentialSources, treeShakeSdkSchemas } from '../../../infra/bundles.mjs';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dirs: string[] = [];

/** A directory for bundles: under the repository's node_modules (packages resolve from there) or outside it. */
function bundleDir(insideRepo: boolean): string {
  const parent = insideRepo ? join(ROOT, 'node_modules', '.cache') : tmpdir();
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, 'build-options-test-'));
  dirs.push(dir);
  return dir;
}

/** Bundles `code` (an ES module, resolved from the repository root) with the function options and `plugins`. */
async function bundle(code: string, plugins: Plugin[], dir: string, name: string): Promise<string> {
  const outfile = join(dir, name, 'index.mjs');
  const { entryPoints: _, ...options } = functionBuildOptions('unused.ts', outfile);
  await build({ ...options, stdin: { contents: code, resolveDir: ROOT, loader: 'ts' }, plugins, sourcemap: false });
  return outfile;
}

/** Runs a bundle in a fresh node with exactly `env` (plus PATH); returns its last stdout line, parsed. */
async function runBundle(file: string, env: Record<string, string>): Promise<unknown> {
  const { stdout } = await run(process.execPath, [file], {
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null');
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('treeShakeSdkSchemas', () => {
  // Requests captured by a request handler that answers with canned responses: what the SDK serialized, and what it
  // made of a response and of an error, with and without the plugin.
  const entry = `
    import { CloudFrontClient, GetDistributionCommand, UpdateDistributionCommand } from '@aws-sdk/client-cloudfront';
    import { S3Client, GetBucketPolicyCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
    import { CodePipelineClient, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
    import { Readable } from 'node:stream';
    const sent = [];
    const answer = (status, headers, body) => ({ response: { statusCode: status, headers, body: Readable.from([Buffer.from(body)]) } });
    const handler = (responses) => ({
      handle: async (req) => {
        let body = req.body ?? '';
        sent.push({ method: req.method, path: req.path, query: req.query, body: typeof body === 'string' ? body : String(body) });
        return responses.shift();
      },
    });
    const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };
    const distributionXml = '<?xml version="1.0"?><Distribution xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>E1</Id><Status>Deployed</Status><DomainName>d.example</DomainName><DistributionConfig><CallerReference>r</CallerReference><Comment>c</Comment><Enabled>true</Enabled><Origins><Quantity>1</Quantity><Items><Origin><Id>o</Id><DomainName>b.s3.amazonaws.com</DomainName><OriginPath>/v1</OriginPath><S3OriginConfig><OriginAccessIdentity></OriginAccessIdentity></S3OriginConfig></Origin></Items></Origins><DefaultCacheBehavior><TargetOriginId>o</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy></DefaultCacheBehavior><ContinuousDeploymentPolicyId>P1</ContinuousDeploymentPolicyId><Staging>false</Staging></DistributionConfig></Distribution>';
    const cf = new CloudFrontClient({ region: 'us-east-1', credentials, maxAttempts: 1, requestHandler: handler([
      answer(200, { etag: 'E-1', 'content-type': 'text/xml' }, distributionXml),
      answer(412, { 'content-type': 'text/xml' }, '<ErrorResponse><Error><Type>Sender</Type><Code>PreconditionFailed</Code><Message>stale</Message></Error></ErrorResponse>'),
    ]) });
    const s3 = new S3Client({ region: 'us-east-1', credentials, maxAttempts: 1, forcePathStyle: true, endpoint: 'http://127.0.0.1:9', requestHandler: handler([
      answer(404, { 'content-type': 'application/xml' }, '<Error><Code>NoSuchBucketPolicy</Code><Message>none</Message></Error>'),
      answer(204, {}, ''),
    ]) });
    const cp = new CodePipelineClient({ region: 'us-east-1', credentials, maxAttempts: 1, requestHandler: handler([answer(200, { 'content-type': 'application/x-amz-json-1.1' }, '{}')]) });
    const outcome = async (p) => p.then((o) => { const { $metadata, ...rest } = o; return { ok: rest }; }, (e) => ({ error: e.name, status: e.$metadata?.httpStatusCode }));
    const got = await outcome(cf.send(new GetDistributionCommand({ Id: 'E1' })));
    const config = got.ok?.Distribution?.DistributionConfig;
    const results = [
      got,
      await outcome(cf.send(new UpdateDistributionCommand({ Id: 'E1', IfMatch: 'E-1', DistributionConfig: { ...config, Comment: 'changed' } }))),
      await outcome(s3.send(new GetBucketPolicyCommand({ Bucket: 'b' }))),
      await outcome(s3.send(new PutBucketPolicyCommand({ Bucket: 'b', Policy: '{"Version":"2012-10-17","Statement":[]}' }))),
      await outcome(cp.send(new PutJobSuccessResultCommand({ jobId: 'j', outputVariables: { A: 'b' } }))),
    ];
    console.log(JSON.stringify({ results, sent }));
  `;
  let plain: string;
  let shaken: string;

  beforeAll(async () => {
    const dir = bundleDir(false);
    [plain, shaken] = await Promise.all([
      bundle(entry, [], dir, 'plain'),
      bundle(entry, [treeShakeSdkSchemas], dir, 'shaken'),
    ]);
  }, 60_000);

  it('sends the same requests and reads the same responses and errors', async () => {
    const [a, b] = await Promise.all([runBundle(plain, {}), runBundle(shaken, {})]);
    expect(b).toEqual(a);
    // The comparison means something: the GetDistribution result was read, the 412 and 404 became named errors.
    const { results } = a as { results: { ok?: unknown; error?: string }[] };
    expect(results[0]).toMatchObject({ ok: { ETag: 'E-1', Distribution: { Id: 'E1' } } });
    expect(results[1]).toEqual({ error: 'PreconditionFailed', status: 412 });
    expect(results[2]).toEqual({ error: 'NoSuchBucketPolicy', status: 404 });
  });

  it('leaves out the schemas of operations no command uses', () => {
    // CopyObject's request carries this header; no command of the entry needs that schema.
    expect(readFileSync(plain, 'utf8')).toContain('x-amz-copy-source-if-match');
    expect(readFileSync(shaken, 'utf8')).not.toContain('x-amz-copy-source-if-match');
    expect(readFileSync(shaken).length).toBeLessThan(readFileSync(plain).length * 0.9);
  });
});

describe('lambdaCredentialSources', () => {
  const entry = `
    import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
    const client = new CloudFrontClient({ region: 'us-east-1' });
    try {
      const c = await client.config.credentials();
      console.log(JSON.stringify({ accessKeyId: c.accessKeyId }));
    } catch (e) {
      console.log(JSON.stringify({ error: e.name, message: e.message }));
    }
  `;
  const profileFiles = () => {
    const dir = bundleDir(false);
    writeFileSync(join(dir, 'config'), '[profile local]\nregion = us-east-1\n');
    writeFileSync(join(dir, 'credentials'), '[local]\naws_access_key_id = FROM_PROFILE\naws_secret_access_key = s\n');
    return {
      AWS_PROFILE: 'local',
      AWS_CONFIG_FILE: join(dir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    };
  };
  let server: Server;
  let containerUri: string;
  let insideRepo: string;
  let deployed: string;
  let withoutPlugin: string;

  beforeAll(async () => {
    server = createServer((_, res) => {
      res.setHeader('content-type', 'application/json');
      const expiration = new Date(Date.now() + 3_600_000).toISOString();
      res.end(
        JSON.stringify({ AccessKeyId: 'FROM_CONTAINER', SecretAccessKey: 's', Token: 't', Expiration: expiration }),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    containerUri = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/credentials`;
    const outside = bundleDir(false);
    [insideRepo, deployed, withoutPlugin] = await Promise.all([
      bundle(entry, [lambdaCredentialSources], bundleDir(true), 'inside'),
      bundle(entry, [lambdaCredentialSources], outside, 'deployed'),
      bundle(entry, [], outside, 'without-plugin'),
    ]);
  }, 60_000);
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('carries none of the profile-based sources nor the STS and SSO clients', () => {
    const code = (file: string) => readFileSync(file, 'utf8');
    for (const marker of ['AssumeRoleWithWebIdentity', 'sso-oidc', 'credential_process']) {
      expect(code(withoutPlugin)).toContain(marker);
      expect(code(deployed)).not.toContain(marker);
    }
  });

  it('takes the execution role credentials from the environment, as on Lambda', async () => {
    const env = { AWS_ACCESS_KEY_ID: 'FROM_ENV', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't' };
    expect(await runBundle(deployed, env)).toEqual({ accessKeyId: 'FROM_ENV' });
  });

  it('goes on to the container credentials endpoint when the environment has none', async () => {
    expect(await runBundle(deployed, { AWS_CONTAINER_CREDENTIALS_FULL_URI: containerUri })).toEqual({
      accessKeyId: 'FROM_CONTAINER',
    });
  });

  it('still reads an AWS_PROFILE when the bundle runs where node_modules has the profile sources', async () => {
    expect(await runBundle(insideRepo, profileFiles())).toEqual({ accessKeyId: 'FROM_PROFILE' });
  });

  it('without them, passes the profile by, as the SDK does where there is no profile to read, and says so', async () => {
    expect(await runBundle(deployed, profileFiles())).toEqual({
      error: 'CredentialsProviderError',
      message: expect.stringContaining('Could not load credentials from any providers'),
    });
  });
});
