// probe.deep1: the full deep check of one STARTTLS endpoint (Dovecot IMAP on its plain port), as
// `mailroom-check imap://… --deep --tls --behaviour` runs it: the main check with login, the
// STARTTLS command-injection and plaintext-login probes, the TLS deep check (versions, suites,
// chain, OCSP, ALPN) and the behaviour suite in scratch folders. Reported with its time and the
// connections it opened (counted at net.connect), against the same exchanges replayed on bare
// sockets in the same run (bench/fixtures/bareImap.ts): the same commands, the same handshake
// offers, the same waits the protocol imposes (the injection probe's answer window, IDLE's
// EXISTS), scheduled as their dependencies allow: the main exchange, the two probes and the
// handshakes (at most TLS_DEEP_LIMITS.parallel at once) together, then the behaviour sessions,
// which need the login. The ratio is what the check costs on top of the wire; target ≤ 1.5.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type * as tls from 'node:tls';
import { main } from '../../src/cli/mailroomCheck';
import { candidatesFor, SECLEVEL0 } from '../../src/protocol/probe/tlsDeep/ciphers';
import { TLS_DEEP_LIMITS } from '../../src/protocol/probe/tlsDeep/limits';
import { PROBE_LIMITS } from '../../src/protocol/probe/limits';
import { testMessage } from '../../src/protocol/probe/behaviour/testMessages';
import type { ProbeReport } from '../../src/shared/probeReport';
import type { TlsVersionName } from '../../src/shared/tlsDeepReport';
import { dovecotAvailable, startDovecot } from '../../test/fixtures/dovecot';
import { FIXTURE_USERS } from '../../test/fixtures/seed';
import { BareImap, codeNumber } from '../fixtures/bareImap';
import { BenchSuite, median } from '../report';

const SAMPLES = 5;
const TARGET_RATIO = 1.5;
const VERSIONS: TlsVersionName[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

interface Replay {
  port: number;
  user: string;
  password: string;
  ca: string;
  connections: number;
}

async function pool<T>(items: T[], parallel: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

const open = (r: Replay, prefix: string): Promise<BareImap> => BareImap.open(r.port, prefix, () => r.connections++);

/** Connect, CAPABILITY, STARTTLS, CAPABILITY, AUTHENTICATE PLAIN (SASL-IR), CAPABILITY: what every logged-in session does. */
async function session(r: Replay, prefix: string, id: boolean): Promise<BareImap> {
  const c = await open(r, prefix);
  await c.cmd('CAPABILITY');
  await c.starttls({ ca: [r.ca], ALPNProtocols: ['imap'] });
  await c.cmd('CAPABILITY');
  if (id) await c.cmd('ID ("name" "Mailroom")');
  await c.cmd(`AUTHENTICATE PLAIN ${Buffer.from(`\0${r.user}\0${r.password}`).toString('base64')}`);
  await c.cmd('CAPABILITY');
  return c;
}

/** The main check: greeting, capabilities, STARTTLS, ID, login, capabilities after login, LOGOUT. */
async function bareMain(r: Replay): Promise<void> {
  const c = await session(r, 'P', true);
  await c.cmd('LOGOUT');
  c.close();
}

/** STARTTLS and NOOP in one write, the handshake, the wait for an answer to NOOP. */
async function bareInjection(r: Replay): Promise<void> {
  const c = await open(r, 'x');
  c.write(['a STARTTLS', 'b NOOP']);
  await c.readUntil('a ');
  try {
    await c.upgrade({ ALPNProtocols: ['imap'] });
    let line = await c.lineWithin(PROBE_LIMITS.injectionAnswerWaitMs);
    while (line !== undefined) line = await c.lineWithin(PROBE_LIMITS.injectionFollowMs);
  } catch {
    // Dovecot resets the handshake that has data behind STARTTLS: the check ends there too.
  }
  c.close();
}

/** LOGIN with a random user before TLS, to its answer. */
async function barePlaintext(r: Replay): Promise<void> {
  const c = await open(r, 'x');
  c.write([`a LOGIN "mailroom-check-${Math.random().toString(16).slice(2, 10)}" "${Math.random().toString(16).slice(2)}"`]);
  await c.readUntil('a ');
  c.close();
}

/** One deep-check handshake: greeting, CAPABILITY, STARTTLS, the offer; true when accepted. */
async function bareHandshake(r: Replay, offer: tls.ConnectionOptions): Promise<boolean> {
  let c: BareImap | undefined;
  try {
    c = await open(r, 'P');
    await c.cmd('CAPABILITY');
    await c.starttls(offer);
    return true;
  } catch {
    return false;
  } finally {
    c?.close();
  }
}

/** The TLS deep check's handshakes: versions, then each suite of each accepted version, then the chain. */
async function bareTlsDeep(r: Replay): Promise<void> {
  const accepted: TlsVersionName[] = [];
  await pool(VERSIONS, TLS_DEEP_LIMITS.parallel, async (v) => {
    if (await bareHandshake(r, { minVersion: v, maxVersion: v, ...(v === 'TLSv1.3' ? {} : { ciphers: `ALL:${SECLEVEL0}` }) })) accepted.push(v);
  });
  const offers: tls.ConnectionOptions[] = accepted.flatMap((v) => candidatesFor(v).map((name) => ({ minVersion: v, maxVersion: v, ciphers: v === 'TLSv1.3' ? name : `${name}:${SECLEVEL0}` })));
  await pool(offers, TLS_DEEP_LIMITS.parallel, (offer) => bareHandshake(r, offer));
  const ocsp = { requestOCSP: true }; // a TLSSocket option the ConnectionOptions type leaves out
  await bareHandshake(r, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: `ALL:${SECLEVEL0}`, ALPNProtocols: ['imap'], ...ocsp });
}

/** The behaviour suite's commands, in its order, on two sessions. */
async function bareBehaviour(r: Replay, token: string): Promise<void> {
  const folder = `"Mailroom-check-${token}"`;
  const moved = `"Mailroom-check-${token}-moved"`;
  const a = await session(r, 'P', false);
  await a.cmd('ENABLE QRESYNC');
  await a.cmd('NAMESPACE');
  await a.cmd(`CREATE ${folder}`);
  await a.cmd(`CREATE ${moved}`);
  for (const kind of ['eight-bit', 'large', 'plain'] as const) await a.cmd(`APPEND ${folder}`, testMessage(token, kind));
  const selected = await a.cmd(`SELECT ${folder} (CONDSTORE)`);
  const uidValidity = codeNumber(selected, 'UIDVALIDITY');
  const modseq = codeNumber(selected, 'HIGHESTMODSEQ');
  await a.cmd('UID FETCH 1:* (UID)');
  for (const uid of [1, 2, 3]) await a.cmd(`UID FETCH ${uid} (UID BODY.PEEK[])`);
  const b = await session(r, 'P', false);
  await b.cmd('ENABLE QRESYNC');
  await b.cmd(`SELECT ${folder} (CONDSTORE)`);
  await b.cmd('UID FETCH 1:* (UID)');
  await a.cmd('UID STORE 1 +FLAGS (\\Flagged)');
  await a.cmd(`UID FETCH 1:* (UID) (CHANGEDSINCE ${modseq})`);
  const afterStore = codeNumber(await a.cmd(`SELECT ${folder} (CONDSTORE)`), 'HIGHESTMODSEQ');
  await a.cmd('UID FETCH 1:* (UID)');
  await a.cmd('UID STORE 2 +FLAGS.SILENT (\\Deleted)');
  await a.cmd('UID EXPUNGE 2');
  await a.cmd('UID FETCH 1:* (UID)');
  await a.cmd('UNSELECT');
  await a.cmd(`SELECT ${folder} (QRESYNC (${uidValidity} ${afterStore} 1:3))`);
  await a.cmd('UID FETCH 1:* (UID)');
  await a.cmd(`UID MOVE 3 ${moved}`);
  await a.cmd('UID FETCH 3 (UID)');
  await a.cmd(`SELECT ${moved} (CONDSTORE)`);
  await a.cmd('UID FETCH 1:* (UID)');
  await a.cmd('UID FETCH 1 (UID BODY.PEEK[])');
  await a.cmd(`SELECT ${folder} (CONDSTORE)`);
  await b.cmd(`SELECT ${folder}`);
  b.write(['I1 IDLE']);
  await b.readUntil('+');
  await a.cmd(`APPEND ${folder}`, testMessage(token, 'idle'));
  await b.readUntil(/^\* \d+ EXISTS\b/);
  b.write(['DONE']);
  await b.readUntil('I1 ');
  await b.cmd('LOGOUT');
  b.close();
  await a.cmd('UNSELECT');
  for (const name of [moved, folder]) {
    await a.cmd(`DELETE ${name}`);
    await a.cmd(`LIST "" ${name}`);
  }
  await a.cmd('LOGOUT');
  a.close();
}

/** Every exchange of the deep check on bare sockets; the number of connections opened. */
async function bareDeepCheck(base: Omit<Replay, 'connections'>, sample: number): Promise<number> {
  const r: Replay = { ...base, connections: 0 };
  await Promise.all([bareMain(r), bareInjection(r), barePlaintext(r), bareTlsDeep(r)]);
  await bareBehaviour(r, `bench-${process.pid}-${sample}`);
  return r.connections;
}

export const run: BenchSuite = async ({ tmp, emit, fail }) => {
  if (!dovecotAvailable()) {
    fail('probe.deep1 needs Dovecot (/usr/sbin/dovecot)');
    return;
  }
  const dovecot = await startDovecot();
  // The module object itself (the import is a read-only view of it): every connection the check opens goes through it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const netModule = require('node:net') as { connect: typeof net.connect };
  const realConnect = netModule.connect;
  let opened = 0;
  netModule.connect = ((...args: Parameters<typeof net.connect>) => {
    opened++;
    return realConnect(...args);
  }) as typeof net.connect;
  try {
    const user = FIXTURE_USERS.alice;
    const caFile = path.join(tmp, 'ca.pem');
    fs.writeFileSync(caFile, dovecot.certPem);
    const url = `imap://localhost:${dovecot.ports.imap}`;
    const check = async (): Promise<{ ms: number; connections: number; report: ProbeReport }> => {
      let out = '';
      const io = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (out += t), env: { MAILROOM_BENCH_PASSWORD: user.password } };
      const before = opened;
      const t0 = performance.now();
      const code = await main([url, '--deep', '--tls', '--behaviour', '--user', user.user, '--password-env', 'MAILROOM_BENCH_PASSWORD', '--ca', caFile, '--json'], io);
      const ms = performance.now() - t0;
      if (code === 2) throw new Error(`the deep check failed: ${out.slice(0, 2000)}`);
      const [report] = JSON.parse(out) as ProbeReport[];
      const failed = report.behaviour?.checks.filter((c) => c.outcome !== 'pass') ?? [];
      if (!report.behaviour || report.behaviour.error || failed.length || report.tlsDeep?.truncated || report.auth.login.ok !== true) {
        throw new Error(`the deep check did not run whole: ${JSON.stringify({ behaviour: report.behaviour?.error, failed: failed.map((c) => c.id), truncated: report.tlsDeep?.truncated, login: report.auth.login })}`);
      }
      return { ms, connections: opened - before, report };
    };
    const base = { port: dovecot.ports.imap, user: user.user, password: user.password, ca: dovecot.certPem };
    await check(); // warm-up: Dovecot's login processes, the candidate list, the parsed roots
    await bareDeepCheck(base, 0);
    const deep: number[] = [];
    const baseline: number[] = [];
    let connections = 0;
    let bareConnections = 0;
    let tlsConnections = 0;
    for (let i = 1; i <= SAMPLES; i++) {
      const result = await check();
      deep.push(result.ms);
      connections = result.connections;
      tlsConnections = result.report.tlsDeep?.connections ?? 0;
      const t0 = performance.now();
      bareConnections = await bareDeepCheck(base, i);
      baseline.push(performance.now() - t0);
    }
    const value = median(deep);
    const bare = median(baseline);
    emit('probe.deep1', value, 'ms', bare, { connections, bareConnections, tlsConnections, samples: SAMPLES });
    if (connections !== bareConnections) fail(`probe.deep1 opened ${connections} connections, the bare replay ${bareConnections}: they no longer replay the same exchanges`);
    if (value / bare > TARGET_RATIO) fail(`probe.deep1 ratio ${(value / bare).toFixed(2)} is over ${TARGET_RATIO}`);
  } finally {
    netModule.connect = realConnect;
    await dovecot.stop();
  }
};
