import { type TickSummary, watch } from './tick.js';

/**
 * Lambda entry point for the canary watch, run by an EventBridge schedule whose target sends a constant Input (the
 * keys are `parameterNames` in params.ts). Resolves with the tick's summary; throws on bad input or a failed tick.
 */
export async function handler(event: unknown): Promise<TickSummary> {
  return watch(event);
}
