/**
 * One local Lambda worker's way to AWS during a chaos run: an HTTP proxy on 127.0.0.1 between that worker and the
 * emulator. For each request it asks the fault planner what to do — nothing; arm an emulator fault for exactly this
 * call (throttling, a 5xx, a concurrent writer's 412, a reset after the write, a late answer); or kill the worker
 * once the emulator has applied its write — and records what every report and promotion was answered.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultSpec } from '../emulator/index.js';
import { callOf, type Call } from './operations.js';

/** What the planner wants done to one request. */
export type Interference =
  /**
   * Arm `fault` in the emulator for this call and, while `times` lasts, for this worker's next calls of the same
   * operation: armed one call at a time, right before it is forwarded, so no other caller meets it.
   */
  | { kind: 'emulator'; fault: FaultSpec; times: number }
  /** Forward it; once the emulator answered (the write is applied), kill the worker instead of answering. */
  | { kind: 'kill-after' }
  | undefined;

/** One request the proxy passed on, with what came back. */
export interface ProxiedCall extends Call {
  worker: string;
  /** `If-Match` as sent. */
  ifMatchValue: string | undefined;
  /** The emulator's HTTP status; 0 when the connection was reset or the worker killed. */
  status: number;
  /** The AWS error code in the answer, if any. */
  errorCode: string | undefined;
  startMs: number;
  endMs: number;
}

export interface ProxyHooks {
  decide(call: Call & { worker: string }): Interference;
  /** Arms a fault in the emulator (for exactly the next calls of its operation). */
  arm(fault: FaultSpec): void;
  /** Kills the worker behind this proxy. */
  kill(): void;
  record(call: ProxiedCall): void;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The AWS error code of an answer: JSON `__type`, or XML `<Code>`. */
function errorCodeOf(status: number, body: string): string | undefined {
  if (status < 300) return undefined;
  const json = /"__type"\s*:\s*"(?:[^"#]*#)?([^"]+)"/.exec(body)?.[1];
  return json ?? /<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? `HTTP ${status}`;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function forward(target: URL, req: http.IncomingMessage, body: Buffer): Promise<Answer | undefined> {
  return new Promise((resolve) => {
    const out = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', () => resolve(undefined));
      },
    );
    // The emulator dropped the connection (a ConnectionReset fault): so does the proxy.
    out.on('error', () => resolve(undefined));
    out.end(body);
  });
}

/** Starts a proxy to `target` (the emulator) for the worker called `worker`. */
export async function startProxy(
  target: string,
  worker: string,
  hooks: ProxyHooks,
): Promise<{ url: string; close(): Promise<void> }> {
  const to = new URL(target);
  /** Bursts under way, by operation: the fault and how many more of this worker's calls it takes. */
  const bursts = new Map<string, { fault: FaultSpec; remaining: number }>();
  const server = http.createServer((req, res) => {
    void (async () => {
      const startMs = performance.now();
      const body = await readBody(req);
      const url = new URL(req.url ?? '/', target);
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]),
      );
      const call = callOf(req.method ?? 'GET', url, headers, body.toString('utf8'));
      const burst = bursts.get(call.operation);
      const interference = burst
        ? ({ kind: 'emulator', fault: burst.fault, times: burst.remaining } as const)
        : url.pathname.startsWith('/_')
          ? undefined
          : hooks.decide({ ...call, worker });
      if (interference?.kind === 'emulator') {
        hooks.arm({ ...interference.fault, times: 1 });
        if (interference.times > 1)
          bursts.set(call.operation, { fault: interference.fault, remaining: interference.times - 1 });
        else bursts.delete(call.operation);
      }
      const answer = await forward(to, req, body);
      const recorded: ProxiedCall = {
        ...call,
        worker,
        ifMatchValue: headers['if-match'],
        status: answer?.status ?? 0,
        errorCode: answer ? errorCodeOf(answer.status, answer.body.toString('utf8')) : 'ConnectionReset',
        startMs,
        endMs: performance.now(),
      };
      if (interference?.kind === 'kill-after') {
        hooks.record({ ...recorded, status: 0, errorCode: 'WorkerKilled' });
        hooks.kill();
        res.socket?.destroy();
        return;
      }
      hooks.record(recorded);
      if (!answer) return void res.socket?.destroy();
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    })().catch(() => res.socket?.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
