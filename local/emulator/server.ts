/**
 * The HTTP front door: dispatches by request shape to the AWS services (CloudFront REST-XML under /2020-05-31,
 * JSON services by X-Amz-Target, S3 path-style for the rest; each service's route table names its operations, see
 * routes.ts), the viewer data plane (/_viewer) and the control endpoints (/_emulator, control.ts). Adds latency and
 * injected faults to AWS API calls, and logs their timing. At the door it refuses what a web page could send it
 * (another Host, a foreign Origin, a cross-site fetch) and a body over {@link MAX_BODY_BYTES}, before reading it.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { cloudFront } from './cloudfront.js';
import { cloudFormation } from './cloudformation.js';
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

/**
 * The largest request body the emulator reads: 5 MiB. Its biggest real bodies are a bucket policy (20 KB at most in
 * S3) and the site's objects; without a limit one request of 300 MB took the process to 957 MB.
 */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

/** How long an idle client connection stays open: longer than any pause of the local tools between two calls. */
export const KEEP_ALIVE_MS = 120_000;

/**
 * The request's body, or undefined once it exceeds `limit` bytes — by its Content-Length, before a byte is read, or
 * while it streams in. Reading then stops: the request stays paused and its connection is closed with the answer.
 */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      req.pause();
      resolve(undefined);
      return;
    }
    let chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= limit) {
        chunks.push(c);
        return;
      }
      req.off('data', onData);
      req.pause();
      chunks = [];
      resolve(undefined);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** How long a refused request's connection may keep sending after the answer before it is cut. */
const LINGER_MS = 2_000;

/**
 * Closes a refused request's connection gently. Its body is left unread, and closing a socket with unread bytes
 * sends a reset, which can make the client's system drop our answer before the client reads it. So after the answer
 * the server only half-closes (FIN), drops what still comes in (Node's parser discards a dumped request's body),
 * and cuts the connection once the client closes its side, or after {@link LINGER_MS}.
 */
function lingerAfterAnswer(socket: Socket): void {
  socket.destroySoon = () => {
    socket.end();
    const cut = setTimeout(() => socket.destroy(), LINGER_MS);
    cut.unref();
    socket.once('close', () => clearTimeout(cut));
  };
}

/** `127.0.0.1`, `localhost` or `[::1]`, with or without a port: the names a client of this machine's emulator uses. */
const LOOPBACK_HOST = /^(?:127\.0\.0\.1|localhost|\[::1\])(?::\d{1,5})?$/i;
/** An Origin on this machine: a page served from loopback (a local tool's UI), any port. */
const LOOPBACK_ORIGIN = /^https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\])(?::\d{1,5})?$/i;

/**
 * Why a request that did not come from this machine's own tools is refused (403), or undefined. The emulator has no
 * credentials to check, so a web page the developer visits could drive it: a form's cross-site POST (CSRF) carries the
 * page's `Origin`, and a DNS-rebinding page reaches 127.0.0.1 under its own name in `Host`. The SDK clients, the AWS
 * CLI, curl and Node's fetch send `Host: 127.0.0.1:<port>` and no Origin. A browser's cross-site request without an
 * Origin (an image, a script) still says `Sec-Fetch-Site: cross-site` or `same-site`; a page on this machine says
 * `same-origin` (or `none`, typed into the address bar).
 */
export function refusedAtTheDoor(headers: http.IncomingHttpHeaders): string | undefined {
  const host = headers.host;
  if (host === undefined || !LOOPBACK_HOST.test(host))
    return (
      'The emulator answers only requests addressed to 127.0.0.1 or localhost, ' +
      `not ${host === undefined ? 'one without Host' : `Host ${cut(host)}`}.`
    );
  const origin = headers.origin;
  if (origin !== undefined && !LOOPBACK_ORIGIN.test(origin))
    return `The emulator answers no request from a web page of another origin (Origin ${cut(origin)}).`;
  const site = headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site')
    return `The emulator answers no request a web page of another site made (Sec-Fetch-Site ${site}).`;
  return undefined;
}

/** A header value as a refusal quotes it: JSON, at most 80 characters. */
function cut(value: string): string {
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
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
  const services: Service[] = [
    cloudFront(account),
    codePipeline(account),
    cloudWatch(account),
    cloudFormation(account),
    s3(account),
  ];
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

  /** A request refused before its body is read, in the wire shape of whatever it addresses. */
  function refuse(req: ApiRequest, err: ApiError): ApiResponse {
    const plain = req.path.startsWith('/_emulator/') || req.path.startsWith('/_viewer/');
    const service = plain ? undefined : (services.find((s) => resolveOperation(s, req)) ?? services.at(-1));
    const response = service ? service.renderError(err) : json(err.status, { message: err.message });
    // The body is left unread: the connection cannot carry another request.
    return { ...response, headers: { ...response.headers, connection: 'close' } };
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
      const head = { method: req.method ?? 'GET', path, query: url.searchParams, headers: req.headers };
      const refusal = refusedAtTheDoor(req.headers);
      if (refusal !== undefined) {
        if (res.socket) lingerAfterAnswer(res.socket);
        return send(
          res,
          refuse({ ...head, body: Buffer.alloc(0) }, new ApiError('AccessDenied', refusal, 403)),
          head.method,
        );
      }
      const body = await readBody(req, MAX_BODY_BYTES);
      if (body === undefined) {
        if (res.socket) lingerAfterAnswer(res.socket);
        const err = new ApiError(
          'RequestEntityTooLarge',
          `The request body exceeds the emulator's limit of ${MAX_BODY_BYTES} bytes.`,
          413,
        );
        return send(res, refuse({ ...head, body: Buffer.alloc(0) }, err), head.method);
      }
      const apiReq: ApiRequest = { ...head, body };
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
  // AWS endpoints keep an idle connection for minutes; Node's server closes it after 5 s. An SDK client that reuses
  // a pooled connection just as the server closes it gets "socket hang up", and when every pooled connection went idle
  // together its retries can meet only closed ones (npm start's last bucket-policy read did, once, under load).
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${bound}`, operations };
}
