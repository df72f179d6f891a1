/** The control API under /_emulator/: every body checked, every refusal naming the field and the expected shape. */
import {
  GetDistributionCommand,
  GetDistributionConfigCommand,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlError } from '../../local/emulator/index.js';
import { createDistribution, failure, harness, siteConfig, type Harness } from './helpers.js';

let h: Harness;
afterEach(async () => h?.close());

async function post(path: string, body?: string, method = 'POST') {
  const res = await fetch(`${h.emulator.url}/_emulator/${path}`, { method, ...(body === undefined ? {} : { body }) });
  return {
    status: res.status,
    body: (await res.json()) as { message?: string; expected?: string; endpoints?: string[] },
  };
}

describe('control bodies', () => {
  it.each([
    ['propagation', undefined, /ms is required: an integer from 0 to 3600000/],
    ['propagation', '{}', /ms is required/],
    ['propagation', '{"ms":"5"}', /ms must be an integer from 0 to 3600000, got "5"/],
    ['propagation', '{"ms":null}', /ms must be an integer from 0 to 3600000, got null/],
    ['propagation', '{"ms":-1}', /ms must be an integer/],
    ['propagation', '{"ms":5,"millis":5}', /unknown field millis; expected \{ms: an integer from 0 to 3600000\}/],
    ['propagation', 'ms=5', /the body is not JSON; expected \{ms: an integer from 0 to 3600000\}/],
    ['propagation', '[5]', /the body must be a JSON object \{ms: /],
    ['latency', '{"ms":99999999}', /ms must be an integer from 0 to 60000, got 99999999/],
    ['error-rate', '{"distributionId":"E1","fraction":2}', /fraction must be a number from 0 to 1, got 2/],
    ['error-rate', '{"fraction":0.5}', /distributionId is required: a distribution id/],
    ['failures', '{"originPath":"/v2","share5xx":0.5,"status":404}', /status must be an integer from 500 to 599/],
    ['settle', '{"now":true}', /unknown field now; expected \{\}/],
    ['invalidation', '{"ms":3600001}', /ms must be an integer from 0 to 3600000, got 3600001/],
    ['edge', '{"previousConfigShare":1.5}', /previousConfigShare must be a number from 0 to 1 or "linear", got 1.5/],
    ['edge', '{"previousConfigShare":"always"}', /previousConfigShare must be a number from 0 to 1 or "linear"/],
    ['edge', '{}', /previousConfigShare is required/],
  ])('POST %s %s → 400 naming the field', async (path, body, message) => {
    h = await harness({ propagationMs: 1000 });
    const before = h.emulator.state();
    const res = await post(path, body);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(new RegExp(`^POST /_emulator/${path}: `));
    expect(res.body.message).toMatch(message);
    expect(res.body.expected).toBeDefined();
    // Nothing changed: no null propagation, no undefined key, no half-applied setting.
    expect(h.emulator.state()).toEqual(before);
  });

  it('applies a valid body, and answers 404 for a distribution it does not have', async () => {
    h = await harness();
    expect((await post('propagation', '{"ms":2500}')).status).toBe(200);
    expect(h.emulator.state().propagationMs).toBe(2500);
    expect((await post('latency', '{"ms":3}')).status).toBe(200);
    expect(h.emulator.state().latencyMs).toBe(3);
    expect((await post('invalidation', '{"ms":700}')).status).toBe(200);
    expect(h.emulator.state().invalidationMs).toBe(700);
    expect((await post('edge', '{"previousConfigShare":0.25}')).status).toBe(200);
    expect(h.emulator.state().previousConfigShare).toBe(0.25);
    expect((await post('edge', '{"previousConfigShare":"linear"}')).status).toBe(200);
    expect(h.emulator.state().previousConfigShare).toBe('linear');
    const missing = await post('error-rate', '{"distributionId":"E0NOSUCHDIST00","fraction":0.5}');
    expect(missing.status).toBe(404);
    expect(missing.body.message).toContain('distributionId E0NOSUCHDIST00 is not a distribution');
    const d = await createDistribution(h, siteConfig('p'));
    expect((await post('error-rate', JSON.stringify({ distributionId: d.id, fraction: 0.5 }))).status).toBe(200);
    expect(h.emulator.state().errorRates).toEqual({ [d.id]: 0.5 });
  });

  it('lists every endpoint with the body it takes, for an unknown one and at GET help', async () => {
    h = await harness();
    const unknown = await post('nothing-here', '{}');
    expect(unknown.status).toBe(404);
    const help = await post('help', undefined, 'GET');
    expect(help.status).toBe(200);
    expect(help.body.endpoints).toEqual(unknown.body.endpoints);
    expect(help.body.endpoints).toEqual(
      expect.arrayContaining([
        'GET state',
        'GET|DELETE requests',
        'GET jobs/<jobId>',
        'POST latency {ms: an integer from 0 to 60000}',
        'POST propagation {ms: an integer from 0 to 3600000}',
        'POST invalidation {ms: an integer from 0 to 3600000}',
        'POST edge {previousConfigShare: a number from 0 to 1 or "linear"}',
        'DELETE cache',
        'POST|DELETE failures {originPath: an origin path starting with /, e.g. "/v5", share5xx: a number from 0 to 1, status?: an integer from 500 to 599, paths?: path prefixes separated by commas, each starting with /, e.g. "/api/,/checkout"}',
      ]),
    );
    expect(help.body.endpoints?.find((e) => e.startsWith('POST|DELETE fault '))).toContain(
      'error: one of PreconditionFailed, Throttling, InternalError, ServiceUnavailable, ConnectionReset, Slow, AccessDenied',
    );
  });
});

describe('faults', () => {
  it.each([
    ['{"error":"Throttling"}', /operation is required/],
    ['{"operation":"GetDistribution"}', /error is required: one of PreconditionFailed, Throttling/],
    [
      '{"operation":"FlyToTheMoon","error":"Throttling"}',
      /operation FlyToTheMoon is not one the emulator implements: /,
    ],
    [
      '{"operation":"GetDistribution","error":"PreconditionFailed"}',
      /PreconditionFailed needs an operation that writes with If-Match \(.*UpdateDistribution.*\); GetDistribution does not/,
    ],
    ['{"operation":"GetDistribution","error":"Throttling","times":0}', /times must be an integer from 1 to 1000/],
    ['{"operation":"GetDistribution","error":"Slow"}', /delayMs is required with error Slow, and only with it/],
    [
      '{"operation":"GetDistribution","error":"Throttling","delayMs":5}',
      /delayMs is required with error Slow, and only with it/,
    ],
    [
      '{"operation":"GetDistribution","error":"Throttling","beforeWrite":"no"}',
      /beforeWrite must be true or false, got "no"/,
    ],
  ])('refuses %s with 400 and arms nothing', async (body, message) => {
    h = await harness();
    const res = await post('fault', body);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
    expect(h.emulator.state().pendingFaults).toEqual([]);
  });

  it('checks in-process faults and settings the same way', async () => {
    h = await harness();
    expect(() => h.emulator.injectFault({ operation: 'GetDistribution', error: 'PreconditionFailed' })).toThrow(
      ControlError,
    );
    expect(() => h.emulator.setPropagationMs(-5)).toThrow(/propagationMs must be an integer from 0 to 3600000/);
    expect(() => h.emulator.setLatencyMs(Number.NaN)).toThrow(/latencyMs must be an integer/);
    expect(() => h.emulator.setErrorRate('E0NOSUCHDIST00', 0.5)).toThrow(/is not a distribution/);
    expect(h.emulator.state().pendingFaults).toEqual([]);
  });

  it('clears every armed fault with DELETE fault', async () => {
    h = await harness();
    expect((await post('fault', '{"operation":"GetDistribution","error":"Throttling","times":3}')).status).toBe(200);
    expect(h.emulator.state().pendingFaults).toHaveLength(1);
    expect((await post('fault', undefined, 'DELETE')).status).toBe(200);
    expect(h.emulator.state().pendingFaults).toEqual([]);
  });

  it.each([
    ['InternalError', 500],
    ['ServiceUnavailable', 503],
  ] as const)('answers an injected %s with HTTP %i, once', async (error, status) => {
    h = await harness();
    const d = await createDistribution(h, siteConfig('p'));
    h.emulator.injectFault({ operation: 'GetDistribution', error });
    expect(await failure(h.cf.send(new GetDistributionCommand({ Id: d.id })))).toMatchObject({ name: error, status });
    expect((await h.cf.send(new GetDistributionCommand({ Id: d.id }))).Distribution?.Id).toBe(d.id);
  });

  it('drops the connection on ConnectionReset; with beforeWrite false the write happened all the same', async () => {
    h = await harness();
    const d = await createDistribution(h, siteConfig('p'));
    h.emulator.injectFault({ operation: 'UpdateDistribution', error: 'ConnectionReset', beforeWrite: false });
    const read = await h.cf.send(new GetDistributionConfigCommand({ Id: d.id }));
    const lost = await failure(
      h.cf.send(
        new UpdateDistributionCommand({
          Id: d.id,
          IfMatch: read.ETag,
          DistributionConfig: { ...read.DistributionConfig!, Comment: 'written, answer lost' },
        }),
      ),
    );
    expect(lost.status).toBeUndefined();
    expect(lost.message).toMatch(/socket hang up|ECONNRESET/);
    const after = await h.cf.send(new GetDistributionConfigCommand({ Id: d.id }));
    expect(after.DistributionConfig?.Comment).toBe('written, answer lost');
    expect(h.emulator.requestLog().find((e) => e.operation === 'UpdateDistribution')?.status).toBe(0);
  });

  it('answers late on Slow: a client with a shorter timeout gives up, the next call is on time', async () => {
    h = await harness();
    const d = await createDistribution(h, siteConfig('p'));
    h.emulator.injectFault({ operation: 'GetDistribution', error: 'Slow', delayMs: 3000 });
    const impatient = new (await import('@aws-sdk/client-cloudfront')).CloudFrontClient({
      endpoint: h.emulator.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
      requestHandler: { requestTimeout: 200, throwOnRequestTimeout: true },
    });
    try {
      const gaveUp = await failure(impatient.send(new GetDistributionCommand({ Id: d.id })));
      expect(gaveUp.name).toMatch(/TimeoutError/);
      expect((await impatient.send(new GetDistributionCommand({ Id: d.id }))).Distribution?.Id).toBe(d.id);
    } finally {
      impatient.destroy();
    }
  });
});
