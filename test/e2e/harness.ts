/**
 * End-to-end harness: a fresh emulator, the documented starting site, and every built bundle running in a warm
 * local Lambda worker pointed at it. Every test gets its own and closes it.
 */
import { GetDistributionCommand } from '@aws-sdk/client-cloudfront';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../local/emulator/index.js';
import { localClients, policyEnabled, type LocalClients } from '../../local/pipeline/aws.js';
import { startLambdas, stopLambdas, type LocalLambdas, type LogLine } from '../../local/pipeline/lambda.js';
import { runInvoke, type JobResult } from '../../local/pipeline/local-codepipeline.js';
import { SimulatedStagingStack, headerTemplate, type StagingTemplate } from '../../local/pipeline/staging-stack.js';
import { createSite, enableCdParameters, type LocalSite, type StagingIds } from '../../local/pipeline/site.js';

export const HEADER_TEMPLATE: StagingTemplate = headerTemplate('/v2');

export interface Harness {
  emulator: Emulator;
  clients: LocalClients;
  site: LocalSite;
  stack: SimulatedStagingStack;
  lambdas: LocalLambdas;
  /** Log lines of every invocation made through {@link Harness.job}, in order. */
  logs: LogLine[];
  /** Runs a CodePipeline job to completion, re-invoking on continuation tokens like CodePipeline. */
  job(
    functionName: string,
    userParameters: Record<string, unknown>,
  ): Promise<{ ok: true; variables: Record<string, string> } | { ok: false; message: string }>;
  /** Deploys the staging stack and returns its outputs. */
  deployStaging(template?: StagingTemplate): Promise<StagingIds>;
  enableCdParams(outputs: StagingIds): Record<string, unknown>;
  /** What a viewer of the primary gets: the content version, or the HTTP status when it is not 200. */
  viewer(headers?: Record<string, string>): Promise<string>;
  policyEnabled(policyId: string): Promise<boolean | undefined>;
  attachedPolicy(): Promise<string>;
  close(): Promise<void>;
}

export async function startHarness(options: EmulatorOptions = {}): Promise<Harness> {
  const emulator = await startEmulator({ propagationMs: 0, seed: 11, ...options });
  let lambdas: LocalLambdas = {};
  try {
    const clients = localClients(emulator.url);
    const site = await createSite(clients);
    const stack = new SimulatedStagingStack(clients);
    lambdas = await startLambdas(emulator.env);
    const logs: LogLine[] = [];
    return {
      emulator,
      clients,
      site,
      stack,
      lambdas,
      logs,
      job: (functionName, userParameters) =>
        runInvoke(
          { type: 'invoke', name: functionName, functionName, userParameters },
          {},
          {
            lambdas,
            results: emulator,
            continuationDelayMs: 5,
            maxInvocations: 50,
            onEvent: (e) => {
              if (e.type === 'invocation') logs.push(...e.logs);
            },
          },
        ),
      deployStaging: async (template = HEADER_TEMPLATE) => (await stack.deploy(template)).outputs,
      enableCdParams: (outputs) => enableCdParameters(site, outputs),
      viewer: async (headers) => {
        const r = await emulator.viewer(site.primaryDomain, '/', headers ? { headers } : undefined);
        return r.status === 200 ? (/site (v\d+)/.exec(r.body)?.[1] ?? r.body) : `HTTP ${r.status}`;
      },
      policyEnabled: (policyId) => policyEnabled(clients, policyId),
      attachedPolicy: async () =>
        (await clients.cloudFront.send(new GetDistributionCommand({ Id: site.primaryId }))).Distribution
          ?.DistributionConfig?.ContinuousDeploymentPolicyId ?? '',
      close: async () => {
        await stopLambdas(lambdas);
        await emulator.close();
      },
    };
  } catch (err) {
    await stopLambdas(lambdas);
    await emulator.close();
    throw err;
  }
}

/** The operations the emulator served, in order (for asserting what was and was not called). */
export function operations(emulator: Emulator): string[] {
  return emulator.requestLog().map((r) => r.operation);
}

export type { JobResult };
