/** The world the cfcd e2e tests start from: a fresh emulator, the documented site, a deployed header staging stack. */
import { type Emulator, startEmulator } from '../../local/emulator/index.js';
import { type LocalClients, localClients } from '../../local/pipeline/aws.js';
import { type LocalSite, createSite } from '../../local/pipeline/site.js';
import { SimulatedStagingStack, headerTemplate } from '../../local/pipeline/staging-stack.js';

export interface CfcdWorld {
  emulator: Emulator;
  clients: LocalClients;
  site: LocalSite;
  stagingId: string;
  policyId: string;
}

/** Staging (`/v2`, header routing) deployed but not attached, everything settled, the request log empty. */
export async function cfcdWorld(seed: number): Promise<CfcdWorld> {
  const emulator = await startEmulator({ propagationMs: 30, invalidationMs: 30, seed });
  const clients = localClients(emulator.url);
  const site = await createSite(clients);
  const { outputs } = await new SimulatedStagingStack(clients).deploy(headerTemplate('/v2'));
  emulator.settle();
  emulator.clearRequestLog();
  return {
    emulator,
    clients,
    site,
    stagingId: outputs.StagingDistributionId,
    policyId: outputs.ContinuousDeploymentPolicyId,
  };
}
