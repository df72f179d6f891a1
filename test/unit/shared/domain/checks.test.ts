import { describe, expect, it } from 'vitest';
import { checkIsPrimary, checkIsStaging, checkPolicyRoutesTo, routesTo } from '../../../../shared/domain/checks.js';
import { StateCheckError } from '../../../../shared/domain/errors.js';
import { routingOf } from '../../../../shared/domain/traffic-config.js';
import {
  POLICY_ID,
  PRIMARY_ID,
  STAGING_ID,
  distributionConfig,
  headerPolicyConfig,
  policyState,
  primaryState,
  stagingState,
  weightPolicyConfig,
} from '../../fixtures.js';

describe('state checks', () => {
  it('refuse a staging distribution named as the primary, with the advice given', () => {
    const staging = primaryState({ config: distributionConfig({ Staging: true }) });
    expect(() => checkIsPrimary(staging, 'fix it.')).toThrow(StateCheckError);
    expect(() => checkIsPrimary(staging, 'fix it.')).toThrow(
      `PrimaryDistributionId ${PRIMARY_ID} is a staging distribution (Staging=true); fix it.`,
    );
    expect(() => checkIsPrimary(primaryState(), 'fix it.')).not.toThrow();
  });

  it('refuse a production distribution named as the staging', () => {
    expect(() => checkIsStaging(stagingState({ config: distributionConfig() }), 'fix it.')).toThrow(
      `StagingDistributionId ${STAGING_ID} is not a staging distribution (Staging=false); fix it.`,
    );
    expect(() => checkIsStaging(stagingState(), 'fix it.')).not.toThrow();
  });

  it('refuse a policy routing to another staging, naming both domains and the primary it is attached to', () => {
    const elsewhere = policyState({
      config: headerPolicyConfig({ StagingDistributionDnsNames: { Quantity: 1, Items: ['dother.cloudfront.net'] } }),
    });
    expect(routesTo(policyState(), stagingState())).toBe(true);
    expect(routesTo(elsewhere, stagingState())).toBe(false);
    expect(() => checkPolicyRoutesTo(elsewhere, stagingState(), 'fix it.', PRIMARY_ID)).toThrow(
      `continuous deployment policy ${POLICY_ID} attached to primary ${PRIMARY_ID} routes to [dother.cloudfront.net], not to staging ${STAGING_ID}`,
    );
  });
});

describe('routingOf', () => {
  it('reads header, weight with stickiness, and anything else as unknown', () => {
    expect(routingOf(headerPolicyConfig())).toEqual({ type: 'header', header: 'aws-cf-cd-staging', value: 'true' });
    expect(routingOf(weightPolicyConfig())).toMatchObject({ type: 'weight', weight: 0.1 });
    expect(routingOf({ ...headerPolicyConfig(), TrafficConfig: undefined })).toEqual({
      type: 'unknown',
      trafficType: 'none',
    });
  });
});
