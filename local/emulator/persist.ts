/**
 * `npm run emulator -- --state <file>`: the emulated account saved to a JSON file and restored from it, so that a
 * restart finds what the last run left — distributions (config, ETag, when their propagation ends), policies,
 * buckets with their policies and objects, invalidations, job reports, the served requests the CloudWatch metrics
 * count, error rates, failing releases and the pipelines with their runs.
 *
 * Not saved: the emulator's settings (the command line sets them), armed faults, the request log, the edge caches
 * (a restart empties them, as a cold edge would be) and the random sources (they restart from `--seed`).
 *
 * A file someone else can write is input: it is checked field by field before anything is restored, and a file that
 * fails is refused with its name and the first wrong field, never half-loaded nor replaced by an empty account.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type {
  Bucket,
  DistributionRecord,
  EmulatedAccount,
  JobResult,
  PolicyRecord,
  ReleaseFailure,
  ServedRequest,
} from './account.js';
import type { InvalidationRecord } from './invalidations.js';
import type { ExecutionRecord, PipelineDeclaration } from './pipelines.js';

/** What the file's `format` says: a file of another kind or version is refused, not guessed at. */
export const STATE_FORMAT = 'cloudfront-cd-emulator-state/1';

interface SavedObject {
  key: string;
  /** The object's bytes, base64. */
  body: string;
  contentType: string;
  cacheControl?: string;
  expires?: string;
  etag: string;
  lastModified: number;
}

interface SavedPipeline {
  declaration: PipelineDeclaration;
  version: number;
  created: number;
  updated: number;
  executions: ExecutionRecord[];
}

/** The file's content. Times are the emulator clock's (epoch milliseconds). */
export interface SavedState {
  format: typeof STATE_FORMAT;
  savedAt: string;
  distributions: DistributionRecord[];
  policies: PolicyRecord[];
  buckets: { name: string; policy?: string; objects: SavedObject[] }[];
  invalidations: InvalidationRecord[];
  jobs: Record<string, JobResult[]>;
  served: ServedRequest[];
  errorRates: Record<string, number>;
  releaseFailures: Record<string, ReleaseFailure>;
  previousConfigShare: number | 'linear';
  pipelines: SavedPipeline[];
}

/** A state file that cannot be read or restored: the message names the file and what is wrong with it. */
export class StateFileError extends Error {
  override readonly name = 'StateFileError';
}

/** The account as a {@link SavedState}. */
export function saveAccount(account: EmulatedAccount): SavedState {
  return {
    format: STATE_FORMAT,
    savedAt: new Date(account.now()).toISOString(),
    distributions: [...account.distributions.values()].map((d) => structuredClone(d)),
    policies: [...account.policies.values()].map((p) => structuredClone(p)),
    buckets: [...account.buckets.values()].map((b) => ({
      name: b.name,
      ...(b.policy === undefined ? {} : { policy: b.policy }),
      objects: [...b.objects].map(([key, o]) => ({
        key,
        body: o.body.toString('base64'),
        contentType: o.contentType,
        ...(o.cacheControl === undefined ? {} : { cacheControl: o.cacheControl }),
        ...(o.expires === undefined ? {} : { expires: o.expires }),
        etag: o.etag,
        lastModified: o.lastModified,
      })),
    })),
    invalidations: [...account.invalidations.values()].flat().map((i) => ({ ...i, paths: [...i.paths] })),
    jobs: structuredClone(Object.fromEntries(account.jobs)),
    served: account.served.map((s) => ({ ...s })),
    errorRates: Object.fromEntries(account.errorRates),
    releaseFailures: Object.fromEntries([...account.releaseFailures].map(([k, v]) => [k, { ...v }])),
    previousConfigShare: account.previousConfigShare,
    pipelines: account.pipelines.snapshot().map((p) => {
      const r = account.pipelines.pipeline(p.name);
      return structuredClone({
        declaration: r.declaration,
        version: r.version,
        created: r.created,
        updated: r.updated,
        executions: r.executions,
      });
    }),
  };
}

/** Restores `saved` into a fresh account (one with no resources yet). */
export function restoreAccount(account: EmulatedAccount, saved: SavedState): void {
  for (const d of saved.distributions) account.distributions.set(d.id, structuredClone(d));
  for (const p of saved.policies) account.policies.set(p.id, structuredClone(p));
  for (const b of saved.buckets) {
    const bucket: Bucket = { name: b.name, objects: new Map() };
    if (b.policy !== undefined) bucket.policy = b.policy;
    for (const o of b.objects) {
      const { key, body, ...rest } = o;
      bucket.objects.set(key, { ...rest, body: Buffer.from(body, 'base64') });
    }
    account.buckets.set(b.name, bucket);
  }
  for (const i of saved.invalidations) {
    // The edge caches start empty and their write stamps from 1 again: every entry cached from now on was stored
    // after a saved invalidation, which must therefore remove none of them (stamp 0: before everything).
    const list = account.invalidations.get(i.distributionId) ?? [];
    list.push({ ...i, paths: [...i.paths], stamp: 0 });
    account.invalidations.set(i.distributionId, list);
  }
  for (const [jobId, results] of Object.entries(saved.jobs)) account.jobs.set(jobId, structuredClone(results));
  account.served.push(...saved.served.map((s) => ({ ...s })));
  for (const [id, rate] of Object.entries(saved.errorRates)) account.errorRates.set(id, rate);
  for (const [path, f] of Object.entries(saved.releaseFailures)) account.releaseFailures.set(path, { ...f });
  account.previousConfigShare = saved.previousConfigShare;
  for (const p of saved.pipelines) {
    account.pipelines.define(structuredClone(p.declaration));
    // The registry hands out its own record; the saved version, times and runs replace the fresh ones.
    Object.assign(account.pipelines.pipeline(p.declaration.name), {
      version: p.version,
      created: p.created,
      updated: p.updated,
      executions: structuredClone(p.executions),
    });
  }
}

/** Reads and checks a state file; undefined when there is none yet. */
export function readStateFile(file: string): SavedState | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new StateFileError(`state file ${file} cannot be read (${code ?? String(e)})`);
  }
  return parseStateFile(text, file);
}

/** Parses a state file's text; a {@link StateFileError} names `file` and the first thing wrong. */
export function parseStateFile(text: string, file: string): SavedState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new StateFileError(
      `state file ${file} is not JSON (${(e as Error).message}); ` +
        'fix it, or move it away to start from an empty emulator',
    );
  }
  try {
    checkSavedState(value);
  } catch (e) {
    if (!(e instanceof ShapeError)) throw e;
    throw new StateFileError(
      `state file ${file} is not an emulator state: ${e.message}; fix it, or move it away to start from an empty ` +
        'emulator',
    );
  }
  return value;
}

/**
 * Writes the state atomically: a temporary file in the same directory, then a rename over `file`, so that a crash
 * or a kill mid-write leaves the previous file whole, never a truncated one.
 */
export function writeStateFile(file: string, state: SavedState): void {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
    renameSync(temp, file);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
}

class ShapeError extends Error {}

type Check = (v: unknown, at: string) => void;

const fail = (at: string, what: string): never => {
  throw new ShapeError(`${at} ${what}`);
};
const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

const str: Check = (v, at) => {
  if (typeof v !== 'string') fail(at, `must be a string, got ${describe(v)}`);
};
const finite: Check = (v, at) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(at, `must be a number, got ${describe(v)}`);
};
const share: Check = (v, at) => {
  finite(v, at);
  if ((v as number) < 0 || (v as number) > 1) fail(at, `must be from 0 to 1, got ${String(v)}`);
};
const optional =
  (check: Check): Check =>
  (v, at) => {
    if (v !== undefined) check(v, at);
  };
const list =
  (check: Check): Check =>
  (v, at) => {
    if (!Array.isArray(v)) fail(at, `must be an array, got ${describe(v)}`);
    for (const [i, item] of (v as unknown[]).entries()) check(item, `${at}[${i}]`);
  };
const record =
  (check: Check): Check =>
  (v, at) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(at, `must be an object, got ${describe(v)}`);
    for (const [k, item] of Object.entries(v as object)) check(item, `${at}.${k}`);
  };
const object =
  (fields: Record<string, Check>): Check =>
  (v, at) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(at, `must be an object, got ${describe(v)}`);
    const o = v as Record<string, unknown>;
    for (const [k, check] of Object.entries(fields)) check(o[k], `${at}.${k}`);
  };
const oneOf =
  (...values: string[]): Check =>
  (v, at) => {
    if (typeof v !== 'string' || !values.includes(v)) fail(at, `must be one of ${values.join(', ')}, got ${String(v)}`);
  };

const xml: Check = (v, at) => {
  object({ name: str, text: optional(str), children: list(xml) })(v, at);
};
const distribution = object({
  id: str,
  arn: str,
  domainName: str,
  config: xml,
  etag: str,
  deployedAt: finite,
  lastModified: finite,
  lastDeployed: optional(object({ config: xml, changedAt: finite })),
});
const policy = object({ id: str, config: xml, etag: str, lastModified: finite });
const base64: Check = (v, at) => {
  str(v, at);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v as string)) fail(at, 'must be base64');
};
const bucketPolicy: Check = (v, at) => {
  str(v, at);
  try {
    JSON.parse(v as string);
  } catch {
    fail(at, 'must be a bucket policy in JSON');
  }
};
const bucket = object({
  name: str,
  policy: optional(bucketPolicy),
  objects: list(
    object({
      key: str,
      body: base64,
      contentType: str,
      cacheControl: optional(str),
      expires: optional(str),
      etag: str,
      lastModified: finite,
    }),
  ),
});
const invalidation = object({
  id: str,
  distributionId: str,
  callerReference: str,
  paths: list(str),
  createTime: finite,
  completeAt: finite,
  stamp: finite,
});
const jobResult: Check = (v, at) => {
  object({ kind: oneOf('success', 'failure') })(v, at);
  if ((v as { kind: string }).kind === 'success')
    object({ continuationToken: optional(str), outputVariables: optional(record(str)) })(v, at);
  else object({ type: str, message: str })(v, at);
};
const served = object({ time: finite, distributionId: str, status: finite });
const actionDeclaration = object({
  name: str,
  kind: oneOf('invoke', 'approval', 'custom'),
  configuration: optional(record(str)),
  namespace: optional(str),
});
const declaration = object({
  name: str,
  stages: list(object({ name: str, actions: list(actionDeclaration) })),
});
const actionExecution = object({
  actionExecutionId: str,
  pipelineExecutionId: str,
  stageName: str,
  actionName: str,
  kind: oneOf('invoke', 'approval', 'custom'),
  actionTypeId: object({ category: str, owner: str, provider: str, version: str }),
  configuration: record(str),
  resolvedConfiguration: record(str),
  status: oneOf('InProgress', 'Abandoned', 'Succeeded', 'Failed'),
  startTime: finite,
  lastUpdateTime: finite,
});
const execution = object({
  pipelineExecutionId: str,
  pipelineName: str,
  pipelineVersion: finite,
  status: oneOf('InProgress', 'Stopped', 'Succeeded', 'Failed'),
  startTime: finite,
  lastUpdateTime: finite,
  actions: list(actionExecution),
});
const pipeline = object({
  declaration,
  version: finite,
  created: finite,
  updated: finite,
  executions: list(execution),
});

function checkSavedState(v: unknown): asserts v is SavedState {
  object({ format: str })(v, 'the file');
  const format = (v as { format: string }).format;
  if (format !== STATE_FORMAT) fail('format', `must be "${STATE_FORMAT}", got "${format}"`);
  object({
    savedAt: str,
    distributions: list(distribution),
    policies: list(policy),
    buckets: list(bucket),
    invalidations: list(invalidation),
    jobs: record(list(jobResult)),
    served: list(served),
    errorRates: record(share),
    releaseFailures: record(object({ share5xx: share, status: finite })),
    previousConfigShare: (x, at) => (x === 'linear' ? undefined : share(x, at)),
    pipelines: list(pipeline),
  })(v, 'state');
  const ids = new Set((v as SavedState).distributions.map((d) => d.id));
  for (const [n, i] of (v as SavedState).invalidations.entries())
    if (!ids.has(i.distributionId))
      fail(`state.invalidations[${n}].distributionId`, `names ${i.distributionId}, which is not a saved distribution`);
}

/** Saves after changes: `changed()` schedules a save `debounceMs` later (a burst of changes, one write). */
export interface StateSaver {
  changed(): void;
  /** Writes now if anything changed since the last write (on exit). */
  flush(): void;
}

/**
 * A saver of `take()` to `file`: at most one write per `debounceMs`, and none when the state is what the file
 * already holds (a read-only request changes nothing). `onError` hears a failed write; the next change retries.
 */
export function stateSaver(
  file: string,
  take: () => SavedState,
  { debounceMs, onError }: { debounceMs: number; onError: (e: Error) => void },
): StateSaver {
  let timer: NodeJS.Timeout | undefined;
  let written = '';
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const state = take();
    // savedAt always moves: compare what the file would hold apart from it.
    const content = JSON.stringify({ ...state, savedAt: '' });
    if (content === written) return;
    try {
      writeStateFile(file, state);
      written = content;
    } catch (e) {
      onError(e as Error);
    }
  };
  return {
    changed: () => {
      timer ??= setTimeout(flush, debounceMs);
    },
    flush,
  };
}
