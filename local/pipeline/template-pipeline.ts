/**
 * The pipeline `npm start` runs is the one infra/pipeline.yml declares: its stages and actions in order, each
 * action's configuration (UserParameters, CustomData) with `!Sub` resolved from the stack parameters given here, its
 * EventBridge rules (the rejected approval → abort, with its InputTransformer) and the watch's schedule with its
 * constant input. Change the template and the local pipeline follows; nothing is copied by hand.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseTemplate, type Template } from '../../test/infra/template.js';

export const PIPELINE_TEMPLATE = fileURLToPath(new URL('../../infra/pipeline.yml', import.meta.url));

/** One action of the template's pipeline, with its configuration resolved. */
export interface TemplateAction {
  name: string;
  category: string;
  provider: string;
  namespace: string | undefined;
  runOrder: number;
  /** Every configuration value that resolves to a string (`AWS::NoValue` fields left out). */
  configuration: Record<string, string>;
  /** Configuration fields that cannot be evaluated locally (e.g. a role's ARN), with why. */
  unresolved: Record<string, string>;
  /** For a Lambda invoke: the function's folder name in dist/ (its `Code` path). */
  functionName: string | undefined;
}

export interface TemplateStage {
  name: string;
  actions: TemplateAction[];
}

/** An EventBridge rule on an event pattern, with a Lambda target. */
export interface EventRule {
  name: string;
  pattern: Record<string, unknown>;
  functionName: string;
  /** The target's constant Input, or its InputTransformer. */
  input: { constant: string } | { paths: Record<string, string>; template: string };
}

/** A scheduled rule (`rate(N minutes)`) with a Lambda target and a constant input. */
export interface ScheduleRule {
  name: string;
  everyMinutes: number;
  functionName: string;
  input: string;
}

export interface TemplatePipeline {
  pipelineName: string;
  executionMode: string;
  stages: TemplateStage[];
  eventRules: EventRule[];
  schedules: ScheduleRule[];
}

const NO_VALUE = Symbol('AWS::NoValue');
type Value = string | typeof NO_VALUE | Value[] | { [k: string]: Value };

class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/** Evaluates the intrinsic functions a pipeline's configuration uses, from parameters and resource names. */
class Resolver {
  constructor(
    private readonly template: Template,
    private readonly parameters: Record<string, string>,
    private readonly pipelineName: string,
  ) {}

  /** The value of `${Name}` / `!Ref Name`. */
  ref(name: string): string | typeof NO_VALUE {
    if (name === 'AWS::NoValue') return NO_VALUE;
    if (name === 'AWS::Region') return 'us-east-1';
    if (name === 'AWS::AccountId') return '123456789012';
    if (name === 'AWS::Partition') return 'aws';
    if (name in this.parameters) return this.parameters[name] as string;
    const declared = this.template.Parameters?.[name];
    if (declared) {
      if (declared.Default === undefined)
        throw new TemplateError(`the template parameter ${name} has no default: give it a local value`);
      return String(declared.Default);
    }
    const resource = this.template.Resources[name];
    if (resource?.Type === 'AWS::CodePipeline::Pipeline') return this.pipelineName;
    if (resource?.Type === 'AWS::Lambda::Function') return this.functionOf(name);
    throw new TemplateError(`cannot resolve \${${name}} locally`);
  }

  /** A Lambda function resource's name in dist/, from its `Code: ../dist/<name>`. */
  functionOf(logicalId: string): string {
    const code = this.template.Resources[logicalId]?.Properties?.Code;
    const name = typeof code === 'string' ? /dist\/([^/]+)\/?$/.exec(code)?.[1] : undefined;
    if (!name) throw new TemplateError(`${logicalId} is not a function built from dist/`);
    return name;
  }

  condition(name: string): boolean {
    const body = this.template.Conditions?.[name];
    if (body === undefined) throw new TemplateError(`no condition ${name}`);
    return this.truth(body);
  }

  private truth(node: unknown): boolean {
    const [fn, arg] = Object.entries(node as Record<string, unknown>)[0] ?? [];
    const args = arg as unknown[];
    switch (fn) {
      case 'Condition':
        return this.condition(String(arg));
      case 'Fn::Equals':
        return this.value(args[0]) === this.value(args[1]);
      case 'Fn::Not':
        return !this.truth(args[0]);
      case 'Fn::Or':
        return args.some((a) => this.truth(a));
      case 'Fn::And':
        return args.every((a) => this.truth(a));
    }
    throw new TemplateError(`cannot evaluate the condition ${JSON.stringify(node)} locally`);
  }

  private sub(text: string, vars: Record<string, unknown> = {}): string {
    return text.replace(/\$\{(!?)([^}]+)\}/g, (_whole, literal: string, name: string) => {
      if (literal) return `\${${name}}`;
      const value = name in vars ? this.value(vars[name]) : this.ref(name);
      if (typeof value !== 'string') throw new TemplateError(`\${${name}} does not resolve to a string`);
      return value;
    });
  }

  /** A template value with its intrinsics evaluated. */
  value(node: unknown): Value {
    if (typeof node === 'string') return node;
    if (typeof node === 'number' || typeof node === 'boolean') return String(node);
    if (Array.isArray(node)) return node.map((n) => this.value(n)).filter((v) => v !== NO_VALUE);
    if (node === null || typeof node !== 'object') return NO_VALUE;
    const entries = Object.entries(node as Record<string, unknown>);
    const [fn, arg] = entries[0] ?? [];
    if (entries.length === 1 && fn !== undefined && (fn === 'Ref' || fn.startsWith('Fn::'))) {
      switch (fn) {
        case 'Ref':
          return this.ref(String(arg));
        case 'Fn::Sub':
          return Array.isArray(arg)
            ? this.sub(String(arg[0]), arg[1] as Record<string, unknown>)
            : this.sub(String(arg));
        case 'Fn::If': {
          const [cond, yes, no] = arg as [string, unknown, unknown];
          return this.value(this.condition(cond) ? yes : no);
        }
        case 'Fn::GetAtt': {
          const [logicalId, attribute] = arg as [string, string];
          if (attribute === 'Arn' && this.template.Resources[logicalId]?.Type === 'AWS::Lambda::Function')
            return this.functionOf(logicalId);
          throw new TemplateError(`cannot resolve !GetAtt ${logicalId}.${attribute} locally`);
        }
      }
      throw new TemplateError(`cannot evaluate ${fn} locally`);
    }
    const out: Record<string, Value> = {};
    for (const [k, v] of entries) {
      const value = this.value(v);
      if (value !== NO_VALUE) out[k] = value;
    }
    return out;
  }
}

/** The string-valued fields of an evaluated map. */
const strings = (v: Value): Record<string, string> =>
  Object.fromEntries(
    Object.entries(typeof v === 'object' && !Array.isArray(v) ? v : {}).filter(
      (e): e is [string, string] => typeof e[1] === 'string',
    ),
  );

/** `rate(1 minute)` / `rate(5 minutes)` in minutes. */
function rateMinutes(expression: string): number {
  const m = /^rate\((\d+) (minute|minutes|hour|hours)\)$/.exec(expression);
  if (!m) throw new TemplateError(`only rate(N minutes) schedules run locally, got ${expression}`);
  return Number(m[1]) * (m[2]?.startsWith('hour') ? 60 : 1);
}

/**
 * The template's pipeline with `parameters` as the stack's parameter values (others take their defaults). Throws
 * when the template uses something this loader cannot evaluate, naming it.
 */
export function loadTemplatePipeline(
  parameters: Record<string, string>,
  { pipelineName, path = PIPELINE_TEMPLATE }: { pipelineName: string; path?: string },
): TemplatePipeline {
  const template = parseTemplate(readFileSync(path, 'utf8'));
  const r = new Resolver(template, parameters, pipelineName);
  const resources = Object.entries(template.Resources).filter(
    ([, res]) => !res.Condition || r.condition(res.Condition),
  );
  const pipeline = resources.find(([, res]) => res.Type === 'AWS::CodePipeline::Pipeline')?.[1];
  if (!pipeline) throw new TemplateError(`${path} declares no pipeline`);
  const props = pipeline.Properties as { ExecutionMode?: string; Stages: unknown[] };
  const stages = props.Stages.map((node) => {
    const stage = node as { Name: string; Actions: Record<string, unknown>[] };
    const actions = stage.Actions.map((a): TemplateAction => {
      const type = a.ActionTypeId as { Category: string; Provider: string };
      const configuration: Record<string, string> = {};
      const unresolved: Record<string, string> = {};
      for (const [key, node] of Object.entries((a.Configuration ?? {}) as Record<string, unknown>)) {
        try {
          const value = r.value(node);
          if (typeof value === 'string') configuration[key] = value;
        } catch (err) {
          if (!(err instanceof TemplateError)) throw err;
          unresolved[key] = err.message;
        }
      }
      const fn = (a.Configuration as { FunctionName?: { Ref?: string } } | undefined)?.FunctionName?.Ref;
      return {
        name: String(a.Name),
        category: type.Category,
        provider: type.Provider,
        namespace: typeof a.Namespace === 'string' ? a.Namespace : undefined,
        runOrder: Number(a.RunOrder ?? 1),
        configuration,
        unresolved,
        functionName: fn ? r.functionOf(fn) : undefined,
      };
    });
    return { name: stage.Name, actions: actions.sort((x, y) => x.runOrder - y.runOrder) };
  });

  const eventRules: EventRule[] = [];
  const schedules: ScheduleRule[] = [];
  for (const [name, res] of resources) {
    if (res.Type !== 'AWS::Events::Rule') continue;
    const p = res.Properties as { EventPattern?: unknown; ScheduleExpression?: string; Targets: unknown[] };
    for (const t of p.Targets) {
      const target = t as {
        Arn: unknown;
        Input?: unknown;
        InputTransformer?: { InputPathsMap: unknown; InputTemplate: unknown };
      };
      const functionName = r.value(target.Arn);
      if (typeof functionName !== 'string') continue;
      const constant = target.Input !== undefined ? r.value(target.Input) : undefined;
      if (p.ScheduleExpression) {
        if (typeof constant !== 'string')
          throw new TemplateError(`${name}: a schedule's target needs a constant Input`);
        schedules.push({ name, everyMinutes: rateMinutes(p.ScheduleExpression), functionName, input: constant });
      } else if (p.EventPattern) {
        const transformer = target.InputTransformer;
        const input =
          typeof constant === 'string'
            ? { constant }
            : transformer
              ? {
                  paths: strings(r.value(transformer.InputPathsMap)),
                  template: String(r.value(transformer.InputTemplate)),
                }
              : undefined;
        if (!input)
          throw new TemplateError(`${name}: its target passes the whole event (no Input, no InputTransformer)`);
        eventRules.push({ name, pattern: r.value(p.EventPattern) as Record<string, unknown>, functionName, input });
      }
    }
  }
  return { pipelineName, executionMode: props.ExecutionMode ?? 'SUPERSEDED', stages, eventRules, schedules };
}
