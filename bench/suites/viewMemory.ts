/**
 * view.open25mb: peak memory growth while the host opens a 25 MB message whose bulk is one 20 MB
 * base64 attachment, through its whole open pipeline (parseMessageStream + sanitizeMessageHtml of
 * the HTML) on the bytes as the host has them (a Buffer read from a file). Baseline: the message
 * size. Each measurement runs in a fresh `node --expose-gc` child so nothing else is on the heap;
 * the child samples process.memoryUsage() every 2 ms and reports the largest growth over its
 * starting point (after the file is read and a full GC). Extra numbers: the same for mailparser's
 * simpleParser on the same bytes (what the panel used before), heap growth and time.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseMessageStream } from '../../src/protocol/mime/parseMessageStream';
import { sanitizeMessageHtml } from '../../src/protocol/mime/sanitizeHtml';
import { mimeMessage, pseudoRandomBytes, TINY_PNG } from '../../test/fixtures/mimeBuilders';
import { BenchSuite, median } from '../report';

const SAMPLES = 3;
/** Encoded size of the big attachment; its decoded size is 3/4 of this. */
const ATTACHMENT_BASE64_BYTES = 20 * 1024 * 1024;
const MESSAGE_BYTES = 25 * 1024 * 1024;
/**
 * The growth is mostly garbage the GC has not collected yet (mailsplit copies each 64 KB piece,
 * decoders allocate per chunk): it stays near 30 MB for 10, 25 or 50 MB attachments. Above 1.5×
 * the message size something holds the attachment; simpleParser measures about 4×.
 */
const TARGET_RATIO = 1.5;
const SAMPLE_INTERVAL_MS = 2;

interface ChildResult {
  rssGrowth: number;
  externalGrowth: number;
  heapGrowth: number;
  ms: number;
  attachments: number;
}

function buildMessage(): Buffer {
  const html = `<html><head><style>td{font-family:Arial}</style></head><body bgcolor="#ffffff"><table width="600">${'<tr><td style="padding:4px">Quarterly numbers, row after row of them, <b>bold</b> and <a href="https://example.test/r">linked</a>.</td></tr>'.repeat(2500)}</table><img src="cid:logo@bench"><img src="https://track.example.test/p.gif"></body></html>`;
  const text = 'Quarterly numbers, row after row of them.\n'.repeat(2500);
  const zip = pseudoRandomBytes((ATTACHMENT_BASE64_BYTES / 4) * 3, 1);
  const build = (logLines: number): Buffer =>
    mimeMessage(['From: Reports <reports@example.test>', 'To: alice@example.test', 'Subject: 25 MB', 'Date: Tue, 2 Jan 2024 10:00:00 +0000', 'Message-ID: <big@bench>'], {
      multipart: 'mixed',
      parts: [
        { multipart: 'alternative', parts: [{ contentType: 'text/plain', body: text }, { multipart: 'related', parts: [{ contentType: 'text/html', body: html }, { contentType: 'image/png', body: TINY_PNG, contentId: 'logo@bench', disposition: 'inline' }] }] },
        { contentType: 'application/zip', body: zip, filename: 'archive.zip', disposition: 'attachment' },
        // A log attachment pads the message to 25 MB.
        { contentType: 'text/plain', body: 'log line with some words in it\n'.repeat(logLines), filename: 'server.log', disposition: 'attachment', encoding: 'base64' },
      ],
    });
  const rest = Math.max(0, MESSAGE_BYTES - build(0).length);
  return build(Math.floor(((rest / 4) * 3) / 31));
}

function measure(file: string, mode: 'host' | 'simpleParser'): ChildResult {
  const out = execFileSync(process.execPath, ['--expose-gc', __filename, 'child', file, mode], { encoding: 'utf8', maxBuffer: 1024 * 1024 });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as ChildResult;
}

export const run: BenchSuite = async ({ tmp, emit, fail }) => {
  const file = path.join(tmp, 'big.eml');
  const message = buildMessage();
  fs.writeFileSync(file, message);
  const size = message.length;
  const host: ChildResult[] = [];
  const simple: ChildResult[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    host.push(measure(file, 'host'));
    simple.push(measure(file, 'simpleParser'));
  }
  const m = (list: ChildResult[], key: keyof ChildResult): number => median(list.map((r) => r[key]));
  const mb = (n: number): number => Math.round((n / 1024 / 1024) * 10) / 10;
  const growth = m(host, 'rssGrowth');
  emit('view.open25mb', growth, 'bytes', size, {
    messageMB: mb(size),
    attachments: host[0].attachments,
    rssGrowthMB: mb(growth),
    externalGrowthMB: mb(m(host, 'externalGrowth')),
    heapGrowthMB: mb(m(host, 'heapGrowth')),
    ms: Math.round(m(host, 'ms')),
    simpleParserRssGrowthMB: mb(m(simple, 'rssGrowth')),
    simpleParserExternalGrowthMB: mb(m(simple, 'externalGrowth')),
    simpleParserHeapGrowthMB: mb(m(simple, 'heapGrowth')),
    simpleParserMs: Math.round(m(simple, 'ms')),
  });
  if (growth / size > TARGET_RATIO) fail(`view.open25mb: peak growth ${mb(growth)} MB is more than ${TARGET_RATIO}× the ${mb(size)} MB message`);
  await Promise.resolve();
};

/** In the child: read the file, settle, then run one pipeline while sampling memory. */
async function child(file: string, mode: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const bytes = fs.readFileSync(file);
  // Load the libraries before the baseline so their code is not counted as message memory.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { simpleParser } = require('../../src/protocol/libs') as typeof import('../../src/protocol/libs');
  await parseMessageStream(Buffer.from('Subject: warm-up\r\n\r\nx\r\n'));
  sanitizeMessageHtml('<p>warm-up</p>', { inlineImages: {} });
  gc?.();
  gc?.();
  const base = process.memoryUsage();
  let peak = { rss: base.rss, external: base.external + base.arrayBuffers, heap: base.heapUsed };
  const sample = (): void => {
    const now = process.memoryUsage();
    peak = { rss: Math.max(peak.rss, now.rss), external: Math.max(peak.external, now.external + now.arrayBuffers), heap: Math.max(peak.heap, now.heapUsed) };
  };
  const timer = setInterval(sample, SAMPLE_INTERVAL_MS);
  const start = process.hrtime.bigint();
  let attachments = 0;
  if (mode === 'host') {
    const parsed = await parseMessageStream(bytes);
    sample();
    if (parsed.html !== undefined) sanitizeMessageHtml(parsed.html, { inlineImages: parsed.inlineImages });
    attachments = parsed.attachments.length;
  } else {
    const parsed = await simpleParser(bytes, { skipImageLinks: true });
    attachments = parsed.attachments.length;
  }
  sample();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  clearInterval(timer);
  const result: ChildResult = { rssGrowth: peak.rss - base.rss, externalGrowth: peak.external - (base.external + base.arrayBuffers), heapGrowth: peak.heap - base.heapUsed, ms, attachments };
  process.stdout.write(JSON.stringify(result) + '\n');
}

if (require.main === module && process.argv[2] === 'child') {
  child(process.argv[3], process.argv[4]).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
