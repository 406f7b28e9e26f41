import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MailError } from '../../src/protocol/errors';
import { parseComposeDocument, serializeComposeDocument } from '../../src/protocol/smtp/composeDocument';
import { parseAddressList } from '../../src/protocol/smtp/address';
import { expandTemplate, leftoverPlaceholders, TemplateContext } from '../../src/protocol/smtp/template';
import { listTemplates, MAX_TEMPLATE_BYTES, readTemplate } from '../../src/store/templates';
import { assertLinearTime } from './helpers/linearTime';

const now = new Date('2026-03-05T23:30:00Z');
const context: TemplateContext = {
  now,
  timeZone: 'UTC',
  to: { name: 'Bob Builder', address: 'bob@x.org' },
  identity: { name: 'Me Example', address: 'me@example.com', signature: 'Me\n*Corp*' },
  selection: 'const a = 1;\nconst b = 2;',
};

const TEMPLATE = [
  'To: ${to}',
  'Cc: ${identity.name} <${identity.address}>',
  'Subject: Report ${date} for ${to.name}',
  '',
  'Hi ${to.name} (${to.address}),',
  '',
  '${cursor}',
  '',
  '```',
  '${selection}',
  '```',
  '',
  '${signature}',
  '',
].join('\n');

describe('template expansion', () => {
  it('fills every placeholder in headers and body, and marks the cursor', () => {
    const t = expandTemplate(TEMPLATE, context);
    assert.deepEqual(t.draft, {
      from: '',
      to: 'Bob Builder <bob@x.org>',
      cc: 'Me Example <me@example.com>',
      bcc: '',
      subject: 'Report 2026-03-05 for Bob Builder',
      body: 'Hi Bob Builder (bob@x.org),\n\n\n\n```\nconst a = 1;\nconst b = 2;\n```\n\n-- \nMe\n*Corp*\n',
    });
    assert.deepEqual(t.headers, ['to', 'cc', 'subject']);
    assert.equal(t.draft.body.slice(0, t.cursor), 'Hi Bob Builder (bob@x.org),\n\n');
    assert.deepEqual([t.unknown, t.unfilled, t.notes], [[], [], []]);
  });

  it('uses the time zone for date and time', () => {
    const t = expandTemplate('${date} ${time}', { now, timeZone: 'Asia/Tokyo' });
    assert.equal(t.draft.body, '2026-03-06 08:30');
  });

  it('leaves unknown placeholders as written and reports them once each', () => {
    const t = expandTemplate('Subject: ${subject.upper}\n\n${nope} ${nope} ${ to.name } ${constructor} ${__proto__} ${process.env.HOME} ${require("fs")}', context);
    assert.equal(t.draft.subject, '${subject.upper}');
    assert.equal(t.draft.body, '${nope} ${nope} Bob Builder ${constructor} ${__proto__} ${process.env.HOME} ${require("fs")}');
    assert.deepEqual(t.unknown, ['${subject.upper}', '${nope}', '${constructor}', '${__proto__}', '${process.env.HOME}', '${require("fs")}']);
  });

  it('leaves known placeholders without a value visible (no recipient yet) and says so', () => {
    const t = expandTemplate('To: ${to}\n\nHi ${to.name},', { now });
    assert.equal(t.draft.to, '${to}');
    assert.equal(t.draft.body, 'Hi ${to.name},');
    assert.deepEqual(t.unfilled, ['${to}', '${to.name}']);
  });

  it('never expands a value again: a name or selection that contains ${…} stays text', () => {
    const t = expandTemplate('Subject: ${to.name}\n\n${selection} ${to.name}', { now, to: { name: '${date}', address: 'x@y.z' }, selection: '${identity.address} and ${signature} and `${cursor}` $1 ${TM_FILENAME}' });
    assert.equal(t.draft.subject, '${date}');
    assert.equal(t.draft.body, '${identity.address} and ${signature} and `${cursor}` $1 ${TM_FILENAME} ${date}');
    assert.equal(t.cursor, undefined);
    assert.deepEqual([t.unknown, t.unfilled], [[], []]);
  });

  it('a newline in a value cannot add a header; a comma in a name cannot add a recipient', () => {
    const hostile: TemplateContext = { now, to: { name: 'Doe, John\r\nBcc: evil@attacker.test', address: 'john@x.org' } };
    const t = expandTemplate('To: ${to.name} <${to.address}>\nSubject: For ${to.name}\n\nBody', hostile);
    const doc = parseComposeDocument(serializeComposeDocument(t.draft));
    assert.equal(doc.bcc, '');
    assert.equal(doc.problems.length, 0, JSON.stringify(doc.problems));
    assert.deepEqual(parseAddressList(doc.to).map((a) => a.address), ['john@x.org'], 'one recipient');
    assert.equal(doc.subject, 'For Doe, John Bcc: evil@attacker.test');
  });

  it('an address placeholder that is not an address stays unfilled; other values in address fields lose separators', () => {
    const t = expandTemplate('To: ${to.address}\nCc: team-${selection}@x.org\n\n', { now, to: { name: '', address: 'a@b.c, evil@x.org' }, selection: 'a,b<c>' });
    assert.equal(t.draft.to, '${to.address}');
    assert.deepEqual(t.unfilled, ['${to.address}']);
    assert.equal(t.draft.cc, 'team-a b c@x.org');
  });

  it('treats a file without a header block as body only, and reports ignored headers', () => {
    assert.deepEqual(expandTemplate('Hello ${to.name}\nsecond line', context).draft.body, 'Hello Bob Builder\nsecond line');
    assert.deepEqual(expandTemplate('Hello ${to.name}\nsecond line', context).headers, []);
    const t = expandTemplate('X-Custom: 1\nAttach: a.pdf\nSubject: S\n\nB', context);
    assert.deepEqual(t.notes, ['Attach lines of a template are ignored: attach files to the message itself.', 'The header “X-Custom” of the template is ignored.']);
  });

  it('leaves malformed placeholders alone', () => {
    const t = expandTemplate('${ ${to.name ${} $to.name ${to.name}} ${' + 'a'.repeat(100) + '}', context);
    assert.equal(t.draft.body, '${ ${to.name ${} $to.name Bob Builder} ${' + 'a'.repeat(100) + '}');
  });

  it('finds known placeholders left in a compose document (for a warning), not other ${…} text', () => {
    assert.deepEqual(leftoverPlaceholders('To: ${to}\n\nHi ${to.name}, ${ to.address }\necho ${HOME} ${x}\n'), [
      { line: 0, placeholder: '${to}' },
      { line: 2, placeholder: '${to.name}' },
      { line: 2, placeholder: '${ to.address }' },
    ]);
  });

  it('expands a hostile template (thousands of placeholders, unclosed braces) in linear time', async () => {
    await assertLinearTime('expandTemplate', (n) => '${to.name}${'.repeat(Math.ceil(n / 12)), (input) => expandTemplate(input, context));
    await assertLinearTime('expandTemplate unknown', (n) => '${x}'.repeat(Math.ceil(n / 4)), (input) => expandTemplate(input, context));
  });
});

describe('template files', () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mailroom-templates-'));
    await fs.writeFile(path.join(dir, 'weekly.md'), 'Subject: Weekly\n\nHi');
    await fs.writeFile(path.join(dir, 'Alpha.mail'), 'A');
    await fs.writeFile(path.join(dir, 'notes.txt'), 'not a template');
    await fs.mkdir(path.join(dir, 'folder.md'));
    await fs.writeFile(path.join(dir, 'big.md'), 'x'.repeat(MAX_TEMPLATE_BYTES + 1));
    await fs.writeFile(path.join(os.tmpdir(), 'mailroom-secret-target.txt'), 'secret');
    await fs.symlink(path.join(os.tmpdir(), 'mailroom-secret-target.txt'), path.join(dir, 'link.md'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rm(path.join(os.tmpdir(), 'mailroom-secret-target.txt'), { force: true });
  });

  it('lists .md/.markdown/.mail files of each folder, sorted, skipping links, folders and missing folders', async () => {
    const list = await listTemplates([{ dir, source: 'workspace' }, { dir: path.join(dir, 'missing'), source: 'global' }]);
    assert.deepEqual(list.map((t) => [t.name, t.source]), [['Alpha', 'workspace'], ['big', 'workspace'], ['weekly', 'workspace']]);
  });

  it('reads a template, refuses a link and an oversized file with StorageFailed', async () => {
    assert.equal(await readTemplate(path.join(dir, 'weekly.md')), 'Subject: Weekly\n\nHi');
    for (const name of ['link.md', 'big.md', 'absent.md']) {
      await assert.rejects(readTemplate(path.join(dir, name)), (err: unknown) => MailError.is(err, 'StorageFailed') && err.message.includes(name));
    }
  });
});
