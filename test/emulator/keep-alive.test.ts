/**
 * The emulator keeps an idle connection open as AWS endpoints do, not Node's 5 s: an SDK client's pooled connections
 * that all went idle together must not all be closed under it (each retry would meet a closed one: "socket hang up").
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KEEP_ALIVE_MS } from '../../local/emulator/server.js';
import { harness, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Sends one GET on `socket` and resolves with the status line of the answer. */
function get(socket: net.Socket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text)?.[1] ?? 0);
      if (end >= 0 && text.length >= end + 4 + length) {
        socket.off('data', onData);
        resolve(text.slice(0, text.indexOf('\r\n')));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
  });
}

describe('idle connections', () => {
  it("stay open past Node's 5 s, so a pooled connection can be reused after a pause", async () => {
    h = await harness();
    const { port } = new URL(h.emulator.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    let closed = false;
    socket.on('close', () => {
      closed = true;
    });
    expect(await get(socket, '/_emulator/help')).toMatch(/^HTTP\/1\.1 200/);
    await new Promise((r) => setTimeout(r, 7_000));
    expect(closed).toBe(false);
    expect(await get(socket, '/_emulator/help')).toMatch(/^HTTP\/1\.1 200/);
    socket.destroy();
    expect(KEEP_ALIVE_MS).toBeGreaterThanOrEqual(60_000);
  }, 15_000);
});
