/**
 * A stand-in for the "deploy staging stack" CloudFormation action (infra/staging-*.yml). Like CloudFormation it
 * compares the new template with the one it deployed last and updates only the resources whose template changed.
 * That is exactly why a promotion's side effect persists: the policy's template still says `Enabled: true`, so an
 * unchanged policy is skipped and stays disabled until enable-CD re-enables it.
 */
import {
  CreateContinuousDeploymentPolicyCommand,
  CreateDistributionCommand,
  GetContinuousDeploymentPolicyConfigCommand,
  GetDistributionConfigCommand,
  UpdateContinuousDeploymentPolicyCommand,
  UpdateDistributionCommand,
  type ContinuousDeploymentPolicyConfig,
  type TrafficConfig,
} from '@aws-sdk/client-cloudfront';
import type { LocalClients } from './aws.js';
import { siteDistributionConfig, type StagingIds } from './site.js';

export type StagingTraffic =
  | { type: 'header'; header: string; value: string }
  | { type: 'weight'; weight: number; idleTTL: number; maximumTTL: number };

/** The staging stack's template parameters. */
export interface StagingTemplate {
  originPath: string;
  traffic: StagingTraffic;
}

/** The header the documented header-routing stack routes on: requests carrying it reach staging. */
export const STAGING_HEADER = { header: 'aws-cf-cd-staging', value: 'true' } as const;

/** The staging stack serving `originPath` to requests with {@link STAGING_HEADER} (the first documented cycle). */
export const headerTemplate = (originPath: string): StagingTemplate => ({
  originPath,
  traffic: { type: 'header', ...STAGING_HEADER },
});

/** What one deploy did to each resource. */
export interface StackDeployResult {
  outputs: StagingIds;
  staging: 'created' | 'updated' | 'unchanged';
  policy: 'created' | 'updated' | 'unchanged';
}

function trafficConfig(t: StagingTraffic): TrafficConfig {
  return t.type === 'header'
    ? { Type: 'SingleHeader', SingleHeaderConfig: { Header: t.header, Value: t.value } }
    : {
        Type: 'SingleWeight',
        SingleWeightConfig: {
          Weight: t.weight,
          SessionStickinessConfig: { IdleTTL: t.idleTTL, MaximumTTL: t.maximumTTL },
        },
      };
}

/** One staging stack, deployed repeatedly across cycles. */
export class SimulatedStagingStack {
  private last: StagingTemplate | undefined;
  private stagingId: string | undefined;
  private stagingDomain: string | undefined;
  private policyId: string | undefined;

  constructor(private readonly clients: LocalClients) {}

  /** CREATE_UPDATE the stack with `template`; returns its outputs and what changed. */
  async deploy(template: StagingTemplate): Promise<StackDeployResult> {
    const cf = this.clients.cloudFront;
    let staging: StackDeployResult['staging'] = 'unchanged';
    let policy: StackDeployResult['policy'] = 'unchanged';

    if (!this.stagingId) {
      const out = await cf.send(
        new CreateDistributionCommand({
          DistributionConfig: siteDistributionConfig('staging', template.originPath, true),
        }),
      );
      this.stagingId = out.Distribution?.Id;
      this.stagingDomain = out.Distribution?.DomainName;
      staging = 'created';
    } else if (this.last?.originPath !== template.originPath) {
      const current = await cf.send(new GetDistributionConfigCommand({ Id: this.stagingId }));
      const config = siteDistributionConfig('staging', template.originPath, true);
      await cf.send(
        new UpdateDistributionCommand({ Id: this.stagingId, IfMatch: current.ETag, DistributionConfig: config }),
      );
      staging = 'updated';
    }
    if (!this.stagingId || !this.stagingDomain) throw new Error('the staging distribution was not created');

    // The template always declares Enabled: true; CloudFormation sends it whenever it touches the resource.
    const desired: ContinuousDeploymentPolicyConfig = {
      StagingDistributionDnsNames: { Quantity: 1, Items: [this.stagingDomain] },
      Enabled: true,
      TrafficConfig: trafficConfig(template.traffic),
    };
    if (!this.policyId) {
      const out = await cf.send(
        new CreateContinuousDeploymentPolicyCommand({ ContinuousDeploymentPolicyConfig: desired }),
      );
      this.policyId = out.ContinuousDeploymentPolicy?.Id;
      policy = 'created';
    } else if (JSON.stringify(this.last?.traffic) !== JSON.stringify(template.traffic)) {
      const current = await cf.send(new GetContinuousDeploymentPolicyConfigCommand({ Id: this.policyId }));
      await cf.send(
        new UpdateContinuousDeploymentPolicyCommand({
          Id: this.policyId,
          IfMatch: current.ETag,
          ContinuousDeploymentPolicyConfig: desired,
        }),
      );
      policy = 'updated';
    }
    if (!this.policyId) throw new Error('the continuous deployment policy was not created');

    this.last = template;
    return {
      outputs: { StagingDistributionId: this.stagingId, ContinuousDeploymentPolicyId: this.policyId },
      staging,
      policy,
    };
  }
}
