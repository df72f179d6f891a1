/**
 * The HTTP front door: dispatches by request shape to the AWS services (CloudFront REST-XML under /2020-05-31,
 * JSON services by X-Amz-Target, S3 path-style for the rest; each service's route table names its operations, see
 * routes.ts), the viewer data plane (/_viewer) and the control endpoints (/_emulator, control.ts). Adds latency and
 * injected faults to AWS API calls, and logs their timing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { cloudFront } from './cloudfront.js';
import { cloudWatch } from './cloudwatch.js';
import { codePipeline } from './codepipeline.js';
import { control, controlRoutes } from './control.js';
import { serveViewer } from './dataplane.js';
import { ApiError } from './errors.js';
import { Faults, applyFault, type OperationCatalogue } from './faults.js';
import type { ApiRequest, ApiResponse, Operation, Service } from './protocol.js';
import { resolveOperation } from './routes.js';
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

/** Every operation the services implement, and whether it writes with If-Match (what fault injection checks). */
function catalogue(services: Service[]): OperationCatalogue {
  const ops = new Map<string, { ifMatch: boolean }>();
  for (const s of services) for (const r of s.routes) ops.set(r.operation, { ifMatch: r.bumpEtag !== undefined });
  return ops;
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
  return serveViewer(account, domain, path, req.query.toString(), headers);
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

/** What one AWS API request came to: an answer, or a connection dropped without one (an injected reset). */
type Served = { op: string; response: ApiResponse } | { op: string; reset: true };

/** The AWS services, first match wins (S3 matches everything path-style, so it comes last), and their operations. */
export function awsServices(account: EmulatedAccount): { services: Service[]; operations: OperationCatalogue } {
  const services: Service[] = [cloudFront(account), codePipeline(account), cloudWatch(account), s3(account)];
  return { services, operations: catalogue(services) };
}

/** Starts listening on 127.0.0.1:`port` (0 = any free port). */
export async function listen(
  account: EmulatedAccount,
  controls: Controls,
  port: number,
): Promise<{ server: http.Server; url: string; operations: OperationCatalogue }> {
  const { services, operations } = awsServices(account);
  const controlTable = controlRoutes(account, controls, operations);

  /** An AWS API request: the first service whose table names it runs it, with the latency and any fault injected. */
  async function serveAwsRequest(req: ApiRequest): Promise<Served> {
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
    const outcome = fault ? applyFault(op, fault) : undefined;
    if (outcome?.kind === 'reset') return { op: op.name, reset: true };
    if (outcome?.kind === 'late') await sleep(outcome.delayMs);
    // An injected error is the test's choice, not a rule of the emulator's: it is answered as injected.
    if (outcome?.kind === 'error') return { op: op.name, response: service.renderError(outcome.error) };
    try {
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
      const served = await serveAwsRequest(apiReq);
      if ('reset' in served) {
        // Status 0: no answer reached the client.
        controls.log.push({ operation: served.op, startMs, endMs: performance.now(), status: 0 });
        res.socket?.destroy();
        return;
      }
      res.on('finish', () =>
        controls.log.push({ operation: served.op, startMs, endMs: performance.now(), status: served.response.status }),
      );
      send(res, served.response, apiReq.method);
    })().catch((e: unknown) => {
      send(res, json(500, { message: e instanceof Error ? e.message : String(e) }), 'GET');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${bound}`, operations };
}
