import * as assert from 'node:assert/strict';
import { findPatch, isMailboxPatch, isPatchAttachment } from '../../src/protocol/mime/patch';
import { GIT_PATCH } from '../fixtures/mimeBuilders';

const UNIFIED = ['Some context before.', '', '--- a/README.md', '+++ b/README.md', '@@ -1 +1,2 @@', ' # Title', '+More text', ''].join('\n');

describe('findPatch', () => {
  it('returns a git patch from its diff --git line, without the trailing signature', () => {
    const patch = findPatch(`Hi all,\n\nplease review.\n\n${GIT_PATCH}`);
    assert.ok(patch);
    assert.ok(patch.startsWith('diff --git a/src/frob.c b/src/frob.c\n'), patch);
    assert.ok(patch.endsWith('+  return 2;\n }\n'), JSON.stringify(patch.slice(-40)));
  });

  it('returns a plain unified diff from its --- line', () => {
    assert.equal(findPatch(UNIFIED), ['--- a/README.md', '+++ b/README.md', '@@ -1 +1,2 @@', ' # Title', '+More text', ''].join('\n'));
  });

  it('includes a diff -u / Index: line right above the --- line', () => {
    assert.ok(findPatch(`Index: x.c\n${UNIFIED.split('\n').slice(2).join('\n')}`)?.startsWith('Index: x.c\n--- a/README.md'));
  });

  it('finds a patch with CRLF line endings', () => {
    assert.ok(findPatch(UNIFIED.replace(/\n/g, '\r\n'))?.startsWith('--- a/README.md\r\n'));
  });

  it('finds nothing in prose with dashes, or --- without +++ and a hunk', () => {
    assert.equal(findPatch('Thanks!\n---\nSent from my phone\n'), undefined);
    assert.equal(findPatch('--- a/x\nnot a plus line\n@@ -1 +1 @@\n'), undefined);
    assert.equal(findPatch('--- a/x\n+++ b/x\nno hunk here\n'), undefined);
    assert.equal(findPatch(''), undefined);
  });

  it('scans a megabyte of dashes quickly', () => {
    const start = Date.now();
    assert.equal(findPatch('--- \n'.repeat(200_000)), undefined);
    assert.ok(Date.now() - start < 2000);
  });
});

describe('isPatchAttachment', () => {
  it('is true for patch content types and .patch/.diff names', () => {
    assert.equal(isPatchAttachment('x.bin', 'text/x-diff', ''), true);
    assert.equal(isPatchAttachment('x.bin', 'text/x-patch; charset=utf-8', ''), true);
    assert.equal(isPatchAttachment('0001-fix.patch', 'application/octet-stream', ''), true);
    assert.equal(isPatchAttachment('changes.DIFF', 'application/octet-stream', ''), true);
  });

  it('looks at the content of text attachments', () => {
    assert.equal(isPatchAttachment('notes.txt', 'text/plain', GIT_PATCH), true);
    assert.equal(isPatchAttachment('notes.txt', 'text/plain', UNIFIED), true);
    assert.equal(isPatchAttachment('notes.txt', 'text/plain', 'just notes'), false);
  });

  it('does not sniff binary types', () => {
    assert.equal(isPatchAttachment('image.png', 'image/png', GIT_PATCH), false);
  });
});

describe('isMailboxPatch', () => {
  it('recognises git format-patch output', () => {
    assert.equal(isMailboxPatch(Buffer.from(GIT_PATCH)), true);
    assert.equal(isMailboxPatch(Buffer.from(GIT_PATCH.replace(/\n/g, '\r\n'))), true);
  });

  it('rejects ordinary mbox separators and other text', () => {
    assert.equal(isMailboxPatch(Buffer.from('From alice@example.test Mon Sep 17 00:00:00 2001\n')), false);
    assert.equal(isMailboxPatch(Buffer.from('From 0123456789abcdef0123456789abcdef01234567 Tue Jan 2 10:00:00 2024\n')), false);
    assert.equal(isMailboxPatch(Buffer.alloc(0)), false);
  });
});
