/**
 * `npm run dashboard-png`: the picture of a release in docs/observability.md, drawn from the emulator's figures.
 * A weight-based canary (15 % of viewers) on the local site, under a virtual clock: viewers for 30 minutes, the
 * policy attached at minute 4 (what enable-cd does), the staging's release failing half its requests from minute 14,
 * the policy disabled at minute 18 (what the watch does on an unhealthy verdict). Then the dashboard's two CloudFront
 * panels — requests per minute and 5xxErrorRate, primary against staging — are read back with GetMetricData and
 * drawn with the release's events marked. Writes docs/dashboard.png.
 */
import { writeFileSync } from 'node:fs';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  GetContinuousDeploymentPolicyCommand,
  GetDistributionConfigCommand,
  UpdateContinuousDeploymentPolicyCommand,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import { startEmulator } from '../local/emulator/index.js';
import { localClients } from '../local/pipeline/aws.js';
import { createSite } from '../local/pipeline/site.js';
import { SimulatedStagingStack } from '../local/pipeline/staging-stack.js';
import { Canvas, type Rgb } from './png.js';

const MINUTES = 30;
const VIEWERS_PER_MINUTE = 80;
const EVENTS = [
  { minute: 4, label: 'CANARY ON' },
  { minute: 14, label: 'STAGING 5XX' },
  { minute: 18, label: 'ROLLBACK' },
];
const OUT = new URL('../docs/dashboard.png', import.meta.url);

let clock = Date.UTC(2026, 0, 5, 9, 0);

type Point = { minute: number; value: number };

const WHITE: Rgb = [255, 255, 255];
const INK: Rgb = [60, 60, 60];
const GRID: Rgb = [225, 225, 225];
const PRIMARY: Rgb = [31, 119, 180];
const STAGING: Rgb = [255, 127, 14];
const EVENT: Rgb = [200, 40, 40];

/** Two panels, one above the other, with a legend and the release's events as vertical lines. */
function draw(panels: { title: string; primary: Point[]; staging: Point[] }[]): Buffer {
  const width = 760;
  const panelHeight = 180;
  const left = 50;
  const right = width - 20;
  const canvas = new Canvas(width, 40 + panels.length * (panelHeight + 30), WHITE);
  canvas.text(left, 10, 'PRIMARY', PRIMARY);
  canvas.text(left + 80, 10, 'STAGING', STAGING);
  canvas.text(left + 160, 10, 'RELEASE EVENTS', EVENT);
  const x = (minute: number) => left + ((right - left) * minute) / (MINUTES - 1);
  panels.forEach((panel, k) => {
    const top = 40 + k * (panelHeight + 30);
    const bottom = top + panelHeight;
    const max = Math.max(1, ...panel.primary.map((p) => p.value), ...panel.staging.map((p) => p.value));
    const y = (value: number) => bottom - ((bottom - top - 14) * value) / max;
    canvas.text(left, top, panel.title, INK);
    for (const f of [0, 0.5, 1]) {
      canvas.line(left, y(max * f), right, y(max * f), GRID);
      canvas.text(4, y(max * f) - 5, String(Math.round(max * f)), INK);
    }
    for (let m = 0; m < MINUTES; m += 5) canvas.text(x(m) - 4, bottom + 6, String(m), INK);
    for (const [n, e] of EVENTS.entries()) {
      for (let py = top + 10; py < bottom; py += 6) canvas.line(x(e.minute), py, x(e.minute), py + 3, EVENT);
      if (k === 0) canvas.text(x(e.minute) + 4, top + 14 + n * 14, e.label, EVENT);
    }
    for (const [points, color] of [
      [panel.primary, PRIMARY],
      [panel.staging, STAGING],
    ] as const) {
      for (let i = 1; i < points.length; i++) {
        const a = points[i - 1]!;
        const b = points[i]!;
        // A minute without requests has no datapoint: the line breaks there, as CloudWatch draws it.
        if (b.minute - a.minute === 1) canvas.line(x(a.minute), y(a.value), x(b.minute), y(b.value), color, 2);
      }
    }
    canvas.line(left, bottom, right, bottom, INK);
  });
  canvas.text(right - 60, 40 + panels.length * (panelHeight + 30) - 14, 'MINUTES', INK);
  return canvas.png();
}

/** Runs the release on the emulator, reads the figures back and writes the picture. */
async function main(): Promise<void> {
  const emulator = await startEmulator({ now: () => clock });
  try {
    const clients = localClients(emulator.url);
    const site = await createSite(clients);
    const staging = (
      await new SimulatedStagingStack(clients).deploy({
        originPath: '/v2',
        traffic: { type: 'weight', weight: 0.15, idleTTL: 300, maximumTTL: 600 },
      })
    ).outputs;
    emulator.settle();
    const cf = clients.cloudFront;
    const start = clock;
    for (let minute = 0; minute < MINUTES; minute++) {
      clock = start + minute * 60_000;
      if (minute === 4) {
        const primary = await cf.send(new GetDistributionConfigCommand({ Id: site.primaryId }));
        await cf.send(
          new UpdateDistributionCommand({
            Id: site.primaryId,
            IfMatch: primary.ETag,
            DistributionConfig: {
              ...primary.DistributionConfig!,
              ContinuousDeploymentPolicyId: staging.ContinuousDeploymentPolicyId,
            },
          }),
        );
        emulator.settle();
      }
      if (minute === 14) emulator.setReleaseFailure('/v2', 0.5);
      if (minute === 18) {
        const policy = await cf.send(
          new GetContinuousDeploymentPolicyCommand({ Id: staging.ContinuousDeploymentPolicyId }),
        );
        await cf.send(
          new UpdateContinuousDeploymentPolicyCommand({
            Id: staging.ContinuousDeploymentPolicyId,
            IfMatch: policy.ETag,
            ContinuousDeploymentPolicyConfig: {
              ...policy.ContinuousDeploymentPolicy!.ContinuousDeploymentPolicyConfig!,
              Enabled: false,
            },
          }),
        );
        emulator.settle();
      }
      for (let v = 0; v < VIEWERS_PER_MINUTE; v++) {
        clock = start + minute * 60_000 + Math.floor((v * 60_000) / VIEWERS_PER_MINUTE);
        await emulator.viewer(site.primaryDomain, `/page-${minute}-${v}.html`);
      }
    }
    const cloudWatch = new CloudWatchClient({
      endpoint: emulator.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const query = (id: string, distributionId: string, metric: string, stat: string) => ({
      Id: id,
      MetricStat: {
        Metric: {
          Namespace: 'AWS/CloudFront',
          MetricName: metric,
          Dimensions: [
            { Name: 'DistributionId', Value: distributionId },
            { Name: 'Region', Value: 'Global' },
          ],
        },
        Period: 60,
        Stat: stat,
      },
    });
    const out = await cloudWatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(start),
        EndTime: new Date(start + MINUTES * 60_000),
        ScanBy: 'TimestampAscending',
        MetricDataQueries: [
          query('pr', site.primaryId, 'Requests', 'Sum'),
          query('sr', staging.StagingDistributionId, 'Requests', 'Sum'),
          query('pe', site.primaryId, '5xxErrorRate', 'Average'),
          query('se', staging.StagingDistributionId, '5xxErrorRate', 'Average'),
        ],
      }),
    );
    const series = (id: string) => {
      const r = out.MetricDataResults?.find((m) => m.Id === id);
      return (r?.Timestamps ?? []).map((t, i) => ({ minute: (t.getTime() - start) / 60_000, value: r!.Values![i]! }));
    };
    const png = draw([
      { title: 'REQUESTS / MIN', primary: series('pr'), staging: series('sr') },
      { title: '5XX ERROR RATE %', primary: series('pe'), staging: series('se') },
    ]);
    writeFileSync(OUT, png);
    console.log(`wrote ${OUT.pathname} (${png.length} bytes)`);
  } finally {
    await emulator.close();
  }
}

await main();
