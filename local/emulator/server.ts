/**
 * The HTTP front door: dispatches by request shape to the AWS services (CloudFront REST-XML under /2020-05-31,
 * JSON services by X-Amz-Target, S3 path-style for the rest; each service's route table names its operations, see
 * routes.ts), the viewer data plane (/_viewer) and the control endpoints (/_emulator, a table too). Adds latency and injected faults to AWS API calls, and logs their timing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { cloudFront } from './cloudfront.js';
import { cloudWatch } from './cloudwatch.js';
import { codePipeline } from './codepipeline.js';
import { serveViewer, setReleaseFailure } from './dataplane.js';
import { ApiError } from './errors.js';
import { Faults, applyFault, type FaultSpec } from './faults.js';
import type { ApiRequest, ApiResponse, Operation, Service } from './protocol.js';
import { matchPath, resolveOperation, type Params } from './routes.js';
import { s3 } from './s3.js';
import { dumpState, type EmulatorState } from './state-dump.js';
import type { EmulatedAccount } from './account.js';

/** One AWS API request's timing (performance.now() milliseconds), for critical-path benchmarks. */
export interface RequestLogEntry {
  operation: string;
  startMs: number;
  endMs: number;
  status: number;
}

/** Everything mutable at runtime besides the account itself. */
export class Controls {
  readonly faults = new Faults();
  readonly log: RequestLogEntry[] = [];
  constructor(public latencyMs: number) {}
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, r: ApiResponse, method: string): void {
  res.statusCode = r.status;
  for (const [k, v] of Object.entries(r.headers ?? {})) res.setHeader(k, v);
  // HEAD answers carry headers only, errors included (S3 clients rely on it).
  res.end(method === 'HEAD' ? undefined : r.body);
}

const json = (status: number, body: unknown): ApiResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body, null, 2),
});

export function stateOf(account: EmulatedAccount, controls: Controls): EmulatorState {
  return dumpState(account, { latencyMs: controls.latencyMs, pendingFaults: controls.faults.pending() });
}

/** One control endpoint under `/_emulator/`; `body` documents what a POST takes (it shows in the 404's list). */
interface ControlRoute {
  method: string;
  path: string;
  body?: string;
  handler(input: Record<string, unknown>, params: Params): ApiResponse;
}

/** `/_emulator/...`: drive a foreground emulator with curl. */
function controlRoutes(account: EmulatedAccount, controls: Controls): ControlRoute[] {
  const done = (act: () => void) => (act(), json(200, {}));
  return [
    { method: 'GET', path: 'state', handler: () => json(200, stateOf(account, controls)) },
    { method: 'GET', path: 'requests', handler: () => json(200, controls.log) },
    { method: 'DELETE', path: 'requests', handler: () => done(() => (controls.log.length = 0)) },
    { method: 'GET', path: 'jobs/*jobId', handler: (_, { jobId }) => json(200, account.jobs.get(jobId!) ?? []) },
    { method: 'POST', path: 'settle', handler: () => done(() => account.settle()) },
    {
      method: 'POST',
      path: 'fault',
      body: '{operation,error,times?,beforeWrite?}',
      handler: (input) => done(() => controls.faults.inject(input as unknown as FaultSpec)),
    },
    {
      method: 'POST',
      path: 'latency',
      body: '{ms}',
      handler: (input) => done(() => (controls.latencyMs = Number(input['ms']))),
    },
    {
      method: 'POST',
      path: 'propagation',
      body: '{ms}',
      handler: (input) => done(() => (account.opts.propagationMs = Number(input['ms']))),
    },
    {
      method: 'POST',
      path: 'failures',
      body: '{originPath,share5xx,status?}',
      handler: (input) => {
        const { originPath, share5xx, status } = input;
        if (typeof originPath !== 'string' || !originPath.startsWith('/'))
          return json(400, { message: 'originPath must be a string starting with /, e.g. "/v5"' });
        if (typeof share5xx !== 'number' || share5xx < 0 || share5xx > 1)
          return json(400, { message: 'share5xx must be a number from 0 to 1' });
        if (
          status !== undefined &&
          (typeof status !== 'number' || !Number.isInteger(status) || status < 500 || status > 599)
        )
          return json(400, { message: 'status must be an integer from 500 to 599' });
        return done(() => setReleaseFailure(account, originPath, share5xx, status));
      },
    },
    { method: 'DELETE', path: 'failures', handler: () => done(() => account.releaseFailures.clear()) },
    {
      method: 'POST',
      path: 'error-rate',
      body: '{distributionId,fraction}',
      handler: (input) =>
        done(() => account.errorRates.set(String(input['distributionId']), Number(input['fraction']))),
    },
  ];
}

/** The endpoints a 404 lists: `GET|DELETE requests`, `GET jobs/<jobId>`, `POST latency {ms}`, … */
function endpointList(routes: ControlRoute[]): string[] {
  const byPath = new Map<string, ControlRoute[]>();
  for (const r of routes) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  return [...byPath].map(([path, rs]) => {
    const body = rs.find((r) => r.body)?.body;
    return `${rs.map((r) => r.method).join('|')} ${path.replace(/[:*](\w+)/g, '<$1>')}${body ? ` ${body}` : ''}`;
  });
}

function control(routes: ControlRoute[], req: ApiRequest): ApiResponse {
  const what = req.path.slice('/_emulator/'.length);
  const input = req.body.length > 0 ? (JSON.parse(req.body.toString('utf8')) as Record<string, unknown>) : {};
  for (const r of routes) {
    const params = r.method === req.method ? matchPath(r.path, what) : undefined;
    if (params) return r.handler(input, params);
  }
  return json(404, { message: `unknown control ${req.method} /_emulator/${what}`, endpoints: endpointList(routes) });
}

/** `/_viewer/<domain>/<path>`: a viewer request as a browser would send it. */
function viewer(account: EmulatedAccount, req: ApiRequest): ApiResponse {
  const rest = req.path.slice('/_viewer/'.length);
  const slash = rest.indexOf('/');
  const domain = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '/' : rest.slice(slash);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join('; ') : v;
  return serveViewer(account, domain, path, headers);
}

/**
 * The error as answered, when its operation declares its code; otherwise an InternalFailure naming the emulator
 * bug, so a rule that drifts from the model fails loudly in whichever test reaches it.
 */
export function declaredOrBug(service: Service, op: Operation, err: ApiError): ApiError {
  if (!op.errors || op.errors.includes(err.code) || service.commonErrors?.includes(err.code)) return err;
  return new ApiError(
    'InternalFailure',
    `Emulator bug: ${op.name} answered ${err.code} (${err.message}), which its route does not declare.`,
    500,
    'Receiver',
  );
}

/** Starts listening on 127.0.0.1:`port` (0 = any free port). */
export async function listen(
  account: EmulatedAccount,
  controls: Controls,
  port: number,
): Promise<{ server: http.Server; url: string }> {
  const services: Service[] = [cloudFront(account), codePipeline(account), cloudWatch(account), s3(account)];

  const controlTable = controlRoutes(account, controls);

  /** An AWS API request: the first service whose table names it runs it, with the latency and any fault injected. */
  async function serveAwsRequest(req: ApiRequest): Promise<{ op: string; response: ApiResponse }> {
    let match: { service: Service; op: Operation } | undefined;
    for (const service of services) {
      const op = resolveOperation(service, req);
      if (op) {
        match = { service, op };
        break;
      }
    }
    if (!match) {
      const err = new ApiError('NotImplemented', `The emulator does not implement ${req.method} ${req.path}.`, 501);
      return { op: 'Unknown', response: services[services.length - 1]!.renderError(err) };
    }
    const { service, op } = match;
    if (controls.latencyMs > 0) await sleep(controls.latencyMs);
    const fault = controls.faults.take(op.name);
    try {
      if (fault) throw applyFault(op, fault);
      return { op: op.name, response: op.run() };
    } catch (e) {
      const err =
        e instanceof ApiError
          ? e
          : new ApiError('InternalFailure', e instanceof Error ? e.message : String(e), 500, 'Receiver');
      return { op: op.name, response: service.renderError(declaredOrBug(service, op, err)) };
    }
  }

  const server = http.createServer((req, res) => {
    const startMs = performance.now();
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let path = url.pathname;
      try {
        path = decodeURIComponent(path);
      } catch {
        // keep the raw path; the service will not find what it names
      }
      const apiReq: ApiRequest = {
        method: req.method ?? 'GET',
        path,
        query: url.searchParams,
        headers: req.headers,
        body: await readBody(req),
      };
      if (path.startsWith('/_emulator/')) return send(res, control(controlTable, apiReq), apiReq.method);
      if (path.startsWith('/_viewer/')) return send(res, viewer(account, apiReq), apiReq.method);
      const { op, response } = await serveAwsRequest(apiReq);
      res.on('finish', () =>
        controls.log.push({ operation: op, startMs, endMs: performance.now(), status: response.status }),
      );
      send(res, response, apiReq.method);
    })().catch((e: unknown) => {
      send(res, json(500, { message: e instanceof Error ? e.message : String(e) }), 'GET');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${bound}` };
}
