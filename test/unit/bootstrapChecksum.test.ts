// The code cache's checksum (src/bootstrap.ts): the WebAssembly loop must give exactly what the
// JavaScript reference gives, for every length, or a good cache would be refused (or a bad one let
// through to V8, which crashes on it).
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { checksum, fnv1aWords, fnvWasm } from '../../src/bootstrap';

function reference(data: Uint8Array): number {
  const words = data.length & ~3;
  let hash = fnv1aWords(data.subarray(0, words));
  for (let i = words; i < data.length; i++) hash = Math.imul(hash ^ data[i], 0x01000193);
  return hash >>> 0;
}

describe('bootstrap: the code cache checksum', () => {
  it('WebAssembly and the JavaScript reference agree for lengths 0–40, across a page and over several pages', () => {
    const lengths = [...Array.from({ length: 41 }, (_, i) => i), 65_532, 65_536, 65_540, 155_752, 300_001];
    for (const length of lengths) {
      const data = randomBytes(length);
      const words = data.subarray(0, length & ~3);
      assert.equal(fnvWasm(words), fnv1aWords(words), `words of ${length} bytes`);
      assert.equal(checksum(data), reference(data), `${length} bytes`);
    }
  });

  it('changes with any one changed byte, and with a cut tail', () => {
    const data = randomBytes(4_099);
    const whole = checksum(data);
    for (const at of [0, 1, 2, 3, 2_048, 4_095, 4_096, 4_098]) {
      const changed = Buffer.from(data);
      changed[at] ^= 0x01;
      assert.notEqual(checksum(changed), whole, `byte ${at}`);
    }
    assert.notEqual(checksum(data.subarray(0, 4_096)), whole);
  });

  it('reads a buffer that does not start at its ArrayBuffer’s beginning', () => {
    const backing = randomBytes(1_000);
    const view = backing.subarray(13, 13 + 800);
    assert.equal(checksum(view), reference(Uint8Array.from(view)));
  });
});
