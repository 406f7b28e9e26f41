// probe.deep1: the TLS deep check of one loopback endpoint (Dovecot IMAPS: TLS 1.2 and 1.3, its
// default suites), its time and number of connections, against the same handshakes (same
// versions, same one-suite offers, same parallelism) on bare tls.connect in the same run. The
// ratio is what the check's own machinery costs on top of the handshakes; target ≤ 1.5.
import * as tls from 'node:tls';
import { deepCheckTls } from '../../src/protocol/probe/tlsDeep/deepCheck';
import { candidatesFor } from '../../src/protocol/probe/tlsDeep/ciphers';
import { TLS_DEEP_LIMITS } from '../../src/protocol/probe/tlsDeep/limits';
import { ImapDialogue } from '../../src/protocol/probe/imapDialogue';
import { makeTarget } from '../../src/protocol/probe/target';
import type { TlsVersionName } from '../../src/shared/tlsDeepReport';
import { dovecotAvailable, startDovecot } from '../../test/fixtures/dovecot';
import { BenchSuite, median } from '../report';

const SAMPLES = 5;
const TARGET_RATIO = 1.5;
const VERSIONS: TlsVersionName[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

type Offer = tls.ConnectionOptions;

function bare(port: number, offer: Offer): Promise<boolean> {
  return new Promise((resolve) => {
    let socket: tls.TLSSocket;
    try {
      socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, ...offer });
    } catch {
      resolve(false);
      return;
    }
    socket.once('secureConnect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function pool<T>(items: T[], parallel: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** The deep check's handshakes, on bare tls.connect: versions, then every suite of each accepted version, then the chain. */
async function bareDeep(port: number): Promise<number> {
  let count = 0;
  const run = async (offer: Offer): Promise<boolean> => {
    count++;
    return bare(port, offer);
  };
  const accepted: TlsVersionName[] = [];
  await pool(VERSIONS, TLS_DEEP_LIMITS.parallel, async (v) => {
    if (await run({ minVersion: v, maxVersion: v, ...(v === 'TLSv1.3' ? {} : { ciphers: 'ALL:@SECLEVEL=0' }) })) accepted.push(v);
  });
  const offers: Offer[] = accepted.flatMap((v) => candidatesFor(v).map((name) => ({ minVersion: v, maxVersion: v, ciphers: v === 'TLSv1.3' ? name : `${name}:@SECLEVEL=0` })));
  await pool(offers, TLS_DEEP_LIMITS.parallel, run);
  const ocsp = { requestOCSP: true };
  await run({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: 'ALL:@SECLEVEL=0', ...ocsp });
  return count;
}

export const run: BenchSuite = async ({ emit, fail }) => {
  if (!dovecotAvailable()) {
    fail('probe.deep1 needs Dovecot (/usr/sbin/dovecot)');
    return;
  }
  const dovecot = await startDovecot();
  try {
    const port = dovecot.ports.imaps;
    const target = makeTarget('imaps', 'localhost', port);
    const check = () => deepCheckTls({ target, address: '127.0.0.1', dialogue: () => new ImapDialogue(), alpn: ['imap'] });
    await check(); // warm-up: Dovecot's login processes, the candidate list, the parsed roots
    const deep: number[] = [];
    const baseline: number[] = [];
    let connections = 0;
    let bareConnections = 0;
    for (let i = 0; i < SAMPLES; i++) {
      let t0 = performance.now();
      const report = await check();
      deep.push(performance.now() - t0);
      connections = report.connections;
      if (report.truncated) throw new Error(`deep check truncated: ${report.truncated}`);
      t0 = performance.now();
      bareConnections = await bareDeep(port);
      baseline.push(performance.now() - t0);
    }
    const value = median(deep);
    const base = median(baseline);
    emit('probe.deep1', value, 'ms', base, { connections, bareConnections, samples: SAMPLES });
    if (connections !== bareConnections) fail(`probe.deep1 opened ${connections} connections, the bare replay ${bareConnections}: they no longer measure the same handshakes`);
    if (value / base > TARGET_RATIO) fail(`probe.deep1 ratio ${(value / base).toFixed(2)} is over ${TARGET_RATIO}`);
  } finally {
    await dovecot.stop();
  }
};
