/** The world the cfcd e2e tests start from: a fresh emulator, the documented site, a deployed header staging stack. */
import { GetDistributionConfigCommand, UpdateDistributionCommand } from '@aws-sdk/client-cloudfront';
import { type Emulator, startEmulator } from '../../local/emulator/index.js';
import { type LocalClients, localClients } from '../../local/pipeline/aws.js';
import { type LocalSite, createSite } from '../../local/pipeline/site.js';
import { SimulatedStagingStack, headerTemplate } from '../../local/pipeline/staging-stack.js';
import { releaseOriginPath } from '../../shared/release/manifest.js';

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

/** Points every origin of distribution `id` at `/releases/<commit>`, as the pipeline's staging deploy and a promotion do. */
export async function serveRelease(clients: LocalClients, id: string, commit: string): Promise<void> {
  const read = await clients.cloudFront.send(new GetDistributionConfigCommand({ Id: id }));
  const config = read.DistributionConfig!;
  const items = config.Origins!.Items!.map((o) => ({ ...o, OriginPath: releaseOriginPath(commit) }));
  await clients.cloudFront.send(
    new UpdateDistributionCommand({
      Id: id,
      IfMatch: read.ETag,
      DistributionConfig: { ...config, Origins: { Quantity: items.length, Items: items } },
    }),
  );
}
