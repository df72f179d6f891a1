/**
 * A local emulator of the AWS control plane this project uses (CloudFront continuous deployment, S3 bucket
 * policies and objects, CodePipeline job reports, CloudWatch GetMetricData) plus a CloudFront-like data plane.
 * It speaks the real wire protocols, so unmodified SDK v3 clients and the AWS CLI reach it through
 * AWS_ENDPOINT_URL alone. Signatures are not checked.
 */
import type http from 'node:http';
import type { FaultSpec } from './faults.js';
import { Controls, listen, stateOf, type RequestLogEntry } from './server.js';
import type { EmulatorState } from './state-dump.js';
import { EmulatedAccount, type JobResult } from './account.js';
import { setErrorRate, setPreviousConfigShare } from './control.js';
import { setReleaseFailure } from './dataplane.js';
import { checkFault } from './faults.js';
import { checkInteger, LIMITS } from './limits.js';
import type { PipelineDeclaration, PipelineRun } from './pipelines.js';
import { restoreAccount, saveAccount, type SavedState } from './persist.js';

export type { FaultSpec } from './faults.js';
export { ControlError } from './control-body.js';
export { LIMITS } from './limits.js';
export type { RequestLogEntry } from './server.js';
export type {
  CacheSummary,
  DistributionSummary,
  EmulatorState,
  InvalidationSummary,
  PolicySummary,
} from './state-dump.js';
export type { PipelineSummary } from './pipelines.js';
export type { JobResult } from './account.js';
export type { SavedState } from './persist.js';
export type {
  ActionDeclaration,
  ActionKind,
  ActionRun,
  ApprovalOutcome,
  ApprovalRun,
  PipelineDeclaration,
  PipelineRun,
} from './pipelines.js';

/**
 * CodePipeline's pipeline state, which the local runner fills in-process (the emulator runs no pipelines):
 * GetPipelineState, PutApprovalResult and ListActionExecutions answer from it. See README.md.
 */
export interface LocalPipelines {
  /** Declares a pipeline's stages and actions; declaring it again makes a new pipeline version. */
  define(declaration: PipelineDeclaration): void;
  /** A new run of a declared pipeline: start its actions and approvals through the handle. */
  startExecution(pipelineName: string): PipelineRun;
}

export interface EmulatorOptions {
  /** Port on 127.0.0.1; default 0 (any free port). Bounds of every number: limits.ts (a RangeError outside). */
  port?: number;
  /** How long a distribution stays InProgress after each change; default 0 (`npm run emulator`: 5000). */
  propagationMs?: number;
  /** How long an invalidation stays InProgress before it is Completed; default 0 (`npm run emulator`: 5000). */
  invalidationMs?: number;
  /** Latency added to every AWS API request (not the data plane); default 0. */
  latencyMs?: number;
  /** Seed of the routing and fault random source (and, apart, of the edge's draws); default 1. */
  seed?: number;
  accountId?: string;
  region?: string;
  /** The clock for status propagation, timestamps and metrics; default Date.now. */
  now?: () => number;
  /** An account saved by {@link Emulator.saved} (persist.ts: a state file, checked), restored before listening. */
  restore?: SavedState;
}

export interface ViewerResponse {
  status: number;
  body: string;
  /** The distribution id that served the request (`x-emulator-distribution-id`). */
  servedBy?: string;
  setCookie?: string;
  /** `x-cache`: whether the distribution's edge cache answered; absent when no distribution serves the domain. */
  xCache?: 'Hit from cloudfront' | 'Miss from cloudfront';
  /** `age`: seconds since the cached object was stored; hits only. */
  age?: number;
  /** `x-emulator-origin-path`: the origin path the object was fetched with (which release answered). */
  originPath?: string;
}

export interface Emulator {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Variables that point SDK v3 and the AWS CLI at the emulator. */
  env: Record<string, string>;
  close(): Promise<void>;
  state(): EmulatorState;
  /** The account as a state file holds it (persist.ts), for `--state`. */
  saved(): SavedState;
  /** Calls `listener` after every request the emulator has answered (what may have changed the account). */
  onRequestDone(listener: () => void): void;
  /** Every distribution Deployed and every invalidation Completed, now. */
  settle(): void;
  setPropagationMs(ms: number): void;
  /** How long an invalidation stays InProgress (LIMITS.invalidationMs). */
  setInvalidationMs(ms: number): void;
  /**
   * The share of requests a distribution that is InProgress fetches with the config it last had Deployed: a number
   * from 0 to 1 (e.g. 1 for a deterministic test), or `linear` (the default: from 1 at the change to 0 at Deployed).
   */
  setPreviousConfigShare(share: number | 'linear'): void;
  /** Empties every distribution's edge cache (`DELETE /_emulator/cache`). */
  clearCache(): void;
  setLatencyMs(ms: number): void;
  /** Arms a fault (checked as `POST /_emulator/fault` checks it: a ControlError names what is wrong). */
  injectFault(f: FaultSpec): void;
  /** Disarms every fault (`DELETE /_emulator/fault`). */
  clearFaults(): void;
  /** Makes `fraction` of the distribution's viewer responses 503 (seeded); 0 clears it. */
  setErrorRate(distributionId: string, fraction: number): void;
  /**
   * A failing release: `share5xx` (0–1) of the viewer requests served from `originPath` (by any distribution: the
   * staging under review, or a primary it was promoted to) answer `status` (default 500), seeded; 0 heals it. With
   * `paths`, only requests whose path starts with one of them fail (a release that fails only at full traffic).
   */
  setReleaseFailure(originPath: string, share5xx: number, status?: number, paths?: readonly string[]): void;
  /**
   * Moves the viewer traffic served so far `ms` into the past, as if that much time had passed since: a run that
   * compresses minutes of releases into seconds uses it between releases, so that CloudWatch's figures of the next
   * canary (1-minute periods) are its own and not the previous canary's.
   */
  ageTraffic(ms: number): void;
  /**
   * Moves the emulator's clock `ms` ahead (on top of `now`), for good: propagation, invalidations, timestamps and
   * metrics see the later time. A run that gives minutes of virtual time to functions (their `clockOffsetMs`)
   * moves this clock alike, so both read the same time.
   */
  advanceClock(ms: number): void;
  /** The accepted reports for a job, in order. */
  jobResults(jobId: string): JobResult[];
  /** CodePipeline's pipelines, executions and approvals, as the local runner registers them. */
  pipelines: LocalPipelines;
  requestLog(): RequestLogEntry[];
  clearRequestLog(): void;
  /** A viewer request through the data plane (`GET /_viewer/<domainName><path>`). */
  viewer(domainName: string, path: string, init?: { headers?: Record<string, string> }): Promise<ViewerResponse>;
}

/** Starts an emulator on 127.0.0.1. */
export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const region = opts.region ?? 'us-east-1';
  const clock = opts.now ?? Date.now;
  let advancedMs = 0;
  const account = new EmulatedAccount({
    propagationMs: checkInteger('propagationMs', opts.propagationMs ?? 0, LIMITS.propagationMs),
    invalidationMs: checkInteger('invalidationMs', opts.invalidationMs ?? 0, LIMITS.invalidationMs),
    seed: checkInteger('seed', opts.seed ?? 1, LIMITS.seed),
    accountId: opts.accountId ?? '123456789012',
    region,
    now: () => clock() + advancedMs,
  });
  if (opts.restore) restoreAccount(account, opts.restore);
  const controls = new Controls(checkInteger('latencyMs', opts.latencyMs ?? 0, LIMITS.latencyMs));
  const { server, url, operations } = await listen(
    account,
    controls,
    checkInteger('port', opts.port ?? 0, LIMITS.port),
  );
  const requestListeners: (() => void)[] = [];
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.once('close', () => {
      for (const listener of requestListeners) listener();
    });
  });
  return {
    url,
    env: {
      AWS_ENDPOINT_URL: url,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    },
    close: () => closeServer(server),
    state: () => stateOf(account, controls),
    saved: () => saveAccount(account),
    onRequestDone: (listener) => {
      requestListeners.push(listener);
    },
    settle: () => account.settle(),
    setPropagationMs: (ms) => {
      account.opts.propagationMs = checkInteger('propagationMs', ms, LIMITS.propagationMs);
    },
    setInvalidationMs: (ms) => {
      account.opts.invalidationMs = checkInteger('invalidationMs', ms, LIMITS.invalidationMs);
    },
    setPreviousConfigShare: (share) => setPreviousConfigShare(account, { previousConfigShare: share }),
    clearCache: () => account.caches.clear(),
    setLatencyMs: (ms) => {
      controls.latencyMs = checkInteger('latencyMs', ms, LIMITS.latencyMs);
    },
    injectFault: (f) => controls.faults.inject(checkFault(f, operations)),
    clearFaults: () => controls.faults.clear(),
    setErrorRate: (distributionId, fraction) => setErrorRate(account, { distributionId, fraction }),
    setReleaseFailure: (originPath, share5xx, status, paths) =>
      setReleaseFailure(account, originPath, share5xx, status, paths),
    ageTraffic: (ms) => {
      if (!Number.isInteger(ms) || ms < 0)
        throw new RangeError(`ageTraffic: ms must be a whole number >= 0, got ${ms}`);
      for (const r of account.served) r.time -= ms;
    },
    advanceClock: (ms) => {
      if (!Number.isInteger(ms) || ms < 0)
        throw new RangeError(`advanceClock: ms must be a whole number >= 0, got ${ms}`);
      advancedMs += ms;
    },
    jobResults: (jobId) => [...(account.jobs.get(jobId) ?? [])],
    pipelines: {
      define: (declaration) => account.pipelines.define(declaration),
      startExecution: (name) => account.pipelines.startExecution(name),
    },
    requestLog: () => [...controls.log],
    clearRequestLog: () => {
      controls.log.length = 0;
    },
    viewer: async (domainName, path, init) => {
      const res = await fetch(`${url}/_viewer/${domainName}${path.startsWith('/') ? path : `/${path}`}`, {
        headers: init?.headers ?? {},
      });
      const out: ViewerResponse = { status: res.status, body: await res.text() };
      const servedBy = res.headers.get('x-emulator-distribution-id');
      const setCookie = res.headers.get('set-cookie');
      const xCache = res.headers.get('x-cache');
      const age = res.headers.get('age');
      const originPath = res.headers.get('x-emulator-origin-path');
      if (servedBy) out.servedBy = servedBy;
      if (setCookie) out.setCookie = setCookie;
      if (xCache === 'Hit from cloudfront' || xCache === 'Miss from cloudfront') out.xCache = xCache;
      if (age !== null) out.age = Number(age);
      if (originPath !== null) out.originPath = originPath;
      return out;
    },
  };
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // SDK clients keep connections alive; without this, close() waits for them to time out.
    server.closeAllConnections();
  });
}
