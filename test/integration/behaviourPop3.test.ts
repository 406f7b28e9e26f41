// POP3 behaviour checks and `mailroom-check --behaviour` against real Dovecot: read-only unless
// --allow-dele, a message of the check's own put in over IMAP and removed again, existing mail
// untouched.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { main } from '../../src/cli/mailroomCheck';
import { runPop3Behaviour } from '../../src/protocol/probe/behaviour/pop3Suite';
import { parseProbeUrl } from '../../src/protocol/probe/target';
import type { BehaviourReport, ProbeReport } from '../../src/shared/probeReport';
import { DovecotFixture, startDovecot } from '../fixtures/dovecot';
import { snapshotMaildir } from '../fixtures/maildirSnapshot';
import { startPop3FakeServer } from '../fixtures/pop3FakeServer';
import { requireDovecot } from './requireDovecot';

const outcomes = (r: BehaviourReport): Record<string, string> => Object.fromEntries(r.checks.map((c) => [c.id, c.outcome]));
const explain = (r: BehaviourReport): string => JSON.stringify({ rows: r.checks.filter((c) => c.outcome !== 'pass').map((c) => [c.id, c.detail]), error: r.error, own: r.ownMessage });

describe('behaviour checks against Dovecot (POP3 and the CLI)', function () {
  this.timeout(90_000);
  let d: DovecotFixture;
  let maildir: string;
  before(async function () {
    requireDovecot(this);
    d = await startDovecot({});
    maildir = path.join(d.home('alice'), 'Maildir');
  });
  after(async () => {
    await d?.stop();
  });
  const pop3s = (): ReturnType<typeof parseProbeUrl> => parseProbeUrl(`pop3s://127.0.0.1:${d.ports.pop3s}`);
  const imaps = (): ReturnType<typeof parseProbeUrl> => parseProbeUrl(`imaps://127.0.0.1:${d.ports.imaps}`);

  it('with the IMAP endpoint and --allow-dele: every POP3 check passes on its own message, which is gone afterwards; existing mail untouched', async () => {
    const before = snapshotMaildir(maildir);
    const r = await runPop3Behaviour(pop3s(), { credentials: d.users.alice, ca: [d.certPem], insecure: true, allowDele: true, imap: imaps() });
    assert.deepEqual(outcomes(r), { 'pop3.uidl-stable': 'pass', 'pop3.top-headers': 'pass', 'pop3.retr-imap': 'pass', 'pop3.rset-undoes-dele': 'pass' }, explain(r));
    assert.equal(r.ownMessage?.removed, true, explain(r));
    assert.deepEqual(snapshotMaildir(maildir), before);
    const rset = r.checks.find((c) => c.id === 'pop3.rset-undoes-dele')!;
    assert.ok(rset.evidence.some((l) => /^\[p5\] DELE \d+$/.test(l.text)) && rset.evidence.some((l) => /^\[p5\] RSET$/.test(l.text)));
  });

  it('without --allow-dele: no DELE is sent, the RSET check is skipped and the own message goes by IMAP UID EXPUNGE', async () => {
    const before = snapshotMaildir(maildir);
    const r = await runPop3Behaviour(pop3s(), { credentials: d.users.alice, ca: [d.certPem], insecure: true, imap: imaps() });
    assert.deepEqual(outcomes(r), { 'pop3.uidl-stable': 'pass', 'pop3.top-headers': 'pass', 'pop3.retr-imap': 'pass', 'pop3.rset-undoes-dele': 'skipped' }, explain(r));
    assert.ok(r.checks.every((c) => c.evidence.every((l) => !/\] DELE /.test(l.text))));
    assert.equal(r.ownMessage?.removed, true, explain(r));
    assert.deepEqual(snapshotMaildir(maildir), before);
  });

  it('without an IMAP endpoint: only the read-only UIDL check runs; nothing is retrieved', async () => {
    const before = snapshotMaildir(maildir);
    const r = await runPop3Behaviour(pop3s(), { credentials: d.users.alice, ca: [d.certPem], insecure: true });
    assert.deepEqual(outcomes(r), { 'pop3.uidl-stable': 'pass', 'pop3.top-headers': 'skipped', 'pop3.retr-imap': 'skipped', 'pop3.rset-undoes-dele': 'skipped' }, explain(r));
    assert.equal(r.ownMessage, undefined);
    assert.deepEqual(snapshotMaildir(maildir), before);
  });

  it('mailroom-check --behaviour prints the rows in Markdown and JSON and exits without a failure when all pass', async () => {
    const urls = [`imaps://127.0.0.1:${d.ports.imaps}`, `pop3s://127.0.0.1:${d.ports.pop3s}`];
    const io = (out: string[]): Parameters<typeof main>[1] => ({ stdout: (t) => void out.push(t), stderr: (t) => void out.push(t), env: { PW: d.users.alice.password } });
    const json: string[] = [];
    const code = await main([...urls, '--behaviour', '--user', 'alice', '--password-env', 'PW', '--insecure', '--json', '--fail-on', 'warning'], io(json));
    const reports = JSON.parse(json.join('')) as ProbeReport[];
    assert.equal(code, 1, 'self-signed certificate: warnings (--fail-on warning), no failure');
    assert.deepEqual(reports.map((r) => r.behaviour?.checks.filter((c) => c.outcome === 'fail').map((c) => c.id)), [[], []]);
    assert.equal(reports[0].behaviour?.checks.length, 8);
    assert.equal(reports[1].behaviour?.checks.find((c) => c.id === 'pop3.retr-imap')?.outcome, 'pass', 'the imaps URL is the POP3 companion');
    assert.ok(!json.join('').includes(d.users.alice.password));
    const md: string[] = [];
    await main([urls[0], '--behaviour', '--user', 'alice', '--password-env', 'PW', '--insecure'], io(md));
    assert.match(md.join(''), /### Behaviour checks\n\n8 passed, 0 failed, 0 skipped/);
    assert.match(md.join(''), /\| `imap.idle` IDLE announces a message from another session \| pass \|/);
    const usage: string[] = [];
    assert.equal(await main([urls[0], '--behaviour'], io(usage)), 2);
    assert.match(usage.join(''), /--behaviour logs in to a test account/);
  });

  it('fails the RSET check against a server whose RSET is refused, and ends that session without QUIT so the DELE is never committed', async () => {
    const server = await startPop3FakeServer({ messages: [Buffer.from('Subject: one\r\n\r\n1\r\n'), Buffer.from('Subject: two\r\n\r\n2\r\n')], rsetReply: 'cannot roll back' });
    try {
      const r = await runPop3Behaviour(parseProbeUrl(`pop3://u@127.0.0.1:${server.port}`), { credentials: { password: 'pw' }, insecure: true, allowDele: true, budgetMs: 20_000 });
      const row = r.checks.find((c) => c.id === 'pop3.rset-undoes-dele')!;
      assert.equal(row.outcome, 'fail', explain(r));
      assert.match(row.detail, /RSET was refused .*dropped without QUIT so the DELE is not committed/);
      const deleSession = server.commands.find((c) => c.verb === 'DELE')!.session;
      assert.deepEqual(server.commands.filter((c) => c.session === deleSession).map((c) => c.verb).slice(-2), ['DELE', 'RSET'], 'the session ends after RSET');
      assert.ok(!server.commands.some((c) => c.session === deleSession && c.verb === 'QUIT'), 'no QUIT after the DELE');
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(server.maildrop().length, 2, 'both messages are still there');
    } finally {
      await server.close();
    }
  });
});
