// ReDoS audit as a test: every parser that reads server responses or message content is fed
// hostile input of growing size (up to 160,000 characters) and must stay near-linear. Each case
// names the pattern shape that would blow up; the first ones did before they were rewritten.
import { parseDate, decodeMimeWords } from '../../src/protocol/imap/sync/envelope';
import { redactSecrets } from '../../src/protocol/log';
import { parseAuthenticationResults } from '../../src/protocol/mime/authResults';
import { parseMessageStream } from '../../src/protocol/mime/parseMessageStream';
import { parseReceivedChain } from '../../src/protocol/mime/receivedChain';
import { ResourcePolicy } from '../../src/protocol/mime/resourceUrls';
import { safeFilename } from '../../src/protocol/mime/safeFilename';
import { sanitizeMessageHtml } from '../../src/protocol/mime/sanitizeHtml';
import { apopTimestamp, parseCapabilities } from '../../src/protocol/pop3/capabilities';
import { parseUidl, responseCode } from '../../src/protocol/pop3/responses';
import { parseIdFields } from '../../src/protocol/probe/imapDialogue';
import { parseAddressList } from '../../src/protocol/smtp/address';
import { parseComposeDocument } from '../../src/protocol/smtp/composeDocument';
import { replySubject } from '../../src/protocol/smtp/reply';
import { hostNamedIn } from '../../src/providers/message/linkPolicy';
import { assertLinearTime, type LinearTimeOptions } from './helpers/linearTime';

interface Case {
  name: string;
  make: (size: number) => string;
  run: (input: string) => unknown;
  options?: LinearTimeOptions;
}

const repeat = (unit: string, size: number): string => unit.repeat(Math.max(1, Math.floor(size / unit.length)));
const ignoreErrors =
  (run: (input: string) => unknown) =>
  async (input: string): Promise<void> => {
    try {
      await run(input);
    } catch {
      // a clear error is fine; only the time counts here
    }
  };

function htmlOnlyMessage(html: string): Buffer {
  return Buffer.from(`From: a@example.test\r\nSubject: html\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}\r\n`, 'utf8');
}

const CASES: Case[] = [
  // Patterns that were quadratic (two overlapping quantifiers, or a run retried from every start).
  { name: 'POP3 APOP timestamp: a greeting of "<" and "@" (was /<[^<>\\s]*@[^<>\\s]*>/)', make: (n) => `<${'@'.repeat(n)}`, run: apopTimestamp },
  { name: 'POP3 APOP timestamp: "<@" repeated, no ">"', make: (n) => repeat('<@', n), run: apopTimestamp },
  { name: 'POP3 response code: "[" without "]" (was /^\\[([^\\]\\s]+)[^\\]]*\\]/)', make: (n) => repeat('[', n), run: responseCode },
  { name: 'IMAP envelope Date: unclosed comments (was /\\([^)]*\\)/g)', make: (n) => `Mon, 1 Jan 2024 ${repeat('(', n)}`, run: parseDate },
  { name: 'probe IMAP ID: escaped quotes never closed (was /"((?:[^"\\\\]|\\\\.)*)"/g)', make: (n) => `* ID (${repeat('\\"', n)}!`, run: parseIdFields },
  { name: 'attachment file name: a long run of spaces inside (was /[\\s.]+$/)', make: (n) => `a${' '.repeat(n)}b`, run: (s) => safeFilename(s) },
  { name: 'attachment file name: spaces and dots inside', make: (n) => `a${repeat(' .', n)}b`, run: (s) => safeFilename(s) },
  { name: 'resource URL: a long run of spaces inside (was /[\\u0000-\\u0020]+$/g)', make: (n) => `https://x.test/${' '.repeat(n)}a`, run: (s) => new ResourcePolicy({}).resource(s) },
  {
    name: 'img srcset: a URL with a long run of commas (was /,+$/)',
    make: (n) => `<img srcset="x${','.repeat(n)}y, z">`,
    run: (s) => sanitizeMessageHtml(s, { inlineImages: {} }),
    options: { msPerThousandChars: 3 },
  },
  {
    name: 'HTML-only message over maxHtmlChars: long runs of spaces (was /[ \\t]+\\n/g)',
    make: (n) => `<p>a${' '.repeat(n)}b</p>`,
    run: (s) => parseMessageStream(htmlOnlyMessage(s), { maxHtmlChars: 100 }),
    options: { msPerThousandChars: 3 },
  },
  // Patterns that were linear already; kept here so a change cannot make them quadratic unnoticed.
  { name: 'POP3 CAPA line', make: (n) => `SASL ${repeat('PLAIN \t', n)}`, run: (s) => parseCapabilities([s]) },
  { name: 'POP3 UIDL line', make: (n) => `1 ${'a'.repeat(n)} \t x`, run: ignoreErrors((s) => parseUidl({ status: 'ok', text: '', body: Buffer.from(`${s}\r\n`) })) },
  { name: 'protocol log: server lines that look like LOGIN/AUTH', make: (n) => `* LOGIN ${repeat('"\\', n)}`, run: redactSecrets },
  { name: 'protocol log: component tags never closed', make: (n) => repeat('[a ', n), run: redactSecrets },
  { name: 'protocol log: long AUTH capability line', make: (n) => `250 AUTH ${repeat('PLAIN ', n)}`, run: redactSecrets },
  { name: 'IMAP encoded word with a long charset', make: (n) => `=?${'*'.repeat(n)}?Q?a?= ${repeat('=?', n)}`, run: decodeMimeWords },
  { name: 'Received chain', make: (n) => `from ${repeat('a (b; c) ', n)}; ${repeat('(', n)}`, run: (s) => parseReceivedChain([{ name: 'Received', value: s }]), options: { msPerThousandChars: 3 } },
  { name: 'Authentication-Results', make: (n) => `mx.test; ${repeat('spf=pass smtp.mailfrom="a\\";', n)}`, run: (s) => parseAuthenticationResults([{ name: 'Authentication-Results', value: s }]) },
  { name: 'address list', make: (n) => repeat('"a\\" <b@c', n), run: ignoreErrors(parseAddressList), options: { msPerThousandChars: 3 } },
  { name: 'link text host', make: (n) => ` ${repeat('a.', n)}-`, run: hostNamedIn },
  { name: 'link text host: long hyphenated labels', make: (n) => ` ${repeat('a-', n)}.b-`, run: hostNamedIn },
  { name: 'reply subject', make: (n) => `${repeat('Re: ', n)}x`, run: replySubject },
  { name: 'compose document', make: (n) => `To: ${repeat('a, ', n)}\n${repeat('\t', n)}\n\n${repeat(' \r', n)}`, run: parseComposeDocument },
];

describe('hostile input stays linear (ReDoS audit)', function () {
  this.timeout(30_000);
  const report: string[] = [];
  after(() => {
    // One line per case with its largest input, for MAILROOM_REDOS_REPORT=1 (the audit table).
    if (process.env.MAILROOM_REDOS_REPORT) console.log(report.join('\n'));
  });
  for (const c of CASES) {
    it(c.name, async () => {
      const timings = await assertLinearTime(c.name, c.make, c.run, c.options);
      report.push(`${c.name}: ${timings.map((t) => `${t.size}=${t.ms.toFixed(1)}ms`).join(' ')}`);
    });
  }
});
