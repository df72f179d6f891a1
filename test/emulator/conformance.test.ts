/**
 * Every error the emulator answers is one the operation declares in the SDK's model (issue 15), checked four ways so
 * that a new route cannot drift: each route names its codes and each is in the model (or a documented common
 * error); every code literal in a service's source is named by some route; every route, probed with bad and
 * borderline requests, answers only codes its operation declares; and at run time an undeclared answer becomes an
 * InternalFailure naming the bug.
 *
 * S3 is not checked: its model declares almost none of the errors S3 really answers (GetBucketPolicy declares none,
 * yet answers NoSuchBucketPolicy), so the model cannot be the reference there.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../local/emulator/errors.js';
import type { Operation, Service } from '../../local/emulator/protocol.js';
import { declaredOrBug } from '../../local/emulator/server.js';
import { account, call, distributionXml, invalidationXml, policyXml, servicesOf, xml } from './in-process.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The service modules checked, with their SDK package and the source files that construct their errors. */
const CHECKED = {
  cloudFront: {
    pkg: 'client-cloudfront',
    sources: ['cloudfront.ts', 'cloudfront-rules.ts', 'cloudfront-protocol.ts', 'invalidations.ts'],
  },
  codePipeline: { pkg: 'client-codepipeline', sources: ['codepipeline.ts', 'pipelines.ts', 'json-protocol.ts'] },
  cloudWatch: { pkg: 'client-cloudwatch', sources: ['cloudwatch.ts', 'json-protocol.ts'] },
} as const;
type Checked = keyof typeof CHECKED;

/**
 * Codes an operation answers although its SDK model does not declare them, each one documented by the service's own
 * API reference, with the sentence that documents it. The only way past the model check: name the operation, the
 * code and the source here.
 */
const DOCUMENTED_BUT_UNDECLARED: Record<string, Record<string, string>> = {
  CreateInvalidation: {
    InvalidationBatchAlreadyExists:
      'API reference, CreateInvalidation: "If CallerReference is a value you already sent in a previous invalidation ' +
      'batch request but the content of any Path is different from the original request, CloudFront returns an ' +
      'InvalidationBatchAlreadyExists error."',
  },
};

/** The codes `operation` may answer: its model's, plus the documented exceptions above. */
const allowed = (model: string[], operation: string) => [
  ...model,
  ...Object.keys(DOCUMENTED_BUT_UNDECLARED[operation] ?? {}),
];

/** What an unmatched request answers: the service's refusal of an operation it does not implement (no route). */
const UNMATCHED_CODES = ['NotImplemented', 'UnknownOperationException'];

/** The error names the SDK's command declares (`@throws {@link X}`); throws when there is no such command. */
function declared(pkg: string, operation: string): string[] {
  const file = `${root}node_modules/@aws-sdk/${pkg}/dist-types/commands/${operation}Command.d.ts`;
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/@throws \{@link (\w+)\}/g)]
    .map((m) => m[1]!)
    .filter((n) => !n.endsWith('ServiceException'));
}

const services = servicesOf(account());

describe.each(Object.keys(CHECKED) as Checked[])('%s routes against the SDK model', (name) => {
  const { pkg, sources } = CHECKED[name];
  const service = services[name] as Service;

  it('every route names its operation, a real SDK command, and only codes that command declares', () => {
    for (const route of service.routes) {
      const model = allowed(declared(pkg, route.operation), route.operation);
      expect(route.errors, `${route.operation} has no errors list`).toBeDefined();
      const outside = (route.errors ?? []).filter((c) => !model.includes(c) && !service.commonErrors?.includes(c));
      expect(outside, `${route.operation} may answer codes its model does not declare`).toEqual([]);
    }
  });

  it('every error code its source constructs is named by one of its routes or its common errors', () => {
    const named = new Set([
      ...service.routes.flatMap((r) => r.errors ?? []),
      ...(service.commonErrors ?? []),
      ...UNMATCHED_CODES,
    ]);
    for (const file of sources) {
      const text = readFileSync(`${root}local/emulator/${file}`, 'utf8');
      const literals = [...text.matchAll(/new ApiError\(\s*'(\w+)'/g)].map((m) => m[1]!);
      expect(literals.length, file).toBeGreaterThan(0);
      expect(
        literals.filter((c) => !named.has(c)),
        `${file} constructs codes no ${name} route declares`,
      ).toEqual([]);
    }
  });
});

describe('codes answered although the model does not declare them', () => {
  it("are each on a route that names them, and really missing from that operation's model", () => {
    const routes = services.cloudFront.routes;
    for (const [operation, codes] of Object.entries(DOCUMENTED_BUT_UNDECLARED)) {
      const model = declared(CHECKED.cloudFront.pkg, operation);
      for (const code of Object.keys(codes)) {
        expect(model, `${operation} declares ${code} now: drop the exception`).not.toContain(code);
        expect(routes.find((r) => r.operation === operation)?.errors).toContain(code);
      }
    }
  });
});

describe('probing every route with bad and borderline requests', () => {
  /** Runs every request shape against a fresh world per route; returns each answer outside the model. */
  function probe(name: Checked, requests: (route: Service['routes'][number], world: World) => Probe[]): string[] {
    const problems: string[] = [];
    for (const route of (services[name] as Service).routes) {
      const world = makeWorld();
      const service = world.services[name] as Service;
      const model = allowed(declared(CHECKED[name].pkg, route.operation), route.operation);
      for (const p of requests(route, world)) {
        let answered: { op: string; error?: ApiError };
        try {
          answered = call(service, p.method, p.path, p.body, p.headers);
        } catch (e) {
          problems.push(`${route.operation} ${p.method} ${p.path}: threw ${(e as Error).message}`);
          continue;
        }
        const code = answered.error?.code;
        if (!code) continue;
        if (answered.op !== route.operation) continue;
        if (!model.includes(code) && !service.commonErrors?.includes(code))
          problems.push(
            `${route.operation} answered ${code}, which its model does not declare: ${answered.error?.message}`,
          );
        else if (!route.errors?.includes(code) && !service.commonErrors?.includes(code))
          problems.push(`${route.operation} answered ${code}, missing from its route's errors list`);
        if (code === 'InternalFailure') problems.push(`${route.operation}: ${answered.error?.message}`);
      }
    }
    return problems;
  }

  it('CloudFront answers only declared codes', () => {
    const problems = probe('cloudFront', (route, w): Probe[] => {
      const ids = [w.primary.id, w.staging.id, w.policyId, 'E0NONEXISTENT0', '00000000-0000-4000-8000-000000000000'];
      const bodies = [
        '',
        'not <xml',
        '<Wrong/>',
        w.primaryConfig,
        w.stagingConfig,
        w.policyConfig,
        '<CopyDistributionRequest><CallerReference>copy</CallerReference></CopyDistributionRequest>',
        invalidationXml('r', ['/index.html']),
        invalidationXml('r', ['/other.html']),
        invalidationXml('r2', ['index.html', '/a*b']),
        invalidationXml(
          'r3',
          Array.from({ length: 16 }, (_, i) => `/w${i}/*`),
        ),
        invalidationXml('r4', []),
        xml('InvalidationBatch', '<Paths><Quantity>2</Quantity><Items><Path>/a</Path></Items></Paths>'),
      ];
      const headers = (id: string): Record<string, string>[] => [
        {},
        { 'if-match': 'EWRONG' },
        { 'if-match': w.etagOf(id) },
        { 'if-match': `${w.etagOf(w.primary.id)}, ${w.etagOf(w.staging.id)}`, staging: 'true' },
      ];
      const queries = ['', `?StagingDistributionId=${w.staging.id}`, '?MaxItems=0', '?Marker=E&MaxItems=2'];
      return ids.flatMap((id) => {
        const path = route.path!.replace(/:id/, id);
        return bodies.flatMap((body) =>
          headers(id).flatMap((h) =>
            queries.map((q) => ({ method: route.method, path: `${path}${q}`, body, headers: h })),
          ),
        );
      });
    });
    expect(problems).toEqual([]);
  });

  it.each(['codePipeline', 'cloudWatch'] as const)('%s answers only declared codes', (name) => {
    const problems = probe(name, (route, w) => {
      const bodies = [
        '',
        'not json',
        '[]',
        '{}',
        '{"jobId":"j1"}',
        '{"jobId":"j1","failureDetails":{"type":"JobFailed","message":"m"}}',
        `{"jobId":"j1","outputVariables":{"k":"${'x'.repeat(130_000)}"}}`,
        '{"name":"nope"}',
        `{"name":"${w.pipeline}"}`,
        `{"pipelineName":"${w.pipeline}","maxResults":0}`,
        `{"pipelineName":"${w.pipeline}","nextToken":"bogus"}`,
        `{"pipelineName":"${w.pipeline}","filter":{"pipelineExecutionId":"nope"}}`,
        `{"pipelineName":"${w.pipeline}","stageName":"Approval","actionName":"Approve","token":"${w.token}","result":{"status":"Rejected","summary":"s"}}`,
        `{"pipelineName":"${w.pipeline}","stageName":"Approval","actionName":"Approve","token":"${w.token}","result":{"status":"Maybe","summary":"s"}}`,
        '{"StartTime":10,"EndTime":5,"MetricDataQueries":[]}',
        '{"StartTime":0,"EndTime":600,"MetricDataQueries":[{"Id":"a","MetricStat":{"Period":7}}]}',
      ];
      // Each body twice: the second report of a job, the second answer to an approval.
      return bodies.flatMap((body) =>
        [0, 1].map(() => ({ method: 'POST', path: '/', body, headers: { 'x-amz-target': route.target! } })),
      );
    });
    expect(problems).toEqual([]);
  });
});

describe('an answer its route does not declare', () => {
  const op: Operation = { name: 'GetDistribution', errors: ['NoSuchDistribution'], run: () => ({ status: 200 }) };
  const service = servicesOf(account()).cloudFront;

  it('becomes an InternalFailure naming the emulator bug', () => {
    const bug = declaredOrBug(service, op, new ApiError('IllegalUpdate', 'nope'));
    expect(bug).toMatchObject({ code: 'InternalFailure', status: 500 });
    expect(bug.message).toContain('Emulator bug: GetDistribution answered IllegalUpdate');
  });

  it('passes declared and common codes through unchanged', () => {
    const declaredError = new ApiError('NoSuchDistribution', 'gone', 404);
    expect(declaredOrBug(service, op, declaredError)).toBe(declaredError);
    const throttled = new ApiError('Throttling', 'Rate exceeded');
    expect(declaredOrBug(service, op, throttled)).toBe(throttled);
  });
});

interface Probe {
  method: string;
  path: string;
  body: string;
  headers: Record<string, string>;
}

type World = ReturnType<typeof makeWorld>;

/** A primary with an attached policy naming a staging, a pipeline with a pending approval, some served requests. */
function makeWorld() {
  const a = account();
  const s = servicesOf(a);
  const cf = s.cloudFront;
  call(cf, 'POST', '/2020-05-31/distribution', distributionXml('p'));
  call(cf, 'POST', '/2020-05-31/distribution', distributionXml('s', { staging: true }));
  const [primary, staging] = [...a.distributions.values()] as [
    NonNullable<ReturnType<typeof a.distributions.get>>,
    NonNullable<ReturnType<typeof a.distributions.get>>,
  ];
  call(cf, 'POST', '/2020-05-31/continuous-deployment-policy', policyXml(staging.domainName));
  const policyId = [...a.policies.keys()][0]!;
  const primaryConfig = distributionXml('p').replace(
    '</DistributionConfig>',
    `<ContinuousDeploymentPolicyId>${policyId}</ContinuousDeploymentPolicyId></DistributionConfig>`,
  );
  call(cf, 'PUT', `/2020-05-31/distribution/${primary.id}/config`, primaryConfig, { 'if-match': primary.etag });
  a.pipelines.define({
    name: 'site',
    stages: [{ name: 'Approval', actions: [{ name: 'Approve', kind: 'approval' }] }],
  });
  const approval = a.pipelines.startExecution('site').startApproval('Approval', 'Approve');
  return {
    services: s,
    primary,
    staging,
    policyId,
    primaryConfig,
    stagingConfig: distributionXml('s', { staging: true }).replace(
      '<Comment>c</Comment>',
      '<Comment>c</Comment><PriceClass>PriceClass_100</PriceClass>',
    ),
    policyConfig: policyXml(staging.domainName, false),
    etagOf: (id: string) => a.distributions.get(id)?.etag ?? a.policies.get(id)?.etag ?? 'ENONE',
    pipeline: 'site',
    token: approval.token,
  };
}
