import * as assert from 'node:assert/strict';
import { safeFilename } from '../../src/protocol/mime/safeFilename';

describe('safeFilename', () => {
  it('keeps an ordinary name as it is', () => {
    assert.equal(safeFilename('Quarterly report (final).pdf'), 'Quarterly report (final).pdf');
    assert.equal(safeFilename('Überweisung März.xlsx'), 'Überweisung März.xlsx');
  });

  it('replaces path separators so the name cannot leave the folder', () => {
    assert.equal(safeFilename('../../etc/passwd'), 'etc_passwd');
    assert.equal(safeFilename('..\\..\\Windows\\system.ini'), 'Windows_system.ini');
    assert.equal(safeFilename('/abs/path.txt'), 'abs_path.txt');
    assert.equal(safeFilename('Q1/Q2 report.pdf'), 'Q1_Q2 report.pdf');
  });

  it('leaves no ".." anywhere', () => {
    assert.equal(safeFilename('a..b...txt'), 'a.b.txt');
    assert.equal(safeFilename('..'), 'attachment');
    assert.ok(!safeFilename('x/../..').includes('..'));
  });

  it('removes control characters', () => {
    assert.equal(safeFilename('in\u0000voice\r\n\u0007.pdf'), 'invoice.pdf');
    assert.equal(safeFilename('a\u0085b\u009f.txt'), 'ab.txt');
  });

  it('removes bidi overrides and isolates that disguise the extension', () => {
    assert.equal(safeFilename('invoice\u202Efdp.exe'), 'invoicefdp.exe');
    for (const ch of ['\u202A', '\u202B', '\u202C', '\u202D', '\u2066', '\u2067', '\u2068', '\u2069']) assert.equal(safeFilename(`a${ch}b.txt`), 'ab.txt');
  });

  it('keeps the real extension visible at the end whatever format character hides in the name', () => {
    for (const name of ['invoice\u202Efdp.exe', 'invoice\u2067fdp.exe\u2069', 'invoice\u061Cfdp.exe', 'invoice\u200Bfdp.exe', 'invoice\u2060fdp.exe', 'invoice\uFEFFfdp.exe', 'invoice\u206Efdp.exe', 'invoice.exe\u200F']) {
      const safe = safeFilename(name);
      assert.ok(safe.endsWith('.exe'), `${JSON.stringify(name)} → ${JSON.stringify(safe)}`);
      assert.doesNotMatch(safe, /[\u061C\u200B-\u200F\u202A-\u202E\u2060-\u206F\uFEFF]/u, `${JSON.stringify(name)} → ${JSON.stringify(safe)}`);
    }
    assert.equal(safeFilename('a\u061Cb\u200Bc\u2060d\uFEFFe.txt'), 'abcde.txt');
  });

  it('keeps the joiners right-to-left scripts and emoji need', () => {
    assert.equal(safeFilename('می‌خواهم.txt'), 'می‌خواهم.txt');
    assert.equal(safeFilename('סיכום.pdf'), 'סיכום.pdf');
    assert.equal(safeFilename('👨‍👩‍👧.png'), '👨‍👩‍👧.png');
  });

  it('replaces characters Windows forbids', () => {
    assert.equal(safeFilename('a<b>c:d"e|f?g*h.txt'), 'a_b_c_d_e_f_g_h.txt');
  });

  it('drops leading dots and trailing dots and spaces', () => {
    assert.equal(safeFilename('.bashrc'), 'bashrc');
    assert.equal(safeFilename('...hidden.txt'), 'hidden.txt');
    assert.equal(safeFilename('report.pdf. . '), 'report.pdf');
    assert.equal(safeFilename('  name.txt  '), 'name.txt');
  });

  it('makes Windows device names safe in any case, with or without extension', () => {
    for (const name of ['CON', 'con', 'PRN.txt', 'aux.tar.gz', 'NUL', 'Com1.log', 'COM9', 'lpt1', 'LPT9.doc', 'con .txt']) {
      const safe = safeFilename(name);
      assert.ok(!/^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\s*\..*)?$/i.test(safe), `${name} → ${safe}`);
      assert.ok(safe.startsWith('_'), `${name} → ${safe}`);
    }
    assert.equal(safeFilename('console.log'), 'console.log');
    assert.equal(safeFilename('COM10.txt'), 'COM10.txt');
  });

  it('shortens to 200 UTF-8 bytes keeping the extension and whole characters', () => {
    const long = safeFilename(`${'ü'.repeat(300)}.pdf`);
    assert.ok(Buffer.byteLength(long, 'utf8') <= 200, `${Buffer.byteLength(long)} bytes`);
    assert.ok(long.endsWith('.pdf'));
    assert.ok(!long.includes('\ufffd'));
    assert.ok(Buffer.byteLength(safeFilename('x'.repeat(500)), 'utf8') <= 200);
    const emoji = safeFilename(`${'😀'.repeat(100)}.txt`);
    assert.ok(Buffer.byteLength(emoji, 'utf8') <= 200 && emoji.endsWith('.txt'));
    assert.equal(Buffer.from(emoji, 'utf8').toString('utf8'), emoji, 'no half surrogate pair');
  });

  it('falls back when nothing is left', () => {
    assert.equal(safeFilename(''), 'attachment');
    assert.equal(safeFilename('   '), 'attachment');
    assert.equal(safeFilename('\u202E\u0000'), 'attachment');
    assert.equal(safeFilename('...', 'message.eml'), 'message.eml');
  });
});
