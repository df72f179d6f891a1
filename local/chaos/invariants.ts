/**
 * What must hold whatever the faults: the chaos run checks each invariant after every cycle (production also
 * continuously, with a viewer probe), counts every check, and stops at the first violation.
 */
import type { ViewerResponse } from '../emulator/index.js';
import { STAGING_HEADER } from '../pipeline/staging-stack.js';
import { versionOf, type ViewerSource } from '../pipeline/viewers.js';

export const INVARIANTS = {
  production: 'production serves a complete release through its cache, none older once promote succeeded',
  bucketPolicy: 'no statement of another owner is ever lost from the bucket policy',
  promotion: "a promotion happens only after that release's approval, and only with its reviewed config",
  jobs: 'every job is reported exactly once, or fails cleanly and a re-run succeeds',
  policy: 'the policy is enabled exactly when a canary is under review',
  maxWait: 'no job waits past its MaxWaitMinutes',
  watch: 'a broken canary is rolled back by the watch before any reviewer answers',
  staged: "the reviewer's header probe sees the staged release",
  ramp: 'the weight only moves up along the ladder, each move after a healthy judgement of the step before',
  revertRestores: 'a revert restores exactly the recorded config (and a bake reverts only a failing release)',
  revertNewer: 'no revert ever crosses a newer promotion',
} as const;
export type InvariantId = keyof typeof INVARIANTS;

export interface Violation {
  invariant: InvariantId;
  cycle: number;
  detail: string;
}

export class Invariants {
  readonly checked = Object.fromEntries(Object.keys(INVARIANTS).map((k) => [k, 0])) as Record<InvariantId, number>;
  readonly violations: Violation[] = [];
  cycle = 0;

  /** Counts one check; a failed one is recorded with the cycle it happened in. */
  check(invariant: InvariantId, ok: boolean, detail: () => string): boolean {
    this.checked[invariant]++;
    if (!ok) this.violations.push({ invariant, cycle: this.cycle, detail: detail() });
    return ok;
  }
}

/** The release a viewer's answer came from (its origin path, `/v3`), and what its body says. */
function releaseOf(r: ViewerResponse): { release: string; body: string } {
  return {
    release: r.originPath?.replace(/^\//, '') ?? 'no origin path',
    body: r.status === 200 ? versionOf(r.body) : `HTTP ${r.status}`,
  };
}

const describe = (r: ViewerResponse) => {
  const { release, body } = releaseOf(r);
  const cache = r.xCache === 'Hit from cloudfront' ? `a cache hit, age ${r.age} s` : 'a cache miss';
  return `${body} (${cache}, fetched from ${release})`;
};

/**
 * The emulator's data plane with every answer judged, whoever asked (the production probe, the traffic a canary
 * gathers, the reviewers): an answer counts for the release it came from, which a cached one names by the origin
 * path it was fetched with, not the one the distribution has now. What may be served is read when the request is
 * sent, so an answer to a request sent after promote reported success is held to the promoted release alone.
 */
export class CheckedViewers implements ViewerSource {
  /** The releases the primary may serve: production, and the approved release while it is promoted. */
  readonly production = new Set<string>(['v1']);
  /** Releases rejected or rolled back: the primary must never serve one. */
  readonly retired = new Set<string>();
  /** Releases that fail in production (on some paths): their 5xx answers count as theirs. */
  readonly failing = new Set<string>();
  /** The release staging serves since enable-CD reported its canary live in this cycle; undefined between cycles. */
  staged: { stagingId: string; release: string } | undefined;

  constructor(
    private readonly emulator: { viewer(...a: Parameters<ViewerSource['viewer']>): Promise<ViewerResponse> },
    private readonly primaryId: string,
    private readonly invariants: Invariants,
  ) {}

  /** Promote reported success: from now on the primary serves `release` and nothing older. */
  promoted(release: string): void {
    this.production.clear();
    this.production.add(release);
  }

  async viewer(domainName: string, path: string, init?: { headers?: Record<string, string> }) {
    const allowed = [...this.production];
    const staged = this.staged;
    const r = await this.emulator.viewer(domainName, path, init);
    if (r.servedBy === this.primaryId) this.checkPrimary(r, allowed);
    else if (staged && r.servedBy === staged.stagingId) this.checkStaged(r, staged.release);
    return r;
  }

  /**
   * The reviewer's header probe: one request with the staging header, sent while the canary is under review, must
   * reach the staging and come from the staged release (not a previous canary the staging's cache kept).
   */
  async reviewerProbe(domainName: string): Promise<void> {
    const staged = this.staged;
    const request = () =>
      this.emulator.viewer(domainName, '/', { headers: { [STAGING_HEADER.header]: STAGING_HEADER.value } });
    // A kept-alive connection the emulator closed just then fails the request before it was sent: send it again.
    const r = await request().catch(request);
    if (!staged) {
      this.invariants.check('staged', false, () => 'the reviewer looks, but enable-CD reported no canary live');
      return;
    }
    if (r.servedBy !== staged.stagingId)
      this.invariants.check(
        'staged',
        false,
        () => `the header probe reached ${r.servedBy} (${describe(r)}), not staging ${staged.stagingId}`,
      );
    else this.checkStaged(r, staged.release);
  }

  private checkPrimary(r: ViewerResponse, allowed: string[]): void {
    const { release, body } = releaseOf(r);
    // A release that fails in production answers some paths with a 5xx: still that release's answer.
    const failed = r.status >= 500 && this.failing.has(release);
    this.invariants.check(
      'production',
      (release === body || failed) && allowed.includes(release),
      () =>
        `the primary served ${describe(r)}` +
        (this.retired.has(release) ? ', a release that was rejected or rolled back' : '') +
        `; production may serve ${allowed.join(' or ')}`,
    );
  }

  private checkStaged(r: ViewerResponse, staged: string): void {
    const { release, body } = releaseOf(r);
    // A broken release fails as the staged release: its origin path is the staged one.
    this.invariants.check(
      'staged',
      release === staged && (r.status !== 200 || body === staged),
      () => `staging served ${describe(r)} while the canary of ${staged} is live`,
    );
  }
}

/** Fresh viewers of the primary, one after another while the run goes on, each answer judged. */
export class ProductionProbe {
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly viewers: ViewerSource,
    private readonly domainName: string,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        // A connection the emulator closed under the probe is no answer from the primary: try again next time.
        await this.viewers.viewer(this.domainName, '/').catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}
