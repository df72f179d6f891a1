/**
 * CloudFront invalidations: what was invalidated since a distribution's last change, and CreateInvalidation.
 * ListInvalidations answers newest first with summaries (id, status, create time); the paths come from
 * GetInvalidation, read only for the few invalidations made since the change.
 */
import {
  CreateInvalidationCommand,
  GetInvalidationCommand,
  ListInvalidationsCommand,
  type InvalidationSummary,
} from '@aws-sdk/client-cloudfront';
import {
  type CacheState,
  type InvalidateChange,
  type InvalidationRecord,
  invalidationCallerReference,
} from '../domain/invalidation.js';
import type { DistributionState } from '../domain/resources.js';
import type { Logger } from '../log.js';
import type { WriteResult } from './apply-plan.js';
import { awsCall, awsErrorOf } from './call.js';
import { cloudFront } from './clients/cloudfront.js';

/** Pages of ListInvalidations read at most: more than 500 invalidations since one config change is not a release. */
const MAX_PAGES = 5;
/** GetInvalidation calls made side by side: the newest invalidations since the change are the likeliest ours. */
const MAX_DETAILS = 10;
/** Invalidations made before the distribution's last change that are looked into (see listSince). */
const OLDER_LOOKS = 3;

type ListPage = { items: InvalidationSummary[]; next: string | undefined };

async function listPage(distributionId: string, marker: string | undefined): Promise<ListPage> {
  const out = await awsCall('ListInvalidations', `distribution ${distributionId}`, () =>
    cloudFront().send(
      new ListInvalidationsCommand({ DistributionId: distributionId, ...(marker ? { Marker: marker } : {}) }),
    ),
  );
  const list = out.InvalidationList;
  return { items: list?.Items ?? [], next: list?.IsTruncated && list.NextMarker ? list.NextMarker : undefined };
}

/**
 * The invalidations of a distribution created at or after `since` (all of them, if CloudFront gave no time), from a
 * first page already requested; and the newest few created before it, where ours can be when the distribution's
 * last-change time moved without its config changing (a policy update does that, in the emulator at least).
 */
async function listSince(distributionId: string, first: Promise<ListPage>, since: Date | undefined) {
  const recent: InvalidationSummary[] = [];
  let page = await first;
  for (let read = 1; ; read++) {
    const isRecent = (s: InvalidationSummary) =>
      !since || (s.CreateTime !== undefined && s.CreateTime.getTime() >= since.getTime());
    const onPage = page.items.filter(isRecent);
    recent.push(...onPage);
    // Newest first: once an item is older than the change, every later one is too.
    if (onPage.length < page.items.length)
      return { recent, older: page.items.filter((s) => !isRecent(s)).slice(0, OLDER_LOOKS) };
    if (!page.next || read >= MAX_PAGES) return { recent, older: [] };
    page = await listPage(distributionId, page.next);
  }
}

async function readInvalidation(distributionId: string, id: string): Promise<InvalidationRecord> {
  const resource = `invalidation ${id} of distribution ${distributionId}`;
  const out = await awsCall('GetInvalidation', resource, () =>
    cloudFront().send(new GetInvalidationCommand({ DistributionId: distributionId, Id: id })),
  );
  const inv = out.Invalidation;
  if (!inv?.Id || !inv.Status || !inv.CreateTime)
    throw new Error(`GetInvalidation on ${resource} returned no id, status or create time`);
  return {
    id: inv.Id,
    status: inv.Status,
    createTime: inv.CreateTime,
    paths: inv.InvalidationBatch?.Paths?.Items ?? [],
    callerReference: inv.InvalidationBatch?.CallerReference ?? '',
  };
}

/** GetInvalidation; undefined for an id CloudFront does not know (a remembered id that was never ours). */
async function readIfExists(distributionId: string, id: string): Promise<InvalidationRecord | undefined> {
  try {
    return await readInvalidation(distributionId, id);
  } catch (err) {
    if (awsErrorOf(err).name === 'NoSuchInvalidation') return undefined;
    throw err;
  }
}

/**
 * A read of a distribution's cache state in two steps, so that its first request (ListInvalidations, which needs no
 * other answer) goes out beside the distribution's own read: `finish` then looks for ours for the config it serves
 * now and `paths` (the CallerReference {@link invalidationCallerReference} makes). It reads the invalidations made
 * at or after the distribution's last change (paths and CallerReference, from GetInvalidation), newest first, in
 * batches of {@link MAX_DETAILS} until ours turns up — others' made since (a CMS invalidating single pages) cannot
 * hide it — then the newest few made before the change (a change that was not to the config, such as a policy update,
 * moves the time but not the ETag ours names), and `remembered`: an id an earlier invocation of the job created, read
 * again here (a token is a bookmark: only CloudFront's answer counts). When `finish` is never called, a failure of
 * the first request is dropped: it did not matter.
 */
export function startCacheRead(distributionId: string): CacheRead {
  const first = listPage(distributionId, undefined);
  first.catch(() => undefined);
  return {
    async finish(distribution, paths, remembered) {
      const ours = (inv: InvalidationRecord) =>
        inv.callerReference === invalidationCallerReference(distribution, paths);
      const { recent, older } = await listSince(distributionId, first, distribution.lastModified);
      const idsOf = (list: InvalidationSummary[]) => list.flatMap((s) => (s.Id ? [s.Id] : []));
      const ids = [...new Set([...(remembered ? [remembered] : []), ...idsOf(recent)])];
      const since: InvalidationRecord[] = [];
      for (let at = 0; at < ids.length; at += MAX_DETAILS) {
        const batch = ids.slice(at, at + MAX_DETAILS);
        since.push(...(await Promise.all(batch.map((id) => readIfExists(distributionId, id)))).flatMap((i) => i ?? []));
        if (since.some(ours)) return { distributionId, since };
      }
      const before = await Promise.all(
        idsOf(older)
          .filter((id) => !ids.includes(id))
          .map((id) => readIfExists(distributionId, id)),
      );
      return { distributionId, since: [...since, ...before.flatMap((i) => (i && ours(i) ? [i] : []))] };
    },
  };
}

/** The latest invalidation of a distribution, whatever its age (for `cfcd status`); undefined when it has none. */
export async function readLatestInvalidation(distributionId: string): Promise<InvalidationRecord | undefined> {
  const out = await awsCall('ListInvalidations', `distribution ${distributionId}`, () =>
    cloudFront().send(new ListInvalidationsCommand({ DistributionId: distributionId, MaxItems: 1 })),
  );
  const latest = out.InvalidationList?.Items?.[0];
  return latest?.Id ? readInvalidation(distributionId, latest.Id) : undefined;
}

/** How a CreateInvalidation ended: made (or found, for a repeated CallerReference), or refused for now. */
export type InvalidationCreated =
  | { kind: 'created'; invalidation: InvalidationRecord }
  | { kind: 'deferred'; reason: string };

/** Why an invalidation of `resource` waits: CloudFront's in-progress limit, other invalidations included. */
export function tooManyInvalidations(resource: string): string {
  return (
    `CloudFront refused the invalidation of ${resource} with TooManyInvalidationsInProgress ` +
    '(at most 3,000 file paths or 15 wildcard paths in progress per distribution, other invalidations included)'
  );
}

/** A read of a distribution's invalidations whose first request is already out. */
export interface CacheRead {
  finish(distribution: DistributionState, paths: string[], remembered?: string): Promise<CacheState>;
}

/**
 * CreateInvalidation. `TooManyInvalidationsInProgress` (more than 3,000 file paths or 15 wildcard paths in progress
 * on the distribution, other invalidations included) is not a failure but a wait: the caller retries on its next
 * invocation, within its MaxWaitMinutes.
 */
export async function createInvalidation(change: InvalidateChange): Promise<InvalidationCreated> {
  const resource = `distribution ${change.distributionId}`;
  try {
    const out = await awsCall('CreateInvalidation', resource, () =>
      cloudFront().send(
        new CreateInvalidationCommand({
          DistributionId: change.distributionId,
          InvalidationBatch: {
            CallerReference: change.callerReference,
            Paths: { Quantity: change.paths.length, Items: change.paths },
          },
        }),
      ),
    );
    const inv = out.Invalidation;
    if (!inv?.Id || !inv.Status || !inv.CreateTime)
      throw new Error(`CreateInvalidation on ${resource} returned no id, status or create time`);
    return {
      kind: 'created',
      invalidation: {
        id: inv.Id,
        status: inv.Status,
        createTime: inv.CreateTime,
        paths: change.paths,
        callerReference: change.callerReference,
      },
    };
  } catch (err) {
    if (awsErrorOf(err).name !== 'TooManyInvalidationsInProgress') throw err;
    return { kind: 'deferred', reason: tooManyInvalidations(resource) };
  }
}

/**
 * {@link createInvalidation} with its log line: the `write` (with the invalidation's id) or, for
 * TooManyInvalidationsInProgress, a WARN `invalidation-deferred` saying the next invocation tries again.
 */
export async function invalidateLogged(change: InvalidateChange, log: Logger): Promise<InvalidationCreated> {
  const created = await createInvalidation(change);
  if (created.kind === 'deferred') {
    log.warn('invalidation-deferred', { distributionId: change.distributionId, reason: created.reason });
    return created;
  }
  log.info('write', {
    change: change.kind,
    operation: 'CreateInvalidation',
    distributionId: change.distributionId,
    invalidationId: created.invalidation.id,
    status: created.invalidation.status,
    paths: change.paths,
    callerReference: change.callerReference,
    reason: change.reason,
  });
  return created;
}

/**
 * The invalidation as a planned write: CreateInvalidation with its log line, the id remembered under `memoryKey` for
 * the later invocations (they read it again by id, never trust it), and TooManyInvalidationsInProgress as a deferral.
 * With `completedEndsWait`, an answer that is already Completed (our CallerReference, made before) leaves nothing to
 * wait for.
 */
export async function invalidationWrite(
  change: InvalidateChange,
  log: Logger,
  { memoryKey, completedEndsWait }: { memoryKey: string; completedEndsWait: boolean },
): Promise<WriteResult> {
  const created = await invalidateLogged(change, log);
  if (created.kind === 'deferred') return { wrote: false, deferred: created.reason };
  const { id, status } = created.invalidation;
  const complete = completedEndsWait && status === 'Completed';
  return { wrote: true, remember: { [memoryKey]: id }, ...(complete ? { complete } : {}) };
}
