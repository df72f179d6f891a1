/**
 * The emulator has no CloudWatch alarms: this small proxy in front of it answers DescribeAlarms from a map the test
 * sets (reading the region from the request's SigV4 signature) and passes every other request on to the emulator.
 * The watch's and the bake's e2e tests point a function's CloudWatch endpoint (AWS_ENDPOINT_URL_CLOUDWATCH) at it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A CloudWatch endpoint that answers DescribeAlarms from `alarms` and passes every other request to the emulator. */
export interface EmulatorProxy {
  url: string;
  alarms: Map<string, string>;
  /** The region each DescribeAlarms was signed for (the SigV4 credential scope). */
  describeAlarmsRegions: string[];
  close(): Promise<void>;
}

/** `beforeForward` runs before a request is passed on (e.g. to change the world between two reads of one tick). */
export async function startEmulatorProxy(
  emulatorUrl: string,
  beforeForward: (method: string, path: string) => Promise<void> = async () => undefined,
): Promise<EmulatorProxy> {
  const alarms = new Map<string, string>();
  const describeAlarmsRegions: string[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (req.headers['x-amz-target'] === 'GraniteServiceVersion20100801.DescribeAlarms') {
      const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(req.headers.authorization ?? '');
      describeAlarmsRegions.push(scope?.[1] ?? 'unsigned');
      const { AlarmNames = [] } = JSON.parse(body.toString() || '{}') as { AlarmNames?: string[] };
      const found = AlarmNames.filter((n) => alarms.has(n));
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(
        JSON.stringify({
          MetricAlarms: found.map((n) => ({ AlarmName: n, StateValue: alarms.get(n), StateReason: 'set by the test' })),
          CompositeAlarms: [],
        }),
      );
      return;
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(
        (e): e is [string, string] =>
          typeof e[1] === 'string' && !['host', 'connection', 'content-length'].includes(e[0]),
      ),
    );
    await beforeForward(req.method ?? 'POST', req.url ?? '/');
    const upstream = await fetch(`${emulatorUrl}${req.url ?? '/'}`, {
      method: req.method ?? 'POST',
      headers,
      ...(body.length ? { body } : {}),
    });
    // Every header but the framing ones: CloudFront's answers carry the ETag there.
    const answer = Object.fromEntries(
      [...upstream.headers].filter(
        ([k]) => !['content-length', 'transfer-encoding', 'connection', 'content-encoding'].includes(k),
      ),
    );
    res.writeHead(upstream.status, answer);
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    alarms,
    describeAlarmsRegions,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
