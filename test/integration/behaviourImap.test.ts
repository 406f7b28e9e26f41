// The opt-in behaviour checks (mailroom-check --behaviour) against real Dovecot: every row passes
// on a normal server, rows become "skipped" when a capability is switched off, the scratch folders
// are gone afterwards and the account's own mail is untouched, also when the connection dies
// half-way through.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { runImapBehaviour } from '../../src/protocol/probe/behaviour/imapSuite';
import { parseProbeUrl } from '../../src/protocol/probe/target';
import type { BehaviourReport } from '../../src/shared/probeReport';
import { DovecotFixture, startDovecot } from '../fixtures/dovecot';
import { FaultProxy } from '../fixtures/faultProxy';
import { startImapFetchAltersBytes, startImapIdleSilent } from '../fixtures/imapBehaviourFakes';
import { snapshotMaildir } from '../fixtures/maildirSnapshot';
import { requireDovecot } from './requireDovecot';

/** Dovecot 2.3's capability list after login minus the named ones; `imap_capability` replaces it. */
const DOVECOT_CAPS =
  'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE';
const without = (...hidden: string[]): string => `imap_capability = ${DOVECOT_CAPS.split(' ').filter((c) => !hidden.includes(c)).join(' ')}`;

const outcomes = (r: BehaviourReport): Record<string, string> => Object.fromEntries(r.checks.map((c) => [c.id, c.outcome]));
const explain = (r: BehaviourReport): string => JSON.stringify(r.checks.filter((c) => c.outcome !== 'pass').map((c) => [c.id, c.detail]).concat(r.error ? [['error', r.error.message]] : []));

describe('behaviour checks against Dovecot (IMAP)', function () {
  this.timeout(90_000);
  const started: DovecotFixture[] = [];
  const dovecot = async (configExtra?: string, options: Parameters<typeof startDovecot>[0] = {}): Promise<DovecotFixture> => {
    const d = await startDovecot({ ...options, ...(configExtra ? { configExtra } : {}) });
    started.push(d);
    return d;
  };
  before(function () {
    requireDovecot(this);
  });
  after(async () => {
    await Promise.all(started.map((d) => d.stop()));
  });

  const run = (d: DovecotFixture, port = d.ports.imaps, extra: Partial<Parameters<typeof runImapBehaviour>[1]> = {}): Promise<BehaviourReport> =>
    runImapBehaviour(parseProbeUrl(`imaps://127.0.0.1:${port}`), { credentials: d.users.alice, ca: [d.certPem], insecure: true, ...extra });

  it('passes every check on a normal Dovecot, removes its scratch folders and leaves the mail byte-identical', async () => {
    const d = await dovecot();
    const maildir = path.join(d.home('alice'), 'Maildir');
    const before = snapshotMaildir(maildir);
    const r = await run(d);
    assert.deepEqual(Object.values(outcomes(r)).filter((o) => o !== 'pass'), [], explain(r));
    assert.equal(r.checks.length, 8);
    assert.equal(r.scratch?.removed, true, JSON.stringify(r.scratch));
    assert.equal(r.scratch?.folders.length, 2);
    assert.deepEqual(snapshotMaildir(maildir), before);
    const append = r.checks.find((c) => c.id === 'imap.append-fetch')!;
    assert.ok(append.evidence.some((l) => l.dir === 'C' && /APPEND .*\{\d{4,}\+\}$/.test(l.text)), 'a literal over 4 KB, sent with LITERAL+');
    assert.ok(append.evidence.every((l) => !l.text.includes(d.users.alice.password)));
    const idle = r.checks.find((c) => c.id === 'imap.idle')!;
    assert.ok(idle.evidence.some((l) => /^\[b\] \* \d+ EXISTS/.test(l.text)), 'the deciding line is in the evidence');
  });

  it('skips (does not fail) the CONDSTORE, QRESYNC, MOVE and IDLE checks when Dovecot does not offer them, and uses synchronizing literals without LITERAL+', async () => {
    const d = await dovecot(without('CONDSTORE', 'QRESYNC', 'MOVE', 'IDLE', 'LITERAL+'));
    const r = await run(d);
    assert.deepEqual(outcomes(r), {
      'imap.append-fetch': 'pass',
      'imap.uid-stable': 'pass',
      'imap.store-flags': 'pass',
      'imap.condstore': 'skipped',
      'imap.expunge': 'pass',
      'imap.qresync': 'skipped',
      'imap.move': 'skipped',
      'imap.idle': 'skipped',
    }, explain(r));
    const append = r.checks.find((c) => c.id === 'imap.append-fetch')!;
    assert.ok(append.evidence.some((l) => /APPEND .*\{\d{4,}\}$/.test(l.text)), 'synchronizing literal');
    assert.ok(append.evidence.some((l) => l.dir === 'S' && /^\[a\] \+/.test(l.text)), 'waited for the continuation request');
    assert.equal(r.scratch?.removed, true);
  });

  it('puts the scratch folders under the personal namespace prefix (INBOX. with "." as on Courier-style servers)', async () => {
    const d = await dovecot(undefined, { namespaces: { prefix: 'INBOX.', separator: '.' } });
    const maildir = path.join(d.home('alice'), 'Maildir');
    const before = snapshotMaildir(maildir);
    const r = await run(d);
    assert.deepEqual(Object.values(outcomes(r)).filter((o) => o !== 'pass'), [], explain(r));
    assert.ok(r.scratch?.folders.every((f) => /^INBOX\.Mailroom-check-/.test(f)), JSON.stringify(r.scratch));
    assert.equal(r.scratch?.removed, true);
    assert.deepEqual(snapshotMaildir(maildir), before);
  });

  it('removes the scratch folders on a new connection when the connection dies mid-suite', async () => {
    const d = await dovecot();
    const maildir = path.join(d.home('alice'), 'Maildir');
    const before = snapshotMaildir(maildir);
    const proxy = await FaultProxy.start({ targetPort: d.ports.imaps });
    try {
      // The link is TLS, so the proxy cannot see commands: the transcript log (written as each
      // command goes out) cuts every connection when the expunge is sent.
      let drops = 0;
      const trace = (line: string): void => {
        if (/^C \[a\] A\d+ UID EXPUNGE/.test(line) && drops === 0) drops = proxy.dropAll();
      };
      const log = { trace, debug: trace, info: trace, warn: trace, error: trace };
      const r = await run(d, proxy.port, { log });
      assert.ok(drops >= 1, 'the proxy cut the connections');
      const o = outcomes(r);
      assert.equal(o['imap.append-fetch'], 'pass');
      assert.equal(o['imap.expunge'], 'fail', explain(r));
      assert.equal(o['imap.move'], 'skipped');
      assert.deepEqual(r.scratch && { removed: r.scratch.removed, detail: r.scratch.detail }, { removed: true, detail: 'removed on a new connection, after the checks lost theirs' });
      assert.ok(proxy.totalConnections >= 3, 'a, b and the cleanup connection');
      assert.deepEqual(snapshotMaildir(maildir), before);
    } finally {
      await proxy.close();
    }
  });

  it('stops at its time budget when the server stops answering, and still removes the scratch folders afterwards', async () => {
    const d = await dovecot();
    const proxy = await FaultProxy.start({ targetPort: d.ports.imaps });
    try {
      let stalled = false;
      const trace = (line: string): void => {
        if (!stalled && /^C \[a\] A\d+ UID MOVE/.test(line)) {
          stalled = true;
          proxy.stall(9_000);
        }
      };
      const log = { trace, debug: trace, info: trace, warn: trace, error: trace };
      const r = await run(d, proxy.port, { log, budgetMs: 6_000 });
      const o = outcomes(r);
      assert.ok(stalled, 'the run reached MOVE before its budget');
      assert.equal(o['imap.move'], 'fail', explain(r));
      assert.match(r.checks.find((c) => c.id === 'imap.move')!.detail, /ran out of their 6000 ms budget/);
      assert.equal(o['imap.idle'], 'skipped');
      assert.ok(r.totalMs < 6_000 + 15_000, `${r.totalMs} ms: the budget plus the cleanup's own`);
      assert.equal(r.scratch?.removed, true, JSON.stringify(r.scratch));
    } finally {
      await proxy.close();
    }
  });

  it('fails the append-fetch check against a server whose FETCH returns other bytes, and still removes the scratch folders', async () => {
    const fake = await startImapFetchAltersBytes();
    try {
      const r = await runImapBehaviour(parseProbeUrl(`imap://alice@127.0.0.1:${fake.port}`), { credentials: { password: 'pw-fake-1' }, insecure: true, budgetMs: 20_000 });
      const row = r.checks.find((c) => c.id === 'imap.append-fetch')!;
      assert.equal(row.outcome, 'fail');
      assert.match(row.detail, /eight-bit message came back different: \d+ bytes sent, \d+ read back; first difference at byte \d+/);
      assert.ok(row.evidence.some((l) => /BODY\[\] \{\d+\}/.test(l.text)), 'the FETCH that decided it is in the evidence');
      assert.equal(r.scratch?.removed, true, JSON.stringify(r.scratch));
      assert.deepEqual(fake.folders(), []);
      assert.ok(r.checks.every((c) => c.evidence.every((l) => !l.text.includes('pw-fake-1'))), 'password masked');
    } finally {
      await fake.stop();
    }
  });

  it('fails the IDLE check within its wait against a server that never announces new mail', async () => {
    const fake = await startImapIdleSilent();
    try {
      const r = await runImapBehaviour(parseProbeUrl(`imap://alice@127.0.0.1:${fake.port}`), { credentials: { password: 'pw-fake-1' }, insecure: true, idleWaitMs: 1_000, budgetMs: 20_000 });
      const row = r.checks.find((c) => c.id === 'imap.idle')!;
      assert.equal(row.outcome, 'fail', explain(r));
      assert.match(row.detail, /No \* EXISTS reached the idling session within 1000 ms/);
      assert.ok(row.ms >= 1_000 && row.ms < 5_000, `${row.ms} ms`);
      assert.ok(row.evidence.some((l) => /^\[b\] B\d+ IDLE$/.test(l.text)) && row.evidence.some((l) => /^\[b\] DONE$/.test(l.text)));
      assert.equal(r.checks.find((c) => c.id === 'imap.append-fetch')?.outcome, 'pass', 'this fake returns the bytes it got');
      assert.equal(r.scratch?.removed, true);
    } finally {
      await fake.stop();
    }
  });
});
