/**
 * The user's CloudWatch alarms, in whichever regions they live: one DescribeAlarms call per region (at most 100 names
 * each), metric and composite alarms alike. An alarm named by ARN is read in the ARN's region; one named by its plain
 * name in the function's own region. The watch reads them for a canary, the bake for production.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { AlarmReading, AlarmRef, AlarmStates } from '../domain/alarms.js';
import { awsCall } from './call.js';
import { RETRY } from './clients/retry.js';

const clients = new Map<string, CloudWatchClient>();

/** A CloudWatch client for `region`; undefined: the function's own region (AWS_REGION). */
function cloudWatchIn(region: string | undefined): CloudWatchClient {
  const key = region ?? '';
  let client = clients.get(key);
  if (!client) {
    client = new CloudWatchClient({ ...(region ? { region } : {}), ...RETRY });
    clients.set(key, client);
  }
  return client;
}

async function readRegion(region: string | undefined, refs: AlarmRef[]): Promise<AlarmReading[]> {
  const names = refs.map((r) => r.name);
  const readings: AlarmReading[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const out = await awsCall(
      'DescribeAlarms',
      `CloudWatch alarms ${names.join(', ')} in ${region ?? 'the function region'}`,
      () =>
        cloudWatchIn(region).send(
          new DescribeAlarmsCommand({
            AlarmNames: names,
            // Without AlarmTypes, DescribeAlarms returns metric alarms only.
            AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
            MaxRecords: 100,
            ...(token ? { NextToken: token } : {}),
          }),
        ),
    );
    for (const a of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) {
      if (a.AlarmName && a.StateValue)
        readings.push({ name: a.AlarmName, region, state: a.StateValue, reason: a.StateReason });
    }
    nextToken = out.NextToken;
  } while (nextToken);
  return readings;
}

/** Reads every alarm, the regions side by side. */
export async function readAlarms(refs: readonly AlarmRef[]): Promise<AlarmStates> {
  if (!refs.length) return { readings: [], missing: [] };
  const byRegion = new Map<string | undefined, AlarmRef[]>();
  for (const ref of refs) byRegion.set(ref.region, [...(byRegion.get(ref.region) ?? []), ref]);
  const perRegion = await Promise.all([...byRegion].map(([region, group]) => readRegion(region, group)));
  const readings = perRegion.flat();
  const found = new Set(readings.map((r) => `${r.region ?? ''}/${r.name}`));
  return { readings, missing: refs.filter((r) => !found.has(`${r.region ?? ''}/${r.name}`)) };
}
