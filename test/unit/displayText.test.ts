import * as assert from 'node:assert/strict';
import { parseMessageStream } from '../../src/protocol/mime/parseMessageStream';
import { buildHeadersModel } from '../../src/providers/message/headersModel';
import { buildViewModel } from '../../src/providers/message/viewModel';
import { displayText } from '../../src/shared/displayText';
import { bidiSpoofMessage, hebrewMessage } from '../fixtures/bidiMail';

/** Every character that can reorder text around it (UAX #9 explicit formatting characters and marks). */
const BIDI_CONTROLS = ['\u061C', '\u200E', '\u200F', '\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069'];
const BIDI_CONTROL = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

describe('displayText (untrusted text made safe to show)', () => {
  it('shows each bidi control as a visible marker, so none can reorder what follows it', () => {
    assert.equal(displayText('invoice\u202Efdp.exe'), 'invoice[U+202E]fdp.exe');
    for (const ch of BIDI_CONTROLS) {
      const code = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      assert.equal(displayText(`a${ch}b`), `a[U+${code}]b`);
    }
    assert.equal(displayText('\u2067\u202Eabc\u202C\u2069'), '[U+2067][U+202E]abc[U+202C][U+2069]');
  });

  it('marks invisible characters that hide text, and control characters', () => {
    assert.equal(displayText('pay\u200Bpal'), 'pay[U+200B]pal');
    assert.equal(displayText('a\u2060b\uFEFFc'), 'a[U+2060]b[U+FEFF]c');
    assert.equal(displayText('a\u206Ab'), 'a[U+206A]b');
    assert.equal(displayText('a\u0000b\u0007c\u007Fd\u0085e'), 'a[U+0000]b[U+0007]c[U+007F]d[U+0085]e');
    assert.equal(displayText('a\uFFF9hidden\uFFFBb'), 'a[U+FFF9]hidden[U+FFFB]b');
  });

  it('makes line breaks and tabs spaces: a label is one line', () => {
    assert.equal(displayText('Re: one\r\n two\tthree\nfour'), 'Re: one  two three four');
  });

  it('leaves right-to-left text, joiners and emoji sequences as they are', () => {
    for (const text of ['שרה כהן', 'مرحبا بالعالم', 'می‌خواهم', 'क्‍ष', '👨‍👩‍👧', 'Überweisung März 2024', 'a [U+202E] literal', '']) {
      assert.equal(displayText(text), text);
    }
  });

  it('leaves no bidi control in any string', () => {
    let all = '';
    for (let cp = 0; cp <= 0xffff; cp++) if (cp < 0xd800 || cp > 0xdfff) all += String.fromCharCode(cp);
    assert.doesNotMatch(displayText(all), BIDI_CONTROL);
  });
});

describe('message view and header inspector with bidi spoofing', () => {
  it('the view model shows the From name, subject and attachment name with their controls visible', async () => {
    const message = bidiSpoofMessage();
    const parsed = await parseMessageStream(message.raw);
    assert.equal(parsed.subject, message.subject, 'the parser keeps the subject as sent');
    const model = buildViewModel(parsed, undefined, { accountLabel: 'XSS', folder: 'Bidi', remoteAllowed: false });
    assert.equal(model.subject, message.shown.subject);
    assert.equal(model.from, message.shown.from);
    assert.deepEqual(model.attachments.map((a) => a.filename), [message.shown.attachment]);
    assert.equal(model.fromAddress, 'attacker@evil.test');
    for (const h of model.headers) assert.doesNotMatch(`${h.name}: ${h.value}`, BIDI_CONTROL, h.name);
  });

  it('the header inspector model shows them visible too', async () => {
    const message = bidiSpoofMessage();
    const raw = Buffer.concat([Buffer.from(`Received: from \u202Eliam.knab by mx.example.test with ESMTP id x; Thu, 2 May 2024 09:30:05 +0000\r\n`), message.raw]);
    const model = buildHeadersModel(await parseMessageStream(raw));
    assert.equal(model.subject, message.shown.subject);
    assert.equal(model.from, message.shown.from);
    assert.doesNotMatch(JSON.stringify(model.hops), BIDI_CONTROL);
  });

  it('Hebrew names, subjects and attachment names display exactly as written', async () => {
    const message = hebrewMessage();
    const model = buildViewModel(await parseMessageStream(message.raw), undefined, { accountLabel: 'XSS', folder: 'Bidi', remoteAllowed: false });
    assert.equal(model.subject, message.shown.subject);
    assert.equal(model.from, message.shown.from);
    assert.deepEqual(model.attachments.map((a) => a.filename), [message.shown.attachment]);
  });
});
