// setup.discover: an address -> a ready discovery result (autoconfig over https, MX, six SRV
// queries, fourteen guesses, every candidate checked with the prober against Dovecot and
// smtp-server), all served on loopback, against the slowest single lookup measured alone in the
// same run. The lookups run concurrently, so the whole should take little more than its slowest
// part (target ≤ 1.3); run one after another they would take about the sum. The web servers and
// SMTP sinks run in a child process and Dovecot in its own, so what is timed is the client's work.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { discoverServers, DiscoverOptions, prepareDiscovery } from '../../src/protocol/discovery';
import { configFile, discoveryCertificates, loopbackDial, startLocalDns } from '../../test/fixtures/discoveryDomain';
import { dovecotAvailable, startDovecot } from '../../test/fixtures/dovecot';
import { BenchSuite, median } from '../report';

const SAMPLES = 7;
const TARGET_RATIO = 1.3;
const ADDRESS = 'alice@example.test';

export const run: BenchSuite = async ({ tmp, emit, fail }) => {
  if (!dovecotAvailable()) {
    fail('setup.discover needs Dovecot (/usr/sbin/dovecot)');
    return;
  }
  const certs = discoveryCertificates(path.join(tmp, 'certs'));
  const leaf = certs.leaf(path.join(tmp, 'web'));
  const dovecot = await startDovecot({ makeCertificate: certs.leaf });
  const autoconfig = configFile([['imap', 'imap.example.test', 993, 'SSL'], ['imap', 'imap.example.test', 143, 'STARTTLS']], [['smtp', 'smtp.example.test', 465, 'SSL']]);
  const worker = spawn(process.execPath, [path.join(__dirname, '..', '..', 'test', 'fixtures', 'discoveryServersWorker.js'), JSON.stringify({ certPem: leaf.certPem, keyPem: leaf.keyPem, routes: { 'autoconfig.example.test/mail/config-v1.1.xml': autoconfig } })], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const ports = await new Promise<{ httpsPort: number; smtps: number; submission: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('setup.discover: the server worker did not start within 20 s')), 20_000);
    let text = '';
    worker.stdout.on('data', (c: Buffer) => {
      text += c.toString('utf8');
      if (text.includes('\n')) {
        clearTimeout(timer);
        resolve(JSON.parse(text.split('\n')[0]) as { httpsPort: number; smtps: number; submission: number });
      }
    });
    worker.once('exit', (code) => reject(new Error(`setup.discover: the server worker exited (${String(code)})`)));
  });
  const dns = await startLocalDns({
    mx: { 'example.test': [{ exchange: 'mx.example.test', priority: 10 }] },
    srv: {
      '_imaps._tcp.example.test': [{ target: 'imap.example.test', port: 993 }],
      '_imap._tcp.example.test': [{ target: 'imap.example.test', port: 143 }],
      '_submission._tcp.example.test': [{ target: 'smtp.example.test', port: 587 }],
    },
  });
  try {
    const map = new Map<string, number>([
      ['autoconfig.example.test', ports.httpsPort],
      ['example.test', ports.httpsPort],
      ['imap.example.test:993', dovecot.ports.imaps],
      ['imap.example.test:143', dovecot.ports.imap],
      ['mail.example.test:993', dovecot.ports.imaps],
      ['pop.example.test:995', dovecot.ports.pop3s],
      ['pop.example.test:110', dovecot.ports.pop3],
      ['smtp.example.test:465', ports.smtps],
      ['smtp.example.test:587', ports.submission],
    ]);
    const options: DiscoverOptions = { resolver: dns.resolver, dial: loopbackDial(map), ca: [certs.ca.certPem] };

    const check = (found: Awaited<ReturnType<typeof discoverServers>>): void => {
      if (!found.best.incoming?.verification?.certificateTrusted || !found.best.outgoing?.verification?.certificateTrusted) {
        throw new Error(`setup.discover: no verified winner: ${found.problem ?? JSON.stringify(found.best)}`);
      }
    };
    check(await discoverServers(ADDRESS, options)); // warm-up: Dovecot login processes, TLS

    const whole: number[] = [];
    const slowest: number[] = [];
    let lookups = 0;
    for (let i = 0; i < SAMPLES; i++) {
      // Each lookup alone, cold (its own context: no probe shared with another lookup).
      let max = 0;
      const count = prepareDiscovery(ADDRESS, options).tasks.length;
      for (let t = 0; t < count; t++) {
        const task = prepareDiscovery(ADDRESS, options).tasks[t];
        const t0 = performance.now();
        await task.run();
        max = Math.max(max, performance.now() - t0);
      }
      slowest.push(max);
      const t0 = performance.now();
      const found = await discoverServers(ADDRESS, options);
      whole.push(performance.now() - t0);
      check(found);
      lookups = found.lookups.length;
    }
    const value = median(whole);
    const baseline = median(slowest);
    emit('setup.discover', value, 'ms', baseline, { lookups, samples: SAMPLES });
    if (value / baseline > TARGET_RATIO) fail(`setup.discover ratio ${(value / baseline).toFixed(2)} is over ${TARGET_RATIO}: the lookups do not run concurrently`);
  } finally {
    worker.stdin.end();
    await Promise.race([new Promise((resolve) => worker.once('exit', resolve)), new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (worker.exitCode === null) worker.kill('SIGKILL');
    await dns.stop();
    await dovecot.stop();
  }
};
