/** SDK clients for the local tools (site set-up, simulated stacks), pointed at the emulator. */
import { CloudFrontClient, GetContinuousDeploymentPolicyCommand } from '@aws-sdk/client-cloudfront';
import { S3Client } from '@aws-sdk/client-s3';

export interface LocalClients {
  cloudFront: CloudFrontClient;
  s3: S3Client;
}

/** Clients for an emulator at `endpoint` (any credentials are accepted there). */
export function localClients(endpoint: string): LocalClients {
  const common = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  return { cloudFront: new CloudFrontClient(common), s3: new S3Client({ ...common, forcePathStyle: true }) };
}

/** Whether the continuous deployment policy is enabled; undefined without a policy id. */
export async function policyEnabled(clients: LocalClients, policyId: string | undefined): Promise<boolean | undefined> {
  if (!policyId) return undefined;
  const out = await clients.cloudFront.send(new GetContinuousDeploymentPolicyCommand({ Id: policyId }));
  return out.ContinuousDeploymentPolicy?.ContinuousDeploymentPolicyConfig?.Enabled;
}
