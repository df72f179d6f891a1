// One cold invocation, as a new Lambda execution environment pays it: this fresh `node` process imports a bundle and
// calls its handler once with the event in argv[3]. Plain JavaScript on purpose (like
// local/pipeline/lambda-worker.mjs): nothing but `node` runs before the bundle, no loader hooks, no module cache.
// Node's own boot is not counted (it is the same for every bundle); the clock starts here. Prints one line, prefixed
// by MARK, after the handler's own logs: wall and CPU time (user + system, process.cpuUsage) of the import and of the
// invocation.
import { pathToFileURL } from 'node:url';

const MARK = '__cold_invocation__';
const [bundlePath, eventJson, functionName] = process.argv.slice(2);
const event = JSON.parse(eventJson);
const context = {
  functionName,
  awsRequestId: 'cold',
  getRemainingTimeInMillis: () => 60_000,
};
const ms = ({ user, system }) => (user + system) / 1000;

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const importStartedAt = process.hrtime.bigint();
const { handler } = await import(pathToFileURL(bundlePath).href);
const t1 = performance.now();
const importedAt = process.hrtime.bigint();
const importCpu = process.cpuUsage(cpu0);
const cpu1 = process.cpuUsage();
let error;
try {
  await handler(event, context);
} catch (err) {
  error = { name: err?.name ?? 'Error', message: err?.message ?? String(err) };
}
const t2 = performance.now();
const invokeCpu = process.cpuUsage(cpu1);
const reply = {
  importMs: t1 - t0,
  invokeMs: t2 - t1,
  importCpuMs: ms(importCpu),
  invokeCpuMs: ms(invokeCpu),
  // The monotonic clock at the start and end of the import, to split a --cpu-prof profile into Node's boot, the
  // import and the invocation.
  importStartedAtUs: Number(importStartedAt / 1000n),
  importedAtUs: Number(importedAt / 1000n),
  // The start of the invocation on the epoch clock, to line it up with the emulator's request log.
  invokeStartEpochMs: performance.timeOrigin + t1,
  ...(error ? { error } : {}),
};
process.stdout.write(`\n${MARK}${JSON.stringify(reply)}\n`);
