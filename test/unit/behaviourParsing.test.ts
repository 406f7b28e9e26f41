import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { expandUidSet, parseFetch, responseCode, vanished } from '../../src/protocol/probe/behaviour/imapClient';
import { headerBlock, Pop3Client } from '../../src/protocol/probe/behaviour/pop3Client';
import { describeDifference } from '../../src/protocol/probe/behaviour/recorder';
import { renderBehaviour } from '../../src/protocol/probe/behaviour/render';
import { BEHAVIOUR_LIMITS, Budget, evidenceSince } from '../../src/protocol/probe/behaviour/session';
import { ProbeConnection } from '../../src/protocol/probe/connection';
import { Transcript } from '../../src/protocol/probe/transcript';
import { BehaviourReport, ProbeReport, verdictOf } from '../../src/shared/probeReport';

describe('behaviour checks: reading answers', () => {
  it('expands UID sets, ranges either way round, and stops at the limit', () => {
    assert.deepEqual(expandUidSet('1:3,7,9:8'), [1, 2, 3, 7, 8, 9]);
    assert.equal(expandUidSet('1:4294967295').length, 10_000);
    assert.deepEqual(expandUidSet('x,5'), [5]);
  });

  it('reads FETCH items and keeps BODY[] as the literal bytes', () => {
    const body = Buffer.from([0x41, 0xff, 0x0d, 0x0a]);
    const f = parseFetch({ text: '* 3 FETCH (UID 17 FLAGS (\\Seen \\Flagged) MODSEQ (42) BODY[] {4})', literals: [body] });
    assert.deepEqual(f, { seq: 3, uid: 17, flags: ['\\Seen', '\\Flagged'], modseq: 42, body });
    assert.equal(parseFetch({ text: '* 3 EXISTS', literals: [] }), undefined);
  });

  it('tells VANISHED from VANISHED (EARLIER) and finds response codes in untagged or tagged lines', () => {
    const r = { status: 'OK' as const, text: '[COPYUID 9 3 1] Moved', untagged: [{ text: '* VANISHED (EARLIER) 2:3', literals: [] }, { text: '* VANISHED 5', literals: [] }] };
    assert.deepEqual(vanished(r, true), [2, 3]);
    assert.deepEqual(vanished(r, false), [5]);
    assert.deepEqual(responseCode(r, 'COPYUID'), ['9', '3', '1']);
    assert.equal(responseCode(r, 'APPENDUID'), undefined);
  });

  it('says where two byte strings first differ', () => {
    assert.match(describeDifference(Buffer.from('abcdef'), Buffer.from('abXdef')), /6 bytes sent, 6 read back; first difference at byte 2: sent "cdef", read "Xdef"/);
    assert.deepEqual(headerBlock(Buffer.from('A: 1\r\nB: 2\r\n\r\nbody')), Buffer.from('A: 1\r\nB: 2\r\n\r\n'));
  });

  it('keeps every command in long evidence and counts the lines it leaves out', () => {
    const t = new Transcript();
    t.add('C', 'A1 UID FETCH 1 BODY.PEEK[]');
    for (let i = 0; i < 200; i++) t.add('S', `line ${i}`);
    t.add('C', 'A2 LOGOUT');
    t.add('S', 'A2 OK');
    const e = evidenceSince(t, 0);
    assert.ok(e.length <= BEHAVIOUR_LIMITS.maxEvidenceLines);
    assert.deepEqual(e.filter((l) => l.dir === 'C').map((l) => l.text), ['A1 UID FETCH 1 BODY.PEEK[]', 'A2 LOGOUT']);
    assert.ok(e.some((l) => /^\(19\d lines left out\)$/.test(l.text)));
  });

  it('reads a POP3 multi-line answer byte for byte: 8-bit, dot-unstuffed, split across chunks', async () => {
    const server = net.createServer((s) => {
      s.once('data', () => {
        const reply = Buffer.concat([Buffer.from('+OK\r\nSubject: x\r\n\r\n..dot\r\n'), Buffer.from([0xe9, 0xff, 0x0d, 0x0a]), Buffer.from('.\r\n')]);
        for (let i = 0; i < reply.length; i += 3) setTimeout(() => s.write(reply.subarray(i, i + 3)), i);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const budget = new Budget(5_000, 5_000);
    try {
      const port = (server.address() as net.AddressInfo).port;
      const conn = await ProbeConnection.connect({ host: '127.0.0.1', address: '127.0.0.1', port }, new Transcript());
      budget.track(conn);
      const body = await new Pop3Client(conn, [], budget).multiline('RETR 1');
      assert.deepEqual(body, Buffer.concat([Buffer.from('Subject: x\r\n\r\n.dot\r\n'), Buffer.from([0xe9, 0xff, 0x0d, 0x0a])]));
    } finally {
      budget.dispose();
      server.close();
    }
  });
});

describe('behaviour checks: verdict and rendering', () => {
  const behaviour = (outcome: 'pass' | 'fail'): BehaviourReport => ({
    protocol: 'imap',
    startedAt: '2024-01-01T00:00:00.000Z',
    totalMs: 5,
    budgetMs: 100,
    checks: [{ id: 'imap.append-fetch', title: 'APPEND then FETCH', outcome, detail: 'came back different', ms: 3, evidence: [{ t: 1, dir: 'C', text: '[a] A5 UID FETCH 1 (UID BODY.PEEK[])' }] }],
    scratch: { folders: ['Mailroom-check-x'], removed: true },
  });
  const report = (b: BehaviourReport): ProbeReport => ({ behaviour: b, warnings: [] } as unknown as ProbeReport);

  it('a failed check fails the report; passing checks do not', () => {
    assert.equal(verdictOf(report(behaviour('fail'))), 'failed');
    assert.equal(verdictOf(report(behaviour('pass'))), 'ok');
    assert.equal(verdictOf(report({ ...behaviour('pass'), scratch: { folders: ['f'], removed: false } })), 'failed', 'a folder left behind');
  });

  it('shows a failed row with the lines that decided it, and passing rows without them', () => {
    const failed = renderBehaviour(behaviour('fail'));
    assert.match(failed, /\| `imap.append-fetch` APPEND then FETCH \| \*\*FAIL\*\* \| came back different \| 3 ms \|/);
    assert.match(failed, /#### `imap.append-fetch` — fail\n\n```\n +1 ms C \[a\] A5 UID FETCH 1/);
    assert.doesNotMatch(renderBehaviour(behaviour('pass')), /####/);
    assert.match(renderBehaviour(behaviour('pass')), /Scratch folders `Mailroom-check-x`: removed/);
  });
});
