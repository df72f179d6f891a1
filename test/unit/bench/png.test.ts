import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Canvas, crc32, encodePng } from '../../../bench/png.js';

/** The chunks of a PNG file: type, data, and whether the stored CRC matches. */
function chunks(png: Buffer) {
  const out: { type: string; data: Buffer; crcOk: boolean }[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('ascii', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    const crcOk = png.readUInt32BE(at + 8 + length) === crc32(png.subarray(at + 4, at + 8 + length));
    out.push({ type, data, crcOk });
    at += 12 + length;
  }
  return out;
}

describe('PNG encoder', () => {
  it("computes PNG's CRC-32 (the check value of the standard polynomial)", () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('writes the signature, IHDR (size, 8-bit truecolour), IDAT and IEND, each with a valid CRC', () => {
    const png = encodePng(3, 2, new Uint8Array(18));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const list = chunks(png);
    expect(list.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(list.every((c) => c.crcOk)).toBe(true);
    const ihdr = list[0]!.data;
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ...ihdr.subarray(8)]).toEqual([3, 2, 8, 2, 0, 0, 0]);
  });

  it('inflates to the scanlines: a filter byte 0, then each row of RGB pixels', () => {
    const rgb = Uint8Array.from({ length: 12 }, (_, i) => i * 10);
    const idat = chunks(encodePng(2, 2, rgb)).find((c) => c.type === 'IDAT')!.data;
    expect([...inflateSync(idat)]).toEqual([0, 0, 10, 20, 30, 40, 50, 0, 60, 70, 80, 90, 100, 110]);
  });

  it('refuses pixels that do not fill the image', () => {
    expect(() => encodePng(2, 2, new Uint8Array(11))).toThrow(RangeError);
  });

  it('draws lines and text onto the raster it encodes', () => {
    const canvas = new Canvas(20, 10, [255, 255, 255]);
    canvas.line(0, 0, 19, 0, [255, 0, 0]);
    canvas.text(0, 3, 'I', [0, 0, 0], 1);
    const at = (x: number, y: number) => [...canvas.pixels.subarray((y * 20 + x) * 3, (y * 20 + x) * 3 + 3)];
    expect(at(10, 0)).toEqual([255, 0, 0]);
    expect(at(1, 3)).toEqual([0, 0, 0]); // the I's top bar
    expect(at(0, 4)).toEqual([255, 255, 255]); // beside its stem
  });
});
