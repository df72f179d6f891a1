/**
 * The control API under `/_emulator/` (drive a foreground emulator with curl), one table of endpoints. Every body is
 * checked against its schema before anything changes; README.md documents the table.
 */
import { ControlError, checkBody, describeSchema, type Schema } from './control-body.js';
import { setReleaseFailure } from './dataplane.js';
import { FAULT_SCHEMA, checkFault, type OperationCatalogue } from './faults.js';
import { LIMITS } from './limits.js';
import type { ApiRequest, ApiResponse } from './protocol.js';
import { matchPath, type Params } from './routes.js';
import type { Controls } from './server.js';
import { dumpState } from './state-dump.js';
import type { EmulatedAccount } from './account.js';

interface ControlRoute {
  method: string;
  path: string;
  /** The body it takes; absent: none (an empty body or `{}`). */
  body?: Schema;
  handler(input: Record<string, unknown>, params: Params): ApiResponse;
}

const json = (status: number, body: unknown): ApiResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body, null, 2),
});

export const ms = (limit: { min: number; max: number }): Schema => ({ ms: { kind: 'integer', ...limit } });

export const ERROR_RATE_SCHEMA: Schema = {
  distributionId: { kind: 'string', pattern: /^E[A-Z0-9]+$/, shape: 'a distribution id, e.g. "E2QWRUHAPOMQZL"' },
  fraction: { kind: 'number', min: 0, max: 1 },
};

export const FAILURE_SCHEMA: Schema = {
  originPath: { kind: 'string', pattern: /^\/\S*$/, shape: 'an origin path starting with /, e.g. "/v5"' },
  share5xx: { kind: 'number', min: 0, max: 1 },
  status: { kind: 'integer', optional: true, min: 500, max: 599 },
  paths: {
    kind: 'string',
    optional: true,
    pattern: /^\/[^,\s]*(,\/[^,\s]*)*$/,
    shape: 'path prefixes separated by commas, each starting with /, e.g. "/api/,/checkout"',
  },
};

export const EDGE_SCHEMA: Schema = {
  previousConfigShare: { kind: 'numberOrEnum', min: 0, max: 1, values: ['linear'] },
};

/**
 * Sets the share of requests a distribution that is InProgress fetches with its previous config: a fixed number
 * from 0 to 1 (deterministic tests), or `linear` (falling from 1 at the change to 0 at Deployed).
 */
export function setPreviousConfigShare(account: EmulatedAccount, input: unknown): void {
  account.previousConfigShare = checkBody(EDGE_SCHEMA, input).previousConfigShare as number | 'linear';
}

/** Sets a distribution's viewer 5xx share; a ControlError (404) when no such distribution exists. */
export function setErrorRate(account: EmulatedAccount, input: unknown): void {
  const { distributionId, fraction } = checkBody(ERROR_RATE_SCHEMA, input) as {
    distributionId: string;
    fraction: number;
  };
  if (!account.distributions.has(distributionId))
    throw new ControlError(404, `distributionId ${distributionId} is not a distribution of this emulator`);
  if (fraction === 0) account.errorRates.delete(distributionId);
  else account.errorRates.set(distributionId, fraction);
}

export function controlRoutes(
  account: EmulatedAccount,
  controls: Controls,
  operations: OperationCatalogue,
): ControlRoute[] {
  const done = (act: () => void) => {
    act();
    return json(200, {});
  };
  const state = () => dumpState(account, { latencyMs: controls.latencyMs, pendingFaults: controls.faults.pending() });
  const routes: ControlRoute[] = [
    { method: 'GET', path: 'help', handler: () => json(200, { endpoints: endpointList(routes) }) },
    { method: 'GET', path: 'state', handler: () => json(200, state()) },
    { method: 'GET', path: 'requests', handler: () => json(200, controls.log) },
    { method: 'DELETE', path: 'requests', handler: () => done(() => (controls.log.length = 0)) },
    { method: 'GET', path: 'jobs/*jobId', handler: (_, { jobId }) => json(200, account.jobs.get(jobId!) ?? []) },
    { method: 'POST', path: 'settle', handler: () => done(() => account.settle()) },
    {
      method: 'POST',
      path: 'fault',
      body: FAULT_SCHEMA,
      handler: (input) => done(() => controls.faults.inject(checkFault(input, operations))),
    },
    { method: 'DELETE', path: 'fault', handler: () => done(() => controls.faults.clear()) },
    {
      method: 'POST',
      path: 'latency',
      body: ms(LIMITS.latencyMs),
      handler: (input) => done(() => (controls.latencyMs = input.ms as number)),
    },
    {
      method: 'POST',
      path: 'propagation',
      body: ms(LIMITS.propagationMs),
      handler: (input) => done(() => (account.opts.propagationMs = input.ms as number)),
    },
    {
      method: 'POST',
      path: 'invalidation',
      body: ms(LIMITS.invalidationMs),
      handler: (input) => done(() => (account.opts.invalidationMs = input.ms as number)),
    },
    {
      method: 'POST',
      path: 'edge',
      body: EDGE_SCHEMA,
      handler: (input) => done(() => setPreviousConfigShare(account, input)),
    },
    { method: 'DELETE', path: 'cache', handler: () => done(() => account.caches.clear()) },
    {
      method: 'POST',
      path: 'error-rate',
      body: ERROR_RATE_SCHEMA,
      handler: (input) => done(() => setErrorRate(account, input)),
    },
    {
      method: 'POST',
      path: 'failures',
      body: FAILURE_SCHEMA,
      handler: (input) =>
        done(() =>
          setReleaseFailure(
            account,
            input.originPath as string,
            input.share5xx as number,
            input.status as number | undefined,
            typeof input.paths === 'string' ? input.paths.split(',') : undefined,
          ),
        ),
    },
    { method: 'DELETE', path: 'failures', handler: () => done(() => account.releaseFailures.clear()) },
  ];
  return routes;
}

/** The endpoints a 404 lists: `GET|DELETE requests`, `GET jobs/<jobId>`, `POST latency {ms: …}`, … */
export function endpointList(routes: ControlRoute[]): string[] {
  const byPath = new Map<string, ControlRoute[]>();
  for (const r of routes) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  return [...byPath].map(([path, rs]) => {
    const body = rs.find((r) => r.body)?.body;
    const methods = rs.map((r) => r.method).join('|');
    return `${methods} ${path.replace(/[:*](\w+)/g, '<$1>')}${body ? ` ${describeSchema(body)}` : ''}`;
  });
}

/** Answers one control request: the endpoint's answer, or a 400/404 naming what is wrong. */
export function control(routes: ControlRoute[], req: ApiRequest): ApiResponse {
  const what = req.path.slice('/_emulator/'.length);
  let matched: { route: ControlRoute; params: Params } | undefined;
  for (const route of routes) {
    const params = route.method === req.method ? matchPath(route.path, what) : undefined;
    if (params) {
      matched = { route, params };
      break;
    }
  }
  if (!matched)
    return json(404, { message: `unknown control ${req.method} /_emulator/${what}`, endpoints: endpointList(routes) });
  const { route, params } = matched;
  const where = `${req.method} /_emulator/${what}`;
  const expected = route.body ? describeSchema(route.body) : 'no body';
  try {
    const text = req.body.toString('utf8').trim();
    let input: unknown = {};
    if (text !== '') {
      try {
        input = JSON.parse(text);
      } catch {
        throw new ControlError(400, `the body is not JSON; expected ${expected}`);
      }
    }
    const body = checkBody(route.body ?? {}, input);
    return route.handler(body, params);
  } catch (e) {
    if (e instanceof ControlError || e instanceof RangeError)
      return json(e instanceof ControlError ? e.status : 400, { message: `${where}: ${e.message}`, expected });
    throw e;
  }
}
