/**
 * The user's CloudWatch alarms as an input: `AlarmNames` (comma-separated alarm ARNs or plain names) parsed into
 * references, and what DescribeAlarms reported for them. The watch judges a canary by them, the bake production; both
 * read them with shared/aws/alarms.ts. Pure: no AWS call.
 */
import { InputError } from './errors.js';
import { describe, present } from './params.js';

/** DescribeAlarms takes at most 100 names per call; more than that is not a release's health any more. */
export const MAX_ALARMS = 100;

/** A CloudWatch alarm of the user's; `region` undefined means the function's own region. */
export interface AlarmRef {
  name: string;
  region: string | undefined;
}

/** One alarm as DescribeAlarms reported it. */
export interface AlarmReading extends AlarmRef {
  /** `OK`, `ALARM` or `INSUFFICIENT_DATA`. */
  state: string;
  /** CloudWatch's `StateReason`, for the log. */
  reason?: string | undefined;
}

/** What DescribeAlarms found, and the alarms it did not find (a typo, another account, another region). */
export interface AlarmStates {
  readings: AlarmReading[];
  missing: AlarmRef[];
}

/** `arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>`. */
const ALARM_ARN = /^arn:aws[a-z-]*:cloudwatch:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):alarm:(.+)$/;
/** Alarm names: 1–255 characters, no control characters (a comma separates names in AlarmNames). */
const ALARM_NAME = /^[^\p{Cc},]{1,255}$/u;

/** One `AlarmNames` entry: an alarm ARN (its region is the ARN's) or a plain name (the function's region). */
function alarmRef(entry: string): AlarmRef {
  if (entry.startsWith('arn:')) {
    const match = ALARM_ARN.exec(entry);
    if (!match || !ALARM_NAME.test(match[3] as string)) {
      throw new InputError(
        'AlarmNames',
        `${describe(entry)} is not a CloudWatch alarm ARN (arn:aws:cloudwatch:<region>:<account>:alarm:<name>)`,
      );
    }
    return { name: match[3] as string, region: match[1] as string };
  }
  if (!ALARM_NAME.test(entry)) {
    throw new InputError('AlarmNames', `${describe(entry)} is not a valid alarm name (1–255 characters)`);
  }
  return { name: entry, region: undefined };
}

/**
 * Parses `AlarmNames`: absent or empty → no alarm. Throws an {@link InputError} naming `AlarmNames` (said of
 * UserParameters; a caller whose input has fields re-words it with `from`) for a non-string, an empty entry, a bad
 * ARN or name, a duplicate, or more than {@link MAX_ALARMS}.
 */
export function parseAlarmNames(value: unknown): AlarmRef[] {
  if (!present(value)) return [];
  if (typeof value !== 'string') {
    throw new InputError(
      'AlarmNames',
      `must be a string of comma-separated alarm names or ARNs, got ${describe(value)}`,
    );
  }
  const entries = value.split(',').map((s) => s.trim());
  if (entries.some((e) => e === '')) {
    throw new InputError('AlarmNames', `${describe(value)} has an empty entry between commas`);
  }
  const alarms = entries.map(alarmRef);
  if (alarms.length > MAX_ALARMS) {
    throw new InputError('AlarmNames', `names ${alarms.length} alarms; at most ${MAX_ALARMS} are read`);
  }
  const seen = new Set<string>();
  for (const a of alarms) {
    const key = `${a.region ?? ''}/${a.name}`;
    if (seen.has(key)) throw new InputError('AlarmNames', `names alarm ${describe(a.name)} twice`);
    seen.add(key);
  }
  return alarms;
}

/** An alarm as the operator reads it in a verdict: its name, and its region when it has its own. */
export function alarmLabel(a: AlarmRef): string {
  return a.region ? `${a.name} (${a.region})` : a.name;
}

/** The alarms in ALARM: each one is a breach, whatever the traffic (an alarm is the user's own judgement). */
export function alarmsInAlarm(readings: readonly AlarmReading[]): AlarmReading[] {
  return readings.filter((a) => a.state === 'ALARM');
}
