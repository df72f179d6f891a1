/**
 * The emulator's front door: what a web page could send it (another Host, a foreign Origin, a cross-site fetch) is
 * refused with 403, and a body over the limit with 413 — in the wire shape of the service addressed, before the body is
 * read, and reading stops there. The SDK clients, Node's fetch and the viewer keep working.
 */
import net from 'node:net';
import { GetDistributionCommand } from '@aws-sdk/client-cloudfront';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, refusedAtTheDoor } from '../../local/emulator/server.js';
import { createDistribution, harness, siteBucket, siteConfig, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Request bytes the client managed to hand to the socket before the answer came (or the connection ended). */
  written: number;
}

/**
 * Sends a request on a raw socket (Host and every header as given, which fetch would not allow), streams `stream`
 * bytes of body in 64 KiB chunks after `body` while the server reads, and resolves with the answer once the server
 * has answered and closed, or ended the connection.
 */
function raw(
  url: string,
  request: {
    method: string;
    path: string;
    headers: Record<string, string>;
    body?: string;
    stream?: number;
    version?: '1.0' | '1.1';
  },
): Promise<RawAnswer> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    const received: Buffer[] = [];
    let written = 0;
    let answered = false;
    const finish = () => {
      const text = Buffer.concat(received).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no answer (received ${JSON.stringify(text.slice(0, 200))})`));
      const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
      const headers = Object.fromEntries(
        lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body: text.slice(split + 4), written });
    };
    socket.on('data', (d: Buffer) => {
      answered = true;
      received.push(d);
    });
    socket.on('close', finish);
    // The server may close while the client still sends: a reset after the answer is part of refusing.
    socket.on('error', () => {});
    // One request per connection: the answer is complete when the server closes.
    const headers = { connection: 'close', ...request.headers };
    const head = [
      `${request.method} ${request.path} HTTP/${request.version ?? '1.1'}`,
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    socket.write(`${head.join('\r\n')}\r\n\r\n${request.body ?? ''}`);
    written += Buffer.byteLength(request.body ?? '');
    let left = request.stream ?? 0;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const pump = () => {
      while (left > 0 && !answered && !socket.destroyed) {
        const part = chunk.subarray(0, Math.min(chunk.length, left));
        left -= part.length;
        written += part.length;
        if (!socket.write(part)) return void socket.once('drain', pump);
      }
    };
    pump();
  });
}

const hostOf = (url: string) => new URL(url).host;

describe('the emulator refuses requests a web page could make', () => {
  it('refuses another Host (DNS rebinding) with 403 in the addressed service shape, and changes nothing', async () => {
    h = await harness();
    const url = h.emulator.url;
    const port = new URL(url).port;
    const before = JSON.stringify(await (await fetch(`${url}/_emulator/state`)).json());
    const cloudFront = await raw(url, {
      method: 'POST',
      path: '/2020-05-31/distribution',
      headers: { host: `rebind.attacker.example:${port}`, 'content-type': 'text/xml', 'content-length': '0' },
    });
    expect(cloudFront.status).toBe(403);
    expect(cloudFront.body).toContain('<Code>AccessDenied</Code>');
    expect(cloudFront.body).toContain('rebind.attacker.example');
    const control = await raw(url, {
      method: 'POST',
      path: '/_emulator/latency',
      headers: { host: `evil.example:${port}`, 'content-type': 'application/json', 'content-length': '12' },
      body: '{"ms":60000}',
    });
    expect(control.status).toBe(403);
    expect(JSON.parse(control.body)).toEqual({
      message: expect.stringContaining('addressed to 127.0.0.1 or localhost'),
    });
    const pipeline = await raw(url, {
      method: 'POST',
      path: '/',
      headers: {
        host: '127.0.0.1.nip.example',
        'x-amz-target': 'CodePipeline_20150709.PutJobSuccessResult',
        'content-type': 'application/x-amz-json-1.1',
        'content-length': '2',
      },
      body: '{}',
    });
    expect(pipeline.status).toBe(403);
    expect(JSON.parse(pipeline.body)).toMatchObject({ __type: 'AccessDenied' });
    expect(pipeline.headers['x-amzn-errortype']).toBe('AccessDenied');
    expect(JSON.stringify(await (await fetch(`${url}/_emulator/state`)).json())).toBe(before);
  });

  it('refuses a request without Host, and quotes a long Host cut to 80 characters', async () => {
    h = await harness();
    // HTTP/1.1 without Host is refused by Node's server itself (400); HTTP/1.0 needs none, and is refused here.
    const none = await raw(h.emulator.url, { method: 'GET', path: '/_emulator/state', headers: {}, version: '1.0' });
    expect(none.status).toBe(403);
    expect(JSON.parse(none.body)).toEqual({ message: expect.stringContaining('not one without Host') });
    const long = await raw(h.emulator.url, {
      method: 'GET',
      path: '/_emulator/state',
      headers: { host: `${'a'.repeat(5000)}.example` },
    });
    expect(long.status).toBe(403);
    expect(long.body.length).toBeLessThan(300);
  });

  it('refuses a foreign Origin (CSRF from a form or fetch), and Origin null, before anything changes', async () => {
    h = await harness();
    const url = h.emulator.url;
    for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1.evil.example', 'file://']) {
      const answer = await raw(url, {
        method: 'POST',
        path: '/_emulator/fault',
        headers: {
          host: hostOf(url),
          origin,
          'content-type': 'text/plain',
          'content-length': '51',
        },
        body: '{"operation":"GetDistribution","error":"Throttling"}'.slice(0, 51),
      });
      expect(answer.status, origin).toBe(403);
      expect(answer.body, origin).toContain('another origin');
    }
    expect((await (await fetch(`${url}/_emulator/state`)).json()) as { pendingFaults: unknown[] }).toMatchObject({
      pendingFaults: [],
    });
  });

  it("refuses a browser's cross-site request that carries no Origin (an image, a script)", async () => {
    h = await harness();
    const d = await createDistribution(h, siteConfig('p'));
    const answer = await raw(h.emulator.url, {
      method: 'GET',
      path: `/_viewer/${d.domainName}/`,
      headers: { host: hostOf(h.emulator.url), 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' },
    });
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('Sec-Fetch-Site cross-site');
  });

  it('answers loopback clients: SDK, fetch, localhost, a page on this machine, and the viewer', async () => {
    h = await harness();
    const d = await createDistribution(h, siteConfig('p'));
    await siteBucket(h, [d.arn]);
    expect((await h.cf.send(new GetDistributionCommand({ Id: d.id }))).Distribution?.Id).toBe(d.id);
    expect((await h.emulator.viewer(d.domainName, '/')).status).toBe(200);
    const port = new URL(h.emulator.url).port;
    const loopback: Record<string, string>[] = [
      { host: `localhost:${port}` },
      { host: 'LOCALHOST' },
      { host: `[::1]:${port}` },
      { host: `127.0.0.1:${port}`, origin: `http://localhost:${port}`, 'sec-fetch-site': 'same-origin' },
      { host: `127.0.0.1:${port}`, origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'none' },
    ];
    for (const headers of loopback) {
      const answer = await raw(h.emulator.url, { method: 'GET', path: `/_viewer/${d.domainName}/`, headers });
      expect(answer.status, JSON.stringify(headers)).toBe(200);
    }
  });
});

describe('refusedAtTheDoor', () => {
  it.each([
    [{ host: '127.0.0.1:4566' }, undefined],
    [{ host: 'localhost' }, undefined],
    [{ host: '127.0.0.1:4566', origin: 'https://localhost:8443' }, undefined],
    [{ host: '127.0.0.1:4566', 'sec-fetch-site': 'same-origin' }, undefined],
    [{ host: '127.0.0.2:4566' }, /Host "127.0.0.2:4566"/],
    [{ host: 'localhost.evil.example' }, /Host/],
    [{ host: '127.0.0.1:4566 evil' }, /Host/],
    [{}, /not one without Host/],
    [{ host: '127.0.0.1', origin: 'https://localhost.evil.example' }, /Origin/],
    [{ host: '127.0.0.1', origin: 'http://localhost:80/path' }, /Origin/],
    [{ host: '127.0.0.1', 'sec-fetch-site': 'same-site' }, /Sec-Fetch-Site same-site/],
  ])('%j → %s', (headers, refusal) => {
    const answer = refusedAtTheDoor(headers);
    if (refusal === undefined) expect(answer).toBeUndefined();
    else expect(answer).toMatch(refusal);
  });
});

describe('the emulator limits request bodies', () => {
  it(`answers 413 for a Content-Length over ${MAX_BODY_BYTES} bytes before reading the body, in S3's shape`, async () => {
    h = await harness();
    const answer = await raw(h.emulator.url, {
      method: 'PUT',
      path: '/site-assets/big.bin',
      headers: { host: hostOf(h.emulator.url), 'content-length': String(300 * 1024 * 1024) },
    });
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe('close');
    expect(answer.body).toContain('<Code>RequestEntityTooLarge</Code>');
    expect(answer.written).toBe(0);
  });

  it('stops reading a streamed body once it passes the limit, and answers 413 in the JSON protocol shape', async () => {
    h = await harness();
    const total = 64 * 1024 * 1024;
    const answer = await raw(h.emulator.url, {
      method: 'POST',
      path: '/',
      headers: {
        host: hostOf(h.emulator.url),
        'x-amz-target': 'CodePipeline_20150709.PutJobSuccessResult',
        'content-type': 'application/x-amz-json-1.1',
        'transfer-encoding': 'chunked',
      },
      // Chunked framing is the client's to write: one chunk header, then bytes the server counts as they come.
      body: `${total.toString(16)}\r\n`,
      stream: total,
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({
      __type: 'RequestEntityTooLarge',
      message: `The request body exceeds the emulator's limit of ${MAX_BODY_BYTES} bytes.`,
    });
    // The answer came while the client was still sending: far less than the whole body was written.
    expect(answer.written).toBeLessThan(total / 2);
  });

  it('still takes a body just under the limit', async () => {
    h = await harness();
    await siteBucket(h, []);
    const body = 'x'.repeat(MAX_BODY_BYTES);
    const res = await fetch(`${h.emulator.url}/site-assets/big.txt`, { method: 'PUT', body });
    expect(res.status).toBe(200);
    const back = await fetch(`${h.emulator.url}/site-assets/big.txt`);
    expect((await back.text()).length).toBe(MAX_BODY_BYTES);
  });
});
