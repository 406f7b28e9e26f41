// probe.scan7: scanning seven loopback endpoints (Dovecot's IMAP, IMAPS, POP3, POP3S and
// smtp-server as plain SMTP, SMTPS and submission with STARTTLS) against the slowest single
// endpoint's check measured in the same run. The checks run concurrently, so the ratio should
// stay near 1 (target ≤ 1.5), far from the 7 a sequential scan would take.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { probeEndpoint } from '../../src/protocol/probe/probe';
import { scanHost, scanTargets } from '../../src/protocol/probe/scan';
import type { ProbeScheme } from '../../src/shared/probeReport';
import { dovecotAvailable, startDovecot } from '../../test/fixtures/dovecot';
import { generateCertificate } from '../../test/fixtures/net';
import { startSmtpVariant, SmtpVariant } from '../../test/fixtures/smtpVariants';
import { BenchSuite, median } from '../report';

const SAMPLES = 7;
const TARGET_RATIO = 1.5;

export const run: BenchSuite = async ({ tmp, emit, fail }) => {
  if (!dovecotAvailable()) {
    fail('probe.scan7 needs Dovecot (/usr/sbin/dovecot)');
    return;
  }
  const certDir = path.join(tmp, 'smtp-cert');
  fs.mkdirSync(certDir, { recursive: true });
  const cert = generateCertificate(certDir);
  const dovecot = await startDovecot();
  const smtp: SmtpVariant[] = [];
  try {
    smtp.push(await startSmtpVariant({ key: cert.keyPem, cert: cert.certPem, starttls: false, reverseLookup: false }));
    smtp.push(await startSmtpVariant({ key: cert.keyPem, cert: cert.certPem, secure: true, reverseLookup: false }));
    smtp.push(await startSmtpVariant({ key: cert.keyPem, cert: cert.certPem, reverseLookup: false }));
    const ports: Record<ProbeScheme, number> = {
      imap: dovecot.ports.imap,
      imaps: dovecot.ports.imaps,
      pop3: dovecot.ports.pop3,
      pop3s: dovecot.ports.pop3s,
      smtp: smtp[0].port,
      smtps: smtp[1].port,
      submission: smtp[2].port,
    };
    const targets = scanTargets('127.0.0.1', ports);
    // Warm-up: TLS session setup, first Dovecot login processes.
    await scanHost('127.0.0.1', { ports });

    const scans: number[] = [];
    const slowest: number[] = [];
    const cpu = { scan: [] as number[], singles: [] as number[] };
    const cpuMs = (since: NodeJS.CpuUsage): number => {
      const used = process.cpuUsage(since);
      return (used.user + used.system) / 1000;
    };
    for (let i = 0; i < SAMPLES; i++) {
      let max = 0;
      const singlesCpu = process.cpuUsage();
      for (const target of targets) {
        const t0 = performance.now();
        const report = await probeEndpoint(target);
        max = Math.max(max, performance.now() - t0);
        if (report.failedPhase) throw new Error(`${report.url} failed at ${report.failedPhase}: ${report.error?.message ?? ''}`);
      }
      cpu.singles.push(cpuMs(singlesCpu));
      slowest.push(max);
      const scanCpu = process.cpuUsage();
      const t0 = performance.now();
      const reports = await scanHost('127.0.0.1', { ports });
      scans.push(performance.now() - t0);
      cpu.scan.push(cpuMs(scanCpu));
      const failed = reports.filter((r) => r.failedPhase);
      if (failed.length) throw new Error(`scan: ${failed.map((r) => `${r.url} at ${r.failedPhase}`).join(', ')}`);
    }
    const scan = median(scans);
    const single = median(slowest);
    // CPU of this process (the probe and the in-process SMTP servers; Dovecot's is its own): the scan's against the seven checks one by one.
    const scanCpu = median(cpu.scan);
    const singlesCpu = median(cpu.singles);
    emit('probe.scan7', scan, 'ms', single, {
      endpoints: targets.length,
      samples: SAMPLES,
      cpuMs: Math.round(scanCpu * 10) / 10,
      singlesCpuMs: Math.round(singlesCpu * 10) / 10,
      cpuRatio: Math.round((scanCpu / singlesCpu) * 100) / 100,
    });
    if (scan / single > TARGET_RATIO) fail(`probe.scan7 ratio ${(scan / single).toFixed(2)} is over ${TARGET_RATIO}: the endpoints are not checked concurrently`);
  } finally {
    await Promise.all(smtp.map((s) => s.stop()));
    await dovecot.stop();
  }
};
