/**
 * The cold scenarios: our function and the naive handler beside it, each started from the same prepared state. The
 * naive handlers (bench/naive/) do what the blog's do: their request rounds are their SDK calls, one after another.
 */
import type { ColdScenario } from './cold-invocations.js';
import { continuousDeploymentLive, enableCdUserParameters } from './scenarios.js';

export const COLD_SCENARIOS: ColdScenario[] = [
  {
    id: 'enable-cd-rerun',
    title: 'enable-CD, re-run, all in place',
    function: 'enable-cd',
    naive: 'enable-cd',
    rounds: {
      // The four independent reads and the staging's invalidations in one round, then our invalidation of the
      // staging's config (is the canary's cache clean?), then the report (as the warm scenario). The naive handler
      // does not look at the cache at all: that round is what checking it costs.
      ours: { minimum: 3, why: 'primary ‖ staging ‖ policy ‖ bucket policy ‖ invalidations → ours → report' },
      // The blog's order, each call awaited before the next; its three conditions skip the three writes here.
      naive: { minimum: 4, why: 'bucket policy → primary → policy → report' },
    },
    prepare: async (emulator, lambdas) => {
      const params = enableCdUserParameters(await continuousDeploymentLive(emulator, lambdas));
      return { ours: params, naive: params };
    },
  },
  {
    id: 'promote',
    title: 'promote (policy id given)',
    function: 'promote',
    naive: 'promote',
    rounds: {
      // With ContinuousDeploymentPolicyId the policy no longer waits for the primary's config.
      ours: { minimum: 3, why: 'primary ‖ staging ‖ policy → promote → report' },
      naive: { minimum: 4, why: 'primary → staging → promote → report' },
    },
    prepare: async (emulator, lambdas) => {
      const ids = await continuousDeploymentLive(emulator, lambdas);
      const both = { PrimaryDistributionId: ids.primaryId, StagingDistributionId: ids.stagingId };
      return {
        ours: JSON.stringify({ ...both, ContinuousDeploymentPolicyId: ids.policyId }),
        naive: JSON.stringify(both),
      };
    },
  },
];
