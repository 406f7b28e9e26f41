/**
 * Proves that the Dovecot fixture and the SMTP sink really work (runs in CI).
 */
import * as assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { ImapFlow, ImapFlowOptions } from 'imapflow';
import { simpleParser } from 'mailparser';
import { DovecotFixture, dovecotAvailable, startDovecot } from '../fixtures/dovecot';
import { LineClient } from '../fixtures/lineClient';
import { ALICE_SEED } from '../fixtures/seed';
import { SmtpSink, startSmtpSink } from '../fixtures/smtpSink';

describe('test fixture: Dovecot', function () {
  this.timeout(30_000);
  let fx: DovecotFixture;
  const clients: ImapFlow[] = [];
  const raw: LineClient[] = [];

  before(async function () {
    if (!dovecotAvailable()) {
      if (process.env.CI === 'true') {
        throw new Error('Dovecot is required in CI: apt-get install dovecot-imapd dovecot-pop3d');
      }
      console.warn('    Dovecot not installed (/usr/sbin/dovecot); skipping fixture tests. apt-get install dovecot-imapd dovecot-pop3d');
      this.skip();
    }
    fx = await startDovecot();
  });

  afterEach(async () => {
    for (const c of raw.splice(0)) {
      c.close();
    }
    await Promise.allSettled(clients.splice(0).map((c) => c.logout()));
  });

  after(async () => {
    await fx?.stop();
  });

  const tlsOptions = (): { ca: string[]; servername: string } => ({ ca: [fx.certPem], servername: 'localhost' });

  async function imap(mode: 'tls' | 'starttls', user = fx.users.alice): Promise<ImapFlow> {
    const options: ImapFlowOptions = {
      host: fx.host,
      port: mode === 'tls' ? fx.ports.imaps : fx.ports.imap,
      secure: mode === 'tls',
      doSTARTTLS: mode === 'starttls',
      tls: tlsOptions(),
      auth: { user: user.user, pass: user.password },
      logger: false,
    };
    const client = new ImapFlow(options);
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    return client;
  }

  async function line(port: number, useTls = false): Promise<LineClient> {
    const c = await LineClient.connect({ port, tls: useTls ? tlsOptions() : undefined });
    raw.push(c);
    return c;
  }

  it('generates a per-run certificate for localhost and 127.0.0.1', () => {
    const cert = new X509Certificate(fx.certPem);
    assert.match(cert.subject, /CN=localhost/);
    assert.match(cert.subjectAltName ?? '', /DNS:localhost/);
    assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
    const digest = createHash('sha256').update(cert.raw).digest('hex').toUpperCase().match(/../g)?.join(':');
    assert.equal(fx.certSha256, digest);
  });

  it('logs in as alice over IMAPS and verifies the certificate', async () => {
    const client = await imap('tls');
    assert.equal(client.secureConnection, true);
    assert.ok(client.authenticated);
    const socket = await line(fx.ports.imaps, true);
    assert.ok(socket.tlsSocket?.authorized, 'certificate verifies against certPem');
    assert.equal(socket.tlsSocket?.getPeerCertificate().fingerprint256, fx.certSha256);
    assert.match(await socket.readLine(), /^\* OK/);
  });

  it('logs in as alice over IMAP + STARTTLS', async () => {
    const client = await imap('starttls');
    assert.ok(client.authenticated);
    for (const cap of ['IDLE', 'CONDSTORE', 'QRESYNC', 'MOVE', 'UIDPLUS', 'SPECIAL-USE', 'LIST-STATUS']) {
      assert.ok(client.capabilities.has(cap), `capability ${cap}`);
    }
  });

  it('lists the seeded hierarchy, special-use flags and non-ASCII names', async () => {
    const client = await imap('tls');
    const list = await client.list();
    const paths = list.map((m) => m.path).sort();
    assert.deepEqual(paths, ALICE_SEED.folders.map((f) => f.path).sort());
    for (const box of list) {
      assert.equal(box.delimiter, '/');
      assert.ok(box.subscribed, `${box.path} subscribed`);
      const expected = ALICE_SEED.expected[box.path];
      if (expected.specialUse) {
        assert.equal(box.specialUse, expected.specialUse, box.path);
        assert.equal(box.specialUseSource, 'extension', box.path);
      }
    }
    const projects = list.find((m) => m.path === 'Projects');
    assert.ok(projects?.flags.has('\\HasChildren'));
    const child = list.find((m) => m.path === 'Projects/Mailroom');
    assert.deepEqual(child?.parent, ['Projects']);
    assert.equal(list.find((m) => m.path === 'Überweisungen')?.pathAsListed, '&ANw-berweisungen');
    assert.equal(list.find((m) => m.path === '日本語')?.pathAsListed, '&ZeVnLIqe-');
  });

  it('reports STATUS totals and unseen counts matching ALICE_SEED', async () => {
    const client = await imap('tls');
    for (const folder of ALICE_SEED.folders) {
      const status = await client.status(folder.path, { messages: true, unseen: true, uidNext: true });
      assert.ok(status, folder.path);
      assert.equal(status.messages, folder.total, `${folder.path} total`);
      assert.equal(status.unseen, folder.unseen, `${folder.path} unseen`);
      assert.equal(status.uidNext, folder.total + 1, `${folder.path} uidNext`);
    }
    assert.equal(ALICE_SEED.inboxTotal, 60);
  });

  it('serves the newest INBOX message with the seeded envelope and body', async () => {
    const client = await imap('starttls');
    const box = await client.mailboxOpen('INBOX', { readOnly: true });
    assert.equal(box.exists, 60);
    const msg = await client.fetchOne('*', { uid: true, envelope: true, flags: true, internalDate: true, source: true });
    assert.ok(msg);
    const newest = ALICE_SEED.newest;
    assert.equal(msg.uid, newest.uid);
    assert.equal(msg.envelope?.subject, 'Welcome to Mailroom');
    assert.deepEqual(msg.envelope?.from, [{ name: 'Dovecot Fixture', address: 'fixture@example.test' }]);
    assert.equal(new Date(msg.envelope?.date ?? 0).getTime(), newest.date.getTime());
    assert.equal(new Date(msg.internalDate ?? 0).getTime(), newest.date.getTime());
    assert.equal(msg.flags?.has('\\Seen'), false);
    assert.ok(msg.source);
    const parsed = await simpleParser(msg.source);
    assert.equal(parsed.text?.split(/\r?\n/)[0], 'Hello Alice, this is the newest message.');
  });

  it('has every INBOX message in seeded order with seeded flags and decoded headers', async () => {
    const client = await imap('tls');
    await client.mailboxOpen('INBOX', { readOnly: true });
    const all = await client.fetchAll('1:*', { uid: true, envelope: true, flags: true });
    assert.equal(all.length, 60);
    for (const msg of all) {
      const seed = ALICE_SEED.inbox.messages[msg.seq - 1];
      assert.equal(msg.uid, seed.uid);
      assert.equal(msg.envelope?.subject, seed.subject, `uid ${seed.uid}`);
      assert.equal(msg.envelope?.from?.[0]?.address, seed.from.address);
      assert.equal(msg.envelope?.from?.[0]?.name ?? '', seed.from.name ?? '', `uid ${seed.uid} from name`);
      assert.equal(msg.flags?.has('\\Seen'), seed.seen, `uid ${seed.uid} seen`);
      assert.equal(msg.flags?.has('\\Flagged'), seed.flagged, `uid ${seed.uid} flagged`);
      assert.equal(msg.flags?.has('\\Answered'), seed.answered, `uid ${seed.uid} answered`);
    }
  });

  it('seeds the MIME variants (attachments, HTML only, alternative, QP, base64, RFC 2047)', async () => {
    const client = await imap('tls');
    await client.mailboxOpen('INBOX', { readOnly: true });
    const msgs = await client.fetchAll('1:*', { uid: true, source: true, bodyStructure: true });
    for (const msg of msgs) {
      const seed = ALICE_SEED.inbox.messages[msg.uid - 1];
      const type = msg.bodyStructure?.type;
      const expectedType = { text: 'text/plain', html: 'text/html', alternative: 'multipart/alternative', mixed: 'multipart/mixed' }[seed.kind];
      assert.equal(type, expectedType, `uid ${seed.uid}`);
      assert.ok(msg.source);
      assert.ok(!/[^\r]\n/.test(msg.source.toString('latin1')), `uid ${seed.uid} uses CRLF only`);
      const parsed = await simpleParser(msg.source);
      assert.equal(parsed.subject, seed.subject);
      if (seed.kind === 'html') {
        assert.equal(parsed.html ? parsed.html.split('\n')[0] : '', seed.firstLine);
      } else {
        assert.equal(parsed.text?.split(/\r?\n/)[0], seed.firstLine, `uid ${seed.uid}`);
      }
      if (seed.kind === 'mixed') {
        assert.deepEqual(parsed.attachments.map((a) => [a.filename, a.contentType]), [
          ['report.pdf', 'application/pdf'],
          ['notes.txt', 'text/plain'],
        ]);
        assert.equal(parsed.attachments[0].content.subarray(0, 5).toString('latin1'), '%PDF-');
      }
    }
    const byUid = (uid: number): string => msgs[uid - 1].source?.toString('latin1') ?? '';
    assert.match(byUid(59), /Content-Transfer-Encoding: quoted-printable/);
    assert.match(byUid(59), /Subject: =\?UTF-8\?B\?/);
    assert.match(byUid(58), /Content-Transfer-Encoding: base64/);
  });

  it('rejects a wrong password (IMAP and POP3)', async () => {
    await assert.rejects(imap('tls', { user: 'alice', password: 'wrong-password' }));
    const pop = await line(fx.ports.pop3s, true);
    assert.match(await pop.readLine(), /^\+OK/);
    assert.match(await pop.command('USER alice'), /^\+OK/);
    assert.match(await pop.command('PASS wrong-password'), /^-ERR/);
  });

  it('gives bob an empty INBOX', async () => {
    const client = await imap('tls', fx.users.bob);
    const status = await client.status('INBOX', { messages: true });
    assert.equal(status && status.messages, 0);
  });

  it('POP3 greets with an APOP timestamp and CAPA lists STLS, UIDL, TOP; APOP works', async () => {
    const pop = await line(fx.ports.pop3);
    const greeting = await pop.readLine();
    const stamp = /^\+OK .*(<[^>]+>)/.exec(greeting)?.[1];
    assert.ok(stamp, `APOP timestamp in ${greeting}`);
    assert.match(await pop.command('CAPA'), /^\+OK/);
    const caps = (await pop.readMultiline()).map((c) => c.split(' ')[0]);
    for (const cap of ['STLS', 'UIDL', 'TOP', 'USER']) {
      assert.ok(caps.includes(cap), `CAPA ${cap} in ${caps.join(',')}`);
    }
    const digest = createHash('md5').update(stamp + fx.users.alice.password).digest('hex');
    assert.match(await pop.command(`APOP alice ${digest}`), /^\+OK/);
    assert.match(await pop.command('STAT'), /^\+OK 60 \d+/);
    assert.match(await pop.command('QUIT'), /^\+OK/);
  });

  it('POP3 STLS upgrades and USER/PASS works', async () => {
    const pop = await line(fx.ports.pop3);
    assert.match(await pop.readLine(), /^\+OK/);
    assert.match(await pop.command('STLS'), /^\+OK/);
    const secure = await pop.startTls(tlsOptions());
    assert.ok(secure.authorized);
    assert.match(await pop.command('USER alice'), /^\+OK/);
    assert.match(await pop.command(`PASS ${fx.users.alice.password}`), /^\+OK/);
    assert.match(await pop.command('UIDL 1'), /^\+OK 1 \S+/);
  });

  it('POP3S greets over implicit TLS', async () => {
    const pop = await line(fx.ports.pop3s, true);
    assert.ok(pop.tlsSocket?.authorized);
    assert.equal(pop.tlsSocket?.getPeerCertificate().fingerprint256, fx.certSha256);
    assert.match(await pop.readLine(), /^\+OK .*<[^>]+>/);
  });
});

describe('test fixture: SMTP sink', function () {
  this.timeout(15_000);
  let sink: SmtpSink | undefined;
  let client: LineClient | undefined;

  afterEach(async () => {
    client?.close();
    client = undefined;
    await sink?.stop();
    sink = undefined;
  });

  async function expectReply(c: LineClient, code: number): Promise<string[]> {
    const reply = await c.readSmtpReply();
    assert.equal(reply.code, code, reply.lines.join(' / '));
    return reply.lines;
  }

  it('receives a message sent with a raw SMTP dialogue byte-exact', async () => {
    sink = await startSmtpSink();
    const c = (client = await LineClient.connect({ port: sink.port }));
    await expectReply(c, 220);
    c.write('EHLO client.test\r\n');
    const ehlo = await expectReply(c, 250);
    assert.ok(ehlo.includes('STARTTLS'));
    const message =
      'From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: Sink test \u00e4\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' +
      'Line one, caf\u00e9\r\n.leading dot\r\n..two dots\r\nlast line\r\n';
    const stuffed = message.replace(/^\./gm, '..');
    c.write('MAIL FROM:<alice@example.test>\r\n');
    await expectReply(c, 250);
    c.write('RCPT TO:<bob@example.test>\r\n');
    await expectReply(c, 250);
    c.write('RCPT TO:<carol@example.test>\r\n');
    await expectReply(c, 250);
    c.write('DATA\r\n');
    await expectReply(c, 354);
    c.write(Buffer.from(`${stuffed}.\r\n`, 'utf8'));
    await expectReply(c, 250);
    c.write('QUIT\r\n');
    await expectReply(c, 221);
    const [mail] = await sink.waitForMail(1);
    assert.equal(mail.from, 'alice@example.test');
    assert.deepEqual(mail.to, ['bob@example.test', 'carol@example.test']);
    assert.equal(mail.user, undefined);
    assert.ok(mail.raw.equals(Buffer.from(message, 'utf8')), `raw was ${JSON.stringify(mail.raw.toString('utf8'))}`);
  });

  it('enforces AUTH when asked and records the user', async () => {
    sink = await startSmtpSink({ requireAuth: true, users: { alice: 'alice-secret-1' }, disableStartTls: true });
    const c = (client = await LineClient.connect({ port: sink.port }));
    await expectReply(c, 220);
    c.write('EHLO client.test\r\n');
    const ehlo = await expectReply(c, 250);
    assert.ok(!ehlo.includes('STARTTLS'));
    c.write('MAIL FROM:<alice@example.test>\r\n');
    assert.equal((await c.readSmtpReply()).code, 530);
    c.write(`AUTH PLAIN ${Buffer.from('\0alice\0nope').toString('base64')}\r\n`);
    await expectReply(c, 535);
    c.write(`AUTH PLAIN ${Buffer.from('\0alice\0alice-secret-1').toString('base64')}\r\n`);
    await expectReply(c, 235);
    c.write('MAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n');
    await expectReply(c, 250);
    await expectReply(c, 250);
    await expectReply(c, 354);
    c.write('Subject: hi\r\n\r\nhello\r\n.\r\n');
    await expectReply(c, 250);
    const [mail] = await sink.waitForMail(1);
    assert.equal(mail.user, 'alice');
    assert.equal(mail.raw.toString('utf8'), 'Subject: hi\r\n\r\nhello\r\n');
    await assert.rejects(sink.waitForMail(2, 200), /expected 2 message/);
  });
});
