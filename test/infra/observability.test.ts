/**
 * The release dashboard, the rollback alarm and the failed-release notification (infra/pipeline.yml) against the
 * metrics the functions emit (shared/metrics-emf.ts): every panel and the alarm ask for a metric some function writes,
 * under a dimension set it writes it with, in the namespace the template gives the functions.
 */
import { describe, expect, it } from 'vitest';
import { DIMENSION_SETS, NAMESPACE_VARIABLE, RELEASE_METRICS } from '../../shared/metrics-emf.js';
import {
  type Template,
  loadInfraTemplates,
  parameterValues,
  resolveConditions,
  PIPELINE_REQUIRED_PARAMETERS,
} from './template.js';

const pipeline = loadInfraTemplates().get('pipeline.yml')!;
const REQUIRED = { ...PIPELINE_REQUIRED_PARAMETERS };
const WATCH = { WatchMaxStaging5xxErrorRate: '5' };
const STAGING = { StagingDistributionId: 'E3STAGINGABCDE' };
const TOPIC = { AlertTopicArn: 'arn:aws:sns:eu-west-1:123456789012:oncall' };
const ACTIONS = ['enable-cd', 'promote', 'abort', 'watch'];

/** Fn::Sub as CloudFormation evaluates it: its variables, then parameters; resources and pseudo parameters by name. */
function substitute(sub: unknown, params: Record<string, string>): string {
  const [text, vars] = typeof sub === 'string' ? [sub, {}] : (sub as [string, Record<string, unknown>]);
  return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    const v = (vars as Record<string, unknown>)[name];
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object' && 'Fn::Sub' in v)
      return substitute((v as { 'Fn::Sub': unknown })['Fn::Sub'], params);
    return params[name] ?? `<${name}>`;
  });
}

interface Widget {
  type: string;
  properties: { title?: string; region?: string; metrics?: unknown[]; alarms?: string[]; query?: string };
}

/** The stack as deployed with these parameters, and its dashboard's body parsed. */
function deployed(given: Record<string, string>): { template: Template; widgets: Widget[] } {
  const template = resolveConditions(pipeline, { ...REQUIRED, ...given });
  const params = parameterValues(pipeline, { ...REQUIRED, ...given });
  const body = template.Resources.ReleaseDashboard!.Properties!.DashboardBody as { 'Fn::Sub': unknown };
  return { template, widgets: (JSON.parse(substitute(body['Fn::Sub'], params)) as { widgets: Widget[] }).widgets };
}

/** A metric row of a panel: namespace, name, then dimension name/value pairs (an options object may end it). */
function metricRows(widgets: Widget[]) {
  return widgets.flatMap((w) =>
    (w.properties.metrics ?? [])
      .filter((m): m is unknown[] => Array.isArray(m))
      .map((m) => {
        const [namespace, name, ...rest] = m.filter((x) => typeof x === 'string') as string[];
        const dims = Object.fromEntries(rest.flatMap((_, i) => (i % 2 ? [] : [[rest[i], rest[i + 1]]])));
        return { panel: w.properties.title, region: w.properties.region, namespace, name: name!, dims };
      }),
  );
}

const VARIANTS = [
  { name: 'the watch off, staging id from the staging stack', given: {} },
  { name: 'the watch on, staging id given, an alert topic', given: { ...WATCH, ...STAGING, ...TOPIC } },
];

describe.each(VARIANTS)('release dashboard ($name)', ({ given }) => {
  const { template, widgets } = deployed(given);
  const rows = metricRows(widgets);
  const ours = rows.filter((r) => r.namespace !== 'AWS/CloudFront');

  it('is valid JSON that names only metrics the functions emit, in the namespace the template gives them', () => {
    const namespaces = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => (r.Properties!.Environment as { Variables: Record<string, string> }).Variables[NAMESPACE_VARIABLE]);
    expect(new Set(namespaces)).toEqual(new Set(['CloudFrontCD']));
    for (const row of ours) {
      expect(row.namespace, row.name).toBe('CloudFrontCD');
      expect(Object.keys(RELEASE_METRICS), row.panel).toContain(row.name);
    }
  });

  it('asks for each metric under a dimension set the functions write it with, for this primary', () => {
    const sets = DIMENSION_SETS.map((set) => [...set].sort().join(','));
    for (const row of ours) {
      expect(sets, `${row.panel}: ${row.name}`).toContain(Object.keys(row.dims).sort().join(','));
      expect(row.dims.PrimaryDistributionId).toBe(REQUIRED.PrimaryDistributionId);
      if (row.dims.Action) expect(ACTIONS).toContain(row.dims.Action);
    }
  });

  it('shows every metric the functions emit somewhere', () => {
    expect(new Set(ours.map((r) => r.name))).toEqual(new Set(Object.keys(RELEASE_METRICS)));
  });

  it("compares staging with primary on CloudFront's metrics, read in us-east-1 with Region=Global", () => {
    const cloudFront = rows.filter((r) => r.namespace === 'AWS/CloudFront');
    expect(cloudFront.map((r) => r.name).sort()).toEqual(
      'StagingDistributionId' in given
        ? ['5xxErrorRate', '5xxErrorRate', 'Requests', 'Requests']
        : ['5xxErrorRate', 'Requests'],
    );
    for (const r of cloudFront) expect(r).toMatchObject({ region: 'us-east-1', dims: { Region: 'Global' } });
    const panels = widgets.filter((w) => w.properties.region === 'us-east-1');
    expect(panels).toHaveLength(2);
    for (const w of panels) expect(JSON.stringify(w.properties.metrics)).toMatch(/staging/);
  });

  it("lists the release's events from every function's log group, the watch's only when it exists", () => {
    const log = widgets.find((w) => w.type === 'log')!;
    const sources = [...(log.properties.query ?? '').matchAll(/SOURCE '<(\w+)>'/g)].map((m) => m[1]);
    expect(sources).toEqual([
      'EnableCdLogGroup',
      'PromoteLogGroup',
      'AbortLogGroup',
      ...('WatchMaxStaging5xxErrorRate' in given ? ['WatchLogGroup'] : []),
    ]);
    for (const id of sources) expect(template.Resources[id!]?.Type).toBe('AWS::Logs::LogGroup');
  });

  it('alarms on a rollback under the dimension set that adds up the watch and abort', () => {
    const alarm = template.Resources.RollbackAlarm!.Properties!;
    expect(alarm).toMatchObject({
      Namespace: 'CloudFrontCD',
      MetricName: 'Rollbacks',
      Dimensions: [{ Name: 'PrimaryDistributionId', Value: { Ref: 'PrimaryDistributionId' } }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(Object.keys(RELEASE_METRICS)).toContain(alarm.MetricName);
    expect(DIMENSION_SETS.map((s) => s.join(','))).toContain('PrimaryDistributionId');
    expect(alarm.AlarmActions).toEqual('AlertTopicArn' in given ? [{ Ref: 'AlertTopicArn' }] : undefined);
    const panel = widgets.find((w) => w.type === 'alarm')!;
    expect(panel.properties.alarms).toEqual(['<RollbackAlarm.Arn>', '<FailedInvocationAlarm.Arn>']);
  });

  it('tells the alert topic when an execution of this pipeline fails, and only with a topic', () => {
    const rule = template.Resources.ReleaseFailedRule;
    if (!('AlertTopicArn' in given)) return expect(rule).toBeUndefined();
    expect(rule!.Properties).toMatchObject({
      EventPattern: {
        source: ['aws.codepipeline'],
        'detail-type': ['CodePipeline Pipeline Execution State Change'],
        detail: { pipeline: [{ Ref: 'Pipeline' }], state: ['FAILED'] },
      },
      Targets: [expect.objectContaining({ Arn: { Ref: 'AlertTopicArn' } })],
    });
  });
});
