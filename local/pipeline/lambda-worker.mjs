// A stand-in for the Lambda Node.js runtime: loads one built bundle (dist/<name>/index.mjs) unmodified and calls its
// `handler` for each event sent over IPC, keeping the module warm between invocations like a Lambda container.
// Plain JavaScript on purpose: it runs the shipped bundle with nothing but `node`, as Lambda does.
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';

const [bundlePath, functionName] = process.argv.slice(2);
const END = '__local_lambda_invocation_end__';

// The wall clock the function reads can run ahead of the machine's (`clockOffsetMs` of each invocation): a chaos
// run moves the emulator's clock forward — minutes between releases, a continuation re-invoked late — and the
// function must see the same time, or its CloudWatch windows and waiting limits would not match the emulator's.
const RealDate = Date;
const realNow = RealDate.now.bind(RealDate);
let offsetMs = 0;
RealDate.now = () => realNow() + offsetMs;
globalThis.Date = class extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now());
    else super(...args);
  }
};

// Lambda sends every console method to the function's one log stream, each line at its level: here that stream is
// stdout, which the parent reads line by line (stderr would lose the order and the invocation of WARN and ERROR lines).
for (const method of ['debug', 'info', 'log', 'warn', 'error'])
  console[method] = (...args) => process.stdout.write(`${format(...args)}\n`);

const { handler } = await import(pathToFileURL(bundlePath).href);

process.on('message', async ({ id, event, timeoutMs, clockOffsetMs }) => {
  offsetMs = clockOffsetMs ?? 0;
  const deadline = Date.now() + timeoutMs;
  const context = { functionName, awsRequestId: id, getRemainingTimeInMillis: () => deadline - Date.now() };
  // The reply goes on stdout after the invocation's log lines, so the parent attributes every line to its invocation.
  const started = performance.now();
  const done = (reply) =>
    process.stdout.write(`\n${JSON.stringify({ [END]: id, handlerMs: performance.now() - started, ...reply })}\n`);
  try {
    const result = await handler(event, context);
    done({ ok: true, result: result ?? null });
  } catch (err) {
    done({ ok: false, error: { name: err?.name ?? 'Error', message: err?.message ?? String(err) } });
  }
});
// The parent checks which Node runs the bundle (the Lambda runtime's major when it is installed).
process.send({ ready: true, node: process.version });
