import * as assert from 'node:assert/strict';
import { ConnectionGate, gated, hostGates } from '../../src/protocol/probe/connectionGate';

describe('connection gate (a check\'s connections per host)', () => {
  it('never lets more than its limit run at once, and runs every one', async () => {
    const gate = new ConnectionGate(3);
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await Promise.all(Array.from({ length: 20 }, (_, i) => gate.run(async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, (i * 7) % 5));
      running--;
      done.push(i);
    })));
    assert.equal(most, 3);
    assert.equal(gate.peak, 3);
    assert.equal(done.length, 20);
  });

  it('gives a slot back once however often released, and when the work throws', async () => {
    const gate = new ConnectionGate(1);
    const release = await gate.acquire();
    release();
    release();
    await assert.rejects(gate.run(async () => {
      throw new Error('refused');
    }), /refused/);
    const a = await gate.acquire();
    let second = false;
    const b = gate.acquire().then((r) => {
      second = true;
      return r;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(second, false, 'the one slot is taken');
    a();
    (await b)();
    assert.equal(gate.peak, 1);
  });

  it('one gate per host name, whatever its case; none means no limit', async () => {
    const gateFor = hostGates(2);
    assert.equal(gateFor('Mail.Example.com'), gateFor('mail.example.com'));
    assert.notEqual(gateFor('mail.example.com'), gateFor('smtp.example.com'));
    assert.equal(await gated(undefined, async () => 7), 7);
    assert.throws(() => new ConnectionGate(0), RangeError);
  });
});
