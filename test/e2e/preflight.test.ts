/**
 * The preflight on the built bundles against the emulator: a staging stack that changed a field continuous deployment
 * cannot carry (here the price class) is refused by enable-CD before anything is written, with the message a user
 * sees in CodePipeline — instead of a reviewer approving a staging that promote could never promote.
 */
import { GetDistributionCommand, UpdateDistributionCommand } from '@aws-sdk/client-cloudfront';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, operations, startHarness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('end to end: the preflight', () => {
  it('refuses a staging whose stack changed the price class, naming the field and both values, with no write', async () => {
    h = await startHarness({ propagationMs: 0 });
    const outputs = await h.deployStaging();
    const cf = h.clients.cloudFront;
    const staging = await cf.send(new GetDistributionCommand({ Id: outputs.StagingDistributionId }));
    await cf.send(
      new UpdateDistributionCommand({
        Id: outputs.StagingDistributionId,
        IfMatch: staging.ETag,
        DistributionConfig: { ...staging.Distribution!.DistributionConfig!, PriceClass: 'PriceClass_All' },
      }),
    );
    h.emulator.settle();
    const before = operations(h.emulator).length;

    const result = await h.job('enable-cd', h.enableCdParams(outputs));

    expect(result).toMatchObject({ ok: false });
    const message = result.ok ? '' : result.message;
    expect(message).toContain(
      `staging ${outputs.StagingDistributionId} can never be promoted onto primary ${h.site.primaryId}, so nothing was changed`,
    );
    expect(message).toContain('PriceClass: primary "PriceClass_100", staging "PriceClass_All"');
    const writes = operations(h.emulator)
      .slice(before)
      .filter((op) => /^(Update|Put|Delete|Create)/.test(op) && !op.startsWith('PutJob'));
    expect(writes).toEqual([]);
    expect(await h.attachedPolicy()).toBe('');
  });
});
