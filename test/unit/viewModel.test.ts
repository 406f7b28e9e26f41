import * as assert from 'node:assert/strict';
import { parseMessageStream } from '../../src/protocol/mime/parseMessageStream';
import { sanitizeMessageHtml } from '../../src/protocol/mime/sanitizeHtml';
import { openKind } from '../../src/providers/message/attachmentPolicy';
import { frameDocument, messageFrameCsp, messageShellCsp } from '../../src/providers/message/csp';
import { buildHeadersModel } from '../../src/providers/message/headersModel';
import { senderAllowed, withAllowedSender } from '../../src/providers/message/remoteContent';
import { buildViewModel, MAX_HEADER_FIELDS, withRemoteAllowed } from '../../src/providers/message/viewModel';
import { formatDelay } from '../../src/shared/headersView';
import { buildMessage } from '../fixtures/messages';
import { remoteBlockedLabel } from '../../media/message/remoteBar';

const CTX = { accountLabel: 'Alice', folder: 'INBOX', remoteAllowed: false };

function directives(csp: string): Map<string, string> {
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...rest]) => [name, rest.join(' ')]));
}

describe('message view model', () => {
  it('builds an HTML view: sanitized frame with its CSP, remote resources counted, related parts hidden', async () => {
    const raw = buildMessage({
      from: { name: 'News Letter', address: 'News@Example.com' },
      to: [{ address: 'alice@example.test' }],
      cc: [{ name: 'Bob', address: 'bob@example.test' }],
      subject: 'Weekly news',
      date: new Date(Date.UTC(2024, 1, 2, 3, 4, 5)),
      messageId: 'vm-1@test.mailroom',
      body: { kind: 'alternative', text: 'Plain version', html: '<p onclick="steal()">Hello <img src="https://tracker.example/pixel.gif"> <script>alert(1)</script><a href="https://example.com/">site</a></p>' },
    });
    const parsed = await parseMessageStream(raw);
    assert.ok(parsed.html);
    const body = sanitizeMessageHtml(parsed.html, { inlineImages: parsed.inlineImages });
    const model = buildViewModel(parsed, body, CTX);
    assert.equal(model.subject, 'Weekly news');
    assert.equal(model.from, 'News Letter <News@Example.com>');
    assert.equal(model.fromAddress, 'news@example.com');
    assert.equal(model.cc, 'Bob <bob@example.test>');
    assert.equal(model.date, '2024-02-02T03:04:05.000Z');
    assert.equal(model.remoteBlocked, 1);
    assert.equal(model.remoteAllowed, false);
    assert.ok(model.frame);
    assert.doesNotMatch(model.frame, /<script|onclick|alert\(1\)/i);
    assert.match(model.frame, /https:\/\/tracker\.example\/pixel\.gif/, 'kept: the CSP blocks it, and Load Remote Content shows it');
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(model.frame);
    assert.ok(meta, 'the frame carries its own CSP');
    assert.equal(directives(meta[1].replace(/&#39;|&apos;/g, "'")).get('img-src'), 'data:');
    assert.ok(model.headers.some((h) => h.name.toLowerCase() === 'message-id'));

    const remote = withRemoteAllowed(model, body, true);
    assert.equal(remote.remoteAllowed, true);
    assert.match(remote.frame ?? '', /img-src data: http: https:/);
  });

  it('says "at least" when a remote stylesheet can import more than anyone can count before it loads', async () => {
    const html = '<style>@import url(https://cdn.example/a.css);</style><p>x<img src="https://tracker.example/p.gif"></p>';
    const raw = buildMessage({ from: { address: 'n@example.com' }, to: [{ address: 'a@example.test' }], subject: 's', date: new Date(Date.UTC(2024, 1, 2)), messageId: 'vm-chain@test.mailroom', body: { kind: 'alternative', text: 'x', html } });
    const parsed = await parseMessageStream(raw);
    const model = buildViewModel(parsed, sanitizeMessageHtml(parsed.html ?? '', { inlineImages: {} }), CTX);
    assert.equal(model.remoteBlocked, 2);
    assert.equal(model.remoteAtLeast, true);
    assert.equal(remoteBlockedLabel(model), 'At least 2 remote resources blocked');
    assert.equal(remoteBlockedLabel({ remoteBlocked: 1, remoteAtLeast: false }), '1 remote resource blocked');
    assert.equal(remoteBlockedLabel({ remoteBlocked: 3, remoteAtLeast: false }), '3 remote resources blocked');
  });

  it('builds a plain-text view with attachments listed and patches noticed', async () => {
    const raw = buildMessage({
      from: { address: 'dev@example.test' },
      to: [{ address: 'list@example.test' }],
      subject: 'fix',
      date: new Date(Date.UTC(2024, 1, 2)),
      messageId: 'vm-2@test.mailroom',
      body: { kind: 'mixed', text: 'See attached.', attachments: [{ filename: '0001-fix.patch', contentType: 'text/x-patch', content: Buffer.from('diff --git a/x b/x\n') }, { filename: 'notes.txt', contentType: 'text/plain', content: Buffer.from('notes') }] },
    });
    const parsed = await parseMessageStream(raw);
    const model = buildViewModel(parsed, undefined, { ...CTX, fallbackDate: '2000-01-01T00:00:00.000Z' });
    assert.equal(model.frame, undefined);
    assert.equal(model.text.trim(), 'See attached.');
    assert.equal(model.remoteBlocked, 0);
    assert.deepEqual(model.attachments.map((a) => [a.filename, a.isPatch]), [['0001-fix.patch', true], ['notes.txt', false]]);
    assert.equal(model.hasPatch, true);
  });

  it('bounds the headers a hostile message can push into the view', async () => {
    const many = Array.from({ length: MAX_HEADER_FIELDS + 50 }, (_, i) => `X-Junk-${i}: ${'y'.repeat(i === 0 ? 40_000 : 5)}`).join('\r\n');
    const raw = Buffer.from(`${many}\r\nFrom: a@example.test\r\nSubject: junk\r\n\r\nbody\r\n`);
    const model = buildViewModel(await parseMessageStream(raw), undefined, CTX);
    assert.equal(model.headers.length, MAX_HEADER_FIELDS);
    assert.ok(model.headers[0].value.length < 17_000);
  });
});

describe('message panel CSP', () => {
  it('keeps the shell strict and adds remote sources only when allowed', () => {
    const blocked = directives(messageShellCsp({ cspSource: 'https://webview.test', nonce: 'abc', remoteAllowed: false }));
    assert.equal(blocked.get('default-src'), "'none'");
    assert.equal(blocked.get('script-src'), "'nonce-abc'");
    assert.equal(blocked.get('img-src'), 'https://webview.test data:');
    assert.equal(blocked.get('form-action'), "'none'");
    assert.equal(blocked.get('base-uri'), "'none'");
    assert.equal(blocked.get('frame-src'), "'none'");
    assert.ok(![...blocked.values()].some((v) => /https?:(\s|$)/.test(v)), 'no http: or https: source while blocked');
    const allowed = directives(messageShellCsp({ cspSource: 'https://webview.test', nonce: 'abc', remoteAllowed: true }));
    for (const d of ['img-src', 'style-src', 'font-src', 'media-src']) assert.match(allowed.get(d) ?? '', /http: https:$/, d);
    assert.equal(allowed.get('script-src'), "'nonce-abc'", 'remote content never means remote script');
    assert.equal(directives(messageFrameCsp(true)).get('script-src'), "'none'");
  });

  it('escapes the policy inside the frame document', () => {
    const doc = frameDocument('<p>x</p>', false);
    assert.match(doc, /^<!DOCTYPE html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;|^<!DOCTYPE html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'/);
    assert.match(doc, /<body><p>x<\/p><\/body><\/html>$/);
  });
});

describe('remote content senders and attachment opening', () => {
  it('matches allowed senders by address or @domain, case-insensitively', () => {
    assert.equal(senderAllowed('News@Example.com', ['news@example.com']), true);
    assert.equal(senderAllowed('other@example.com', ['@EXAMPLE.com']), true);
    assert.equal(senderAllowed('a@evil-example.com', ['@example.com']), false);
    assert.equal(senderAllowed('a@sub.example.com', ['@example.com']), false);
    assert.equal(senderAllowed('', ['@example.com']), false);
    assert.equal(senderAllowed('a@example.com', [42, null, 'example.com']), false);
    assert.deepEqual(withAllowedSender(['@example.com'], 'x@example.com'), ['@example.com']);
    assert.deepEqual(withAllowedSender(['a@b.c', 7], 'New@X.org'), ['a@b.c', 'new@x.org']);
  });

  it('opens text-like attachments in an editor, images and PDF in a viewer, nothing else', () => {
    assert.equal(openKind('text/plain', 'a.txt'), 'text');
    assert.equal(openKind('application/octet-stream', 'fix.patch'), 'text');
    assert.equal(openKind('application/json', 'x'), 'text');
    assert.equal(openKind('image/svg+xml', 'logo.svg'), 'text', 'SVG can carry script: never rendered');
    assert.equal(openKind('text/html', 'page.html'), 'text', 'HTML opens as source, not rendered');
    assert.equal(openKind('image/png', 'a.png'), 'viewer');
    assert.equal(openKind('application/pdf', 'doc.pdf'), 'viewer');
    assert.equal(openKind('application/x-msdownload', 'setup.exe'), 'none');
    assert.equal(openKind('application/zip', 'a.zip'), 'none');
    assert.equal(openKind('application/octet-stream', 'invoice.pdf.exe'), 'none');
  });
});

describe('header inspector model', () => {
  it('lists hops oldest first with delays and summarizes SPF, DKIM and DMARC', async () => {
    const raw = Buffer.from(
      [
        'Received: from mx.example.net (mx.example.net [192.0.2.2]) by mail.example.org with ESMTPS id abc; Tue, 2 Jan 2024 10:00:30 +0000',
        'Received: from sender.example.com by mx.example.net with ESMTP id def; Tue, 2 Jan 2024 10:00:00 +0000',
        'Authentication-Results: mail.example.org; spf=pass smtp.mailfrom=example.com; dkim=fail (bad signature) header.d=example.com; dmarc=pass header.from=example.com',
        'From: Sender <s@example.com>',
        'Subject: hops',
        'Date: Tue, 2 Jan 2024 09:59:58 +0000',
        '',
        'body',
        '',
      ].join('\r\n'),
    );
    const model = buildHeadersModel(await parseMessageStream(raw));
    assert.deepEqual(model.hops.map((h) => [h.hop, h.from, h.by]), [
      [1, 'sender.example.com', 'mx.example.net'],
      [2, 'mx.example.net (mx.example.net [192.0.2.2])', 'mail.example.org'],
    ]);
    assert.equal(model.hops[1].delaySeconds, 30);
    assert.equal(model.totalDelaySeconds, 30);
    assert.deepEqual(model.summary, { spf: 'pass', dkim: 'fail', dmarc: 'pass' });
    assert.equal(model.auth.length, 3);
    assert.match(model.auth[0].details, /smtp\.mailfrom=example\.com/);
    assert.equal(formatDelay(30), '30 s');
    assert.equal(formatDelay(3725), '1 h 2 min');
    assert.equal(formatDelay(undefined), '');
  });
});
