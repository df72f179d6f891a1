/**
 * A local stand-in for the EventBridge rules of the template: CodePipeline's "Action Execution State Change"
 * events, matched against each rule's event pattern, and the input each rule's target receives (a constant, or the
 * InputTransformer's template filled from the event).
 */
import type { EventRule } from './template-pipeline.js';

/** The event CodePipeline sends when an action execution changes state (the fields rules match on). */
export interface ActionStateChange {
  source: 'aws.codepipeline';
  'detail-type': 'CodePipeline Action Execution State Change';
  detail: {
    pipeline: string;
    'execution-id': string;
    stage: string;
    action: string;
    state: 'STARTED' | 'SUCCEEDED' | 'FAILED' | 'ABANDONED' | 'CANCELED';
  };
}

export function actionStateChange(detail: ActionStateChange['detail']): ActionStateChange {
  return { source: 'aws.codepipeline', 'detail-type': 'CodePipeline Action Execution State Change', detail };
}

/** An event pattern's match: each field lists the values it accepts; nested objects match nested fields. */
export function matches(pattern: Record<string, unknown>, event: unknown): boolean {
  const record = (event ?? {}) as Record<string, unknown>;
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = record[key];
    if (Array.isArray(expected)) return expected.includes(actual);
    if (expected && typeof expected === 'object') return matches(expected as Record<string, unknown>, actual);
    return expected === actual;
  });
}

/** `$.detail.execution-id` read from the event. */
function jsonPath(event: unknown, path: string): unknown {
  if (!path.startsWith('$.')) throw new Error(`only $.field paths are supported locally, got ${path}`);
  return path
    .slice(2)
    .split('.')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], event);
}

/**
 * What the rule's target receives for `event`: its constant Input, or the InputTemplate with each `<name>`
 * replaced. A placeholder outside quotes becomes the value as JSON (a string is quoted and escaped), as EventBridge
 * does; inside quotes, the raw text.
 */
export function targetInput(rule: EventRule, event: unknown): unknown {
  if ('constant' in rule.input) return JSON.parse(rule.input.constant);
  const { paths, template } = rule.input;
  const filled = template.replace(
    /("?)<([A-Za-z0-9_.-]+)>("?)/g,
    (whole, open: string, name: string, close: string) => {
      if (!(name in paths)) return whole;
      const value = jsonPath(event, paths[name] as string);
      if (open && close) return `"${String(value)}"`;
      return `${open}${JSON.stringify(value ?? null)}${close}`;
    },
  );
  return JSON.parse(filled);
}
