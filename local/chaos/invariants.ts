/**
 * What must hold whatever the faults: the chaos run checks each invariant after every cycle (production also
 * continuously, with a viewer probe), counts every check, and stops at the first violation.
 */
import type { ViewerSource } from '../pipeline/viewers.js';
import { versionOf } from '../pipeline/viewers.js';

export const INVARIANTS = {
  production: 'production serves a complete release at all times',
  bucketPolicy: 'no statement of another owner is ever lost from the bucket policy',
  promotion: "a promotion happens only after that release's approval, and only with its reviewed config",
  jobs: 'every job is reported exactly once, or fails cleanly and a re-run succeeds',
  policy: 'the policy is enabled exactly when a canary is under review',
  maxWait: 'no job waits past its MaxWaitMinutes',
  watch: 'a broken canary is rolled back by the watch before any reviewer answers',
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

/**
 * Fresh viewers of the primary, one after another while the run goes on: every answer the primary itself serves
 * must be 200 with a release production may serve right now (the current one, or the one being promoted).
 */
export class ProductionProbe {
  /** The versions production may serve right now. */
  readonly allowed = new Set<string>(['v1']);
  private stopped = false;
  private loop: Promise<void> | undefined;
  probes = 0;

  constructor(
    private readonly viewers: ViewerSource,
    private readonly primary: { id: string; domainName: string },
    private readonly invariants: Invariants,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        // A connection the emulator closed under the probe is no answer from the primary: try again next time.
        const r = await this.viewers.viewer(this.primary.domainName, '/').catch(() => undefined);
        if (r?.servedBy === this.primary.id) {
          const version = r.status === 200 ? versionOf(r.body) : `HTTP ${r.status}`;
          this.probes++;
          this.invariants.check(
            'production',
            this.allowed.has(version),
            () => `the primary served ${version}; production may serve ${[...this.allowed].join(' or ')}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}
