import { describe, expect, it } from 'vitest';
import { type StackRecord, formatDrift, primaryDrift } from '../../../cli/primary-drift.js';
import { PRIMARY_ID } from '../fixtures.js';

const deployedAt = '2026-11-01T00:00:00.000Z';
const stack: StackRecord = {
  found: true,
  region: 'eu-west-1',
  stackName: 'my-site',
  logicalId: 'Primary',
  resourceTime: deployedAt,
  resourceStatus: 'UPDATE_COMPLETE',
};

describe('primaryDrift', () => {
  it('says the stack is behind when the primary changed after the stack last deployed it (a promotion)', () => {
    const promoted = new Date('2026-11-03T10:00:00Z');
    const drift = primaryDrift(stack, promoted);
    expect(drift).toEqual({
      state: 'changed-since-stack',
      region: 'eu-west-1',
      stackName: 'my-site',
      logicalId: 'Primary',
      stackDeployedAt: deployedAt,
      primaryModifiedAt: '2026-11-03T10:00:00.000Z',
    });
    expect(formatDrift(drift, PRIMARY_ID)).toBe(
      'IaC      stack my-site (Primary): behind: the primary changed 2026-11-03T10:00:00.000Z (a promotion?), ' +
        'after the stack last deployed it (2026-11-01T00:00:00.000Z)\n' +
        '         a stack update that touches it would undo that; catch the stack up first: ' +
        `cfcd primary-template --primary ${PRIMARY_ID} --logical-id Primary`,
    );
  });

  it("is in step when the stack's own change is the primary's last (CloudFormation's update comes first)", () => {
    const byTheStack = new Date('2026-10-31T23:59:58Z');
    const drift = primaryDrift(stack, byTheStack);
    expect(drift.state).toBe('in-step');
    expect(formatDrift(drift, PRIMARY_ID)).toBe(
      'IaC      stack my-site (Primary): no change to the primary since the stack last deployed it ' +
        '(2026-11-01T00:00:00.000Z)',
    );
  });

  it('says when no stack of the region manages the primary, and when it could not ask', () => {
    expect(formatDrift(primaryDrift({ found: false, region: 'us-east-1' }, undefined), PRIMARY_ID)).toBe(
      `IaC      no CloudFormation stack in us-east-1 manages ${PRIMARY_ID}`,
    );
    const denied = primaryDrift(
      { found: 'unknown', region: 'us-east-1', error: 'DescribeStackResources: AccessDenied: no' },
      new Date(),
    );
    expect(denied).toEqual({
      state: 'unknown',
      region: 'us-east-1',
      error: 'DescribeStackResources: AccessDenied: no',
    });
    expect(formatDrift(denied, PRIMARY_ID)).toBe(
      `IaC      not checked: which stack manages ${PRIMARY_ID} (DescribeStackResources: AccessDenied: no)`,
    );
  });
});
