/**
 * The smoke probes: each path requested through the primary with the policy's staging header, before any viewer is
 * routed to staging by weight. No redirect is followed (a misrouted behaviour's 301 is an answer to check), and each
 * request has its own timeout; a request that fails is a failed probe, never a crash of the ramp.
 */
import type { ProbeResult } from './plan.js';
import type { Probe } from './params.js';

/** Per probe: a root document that takes longer than this to answer is not healthy either. */
export const PROBE_TIMEOUT_MS = 10_000;
/** The part of a body searched for `Contains`: enough for a page's head and a marker near the top. */
const MAX_BODY_CHARS = 1_000_000;

/** Makes the probes side by side against `baseUrl` with `header: value`. */
export async function runProbes(
  probes: readonly Probe[],
  baseUrl: string,
  header: { name: string; value: string },
): Promise<ProbeResult[]> {
  return Promise.all(
    probes.map(async (probe) => {
      const url = `${baseUrl}${probe.path}`;
      try {
        const res = await fetch(url, {
          headers: { [header.name]: header.value },
          redirect: 'manual',
          signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
        });
        const body = probe.contains === undefined ? undefined : (await res.text()).slice(0, MAX_BODY_CHARS);
        if (probe.contains === undefined) await res.body?.cancel();
        return {
          probe,
          url,
          status: res.status,
          ...(body === undefined ? {} : { matched: body.includes(probe.contains as string) }),
        };
      } catch (err) {
        const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
        return { probe, url, error: `request failed (${cause})` };
      }
    }),
  );
}
