import * as assert from 'node:assert/strict';
import { allowRemote, allowSenders, LoadedEntry } from '../../src/providers/message/conversationRemote';
import { buildViewModel } from '../../src/providers/message/viewModel';
import type { ParsedMessage } from '../../src/protocol/mime/types';

const BODY = { html: '<p>hi</p><img src="https://img.example/a.png">', remoteResources: ['https://img.example/a.png'] };

/** A conversation: Ann's HTML (read), Ben's HTML, a plain-text reply, Ann's second HTML; open: 1 and 3. */
function conversation(): LoadedEntry[] {
  const message = (index: number, fromAddress: string, collapsed: boolean, body: typeof BODY | undefined): LoadedEntry => {
    const parsed = { subject: 's', from: [{ name: '', address: fromAddress }], to: [], cc: [], headers: [], text: 'hi', textTruncated: false, htmlSkipped: false, attachments: [], containsPatch: false, inlineImages: new Map() } as unknown as ParsedMessage;
    const model = buildViewModel(parsed, body, { accountLabel: 'A', folder: 'INBOX', remoteAllowed: false });
    return { entry: { index, collapsed, folder: 'INBOX', message: model }, ...(body ? { body } : {}), fromAddress };
  };
  return [message(0, 'Ann@Example.test', true, BODY), message(1, 'ben@example.test', false, BODY), message(2, 'me@example.test', true, undefined), message(3, 'ann@example.test', false, BODY)];
}
const allowedIn = (loaded: LoadedEntry[]): number[] => loaded.filter((l) => l.entry.message?.remoteAllowed).map((l) => l.entry.index);

describe('conversation panel: remote content per message', () => {
  it('allows remote content in the chosen message only, rebuilding its frame with the remote policy', () => {
    const loaded = conversation();
    const changed = allowRemote(loaded, { index: 1, expanded: [1, 3], pageReplaced: false });
    assert.deepEqual(changed.map((l) => l.entry.index), [1]);
    assert.deepEqual(allowedIn(loaded), [1]);
    assert.match(loaded[1].entry.message!.frame!, /img-src data: http: https:/);
    assert.doesNotMatch(loaded[3].entry.message!.frame!, /http:/, 'the other frame keeps the policy that blocks');
  });

  it('with Always Load, also allows every other HTML message of that sender (address case ignored)', () => {
    const loaded = conversation();
    const changed = allowRemote(loaded, { index: 3, allowed: ['ann@example.test'], expanded: [1, 3], pageReplaced: false });
    assert.deepEqual(changed.map((l) => l.entry.index), [0, 3]);
    assert.deepEqual(allowedIn(loaded), [0, 3]);
    assert.equal(loaded[0].entry.collapsed, true, 'a folded message of the sender stays folded');
  });

  it('opens the chosen message and keeps the open ones open when the page is replaced', () => {
    const loaded = conversation();
    loaded[0].entry.collapsed = true;
    allowRemote(loaded, { index: 0, expanded: [3], pageReplaced: true });
    assert.deepEqual(loaded.map((l) => l.entry.collapsed), [false, true, true, false], 'Ann’s first opened, Ben’s folded by the user, the reply folded, the last open');
  });

  it('follows the setting: a sender allowed elsewhere gets remote content in each of their HTML messages, folded or open', () => {
    const loaded = conversation();
    const changed = allowSenders(loaded, ['@example.test']);
    assert.deepEqual(changed.map((l) => l.entry.index), [0, 1, 3], 'every HTML message of the domain; the plain-text reply has nothing to load');
    assert.deepEqual(allowedIn(loaded), [0, 1, 3]);
    assert.deepEqual(loaded.map((l) => l.entry.collapsed), [true, false, true, false], 'nothing opened or folded');
    assert.deepEqual(allowSenders(loaded, ['@example.test']), [], 'the second time nothing changes (no redraw)');
    assert.deepEqual(allowSenders(conversation(), ['cat@example.test']), [], 'a sender not in the conversation');
  });

  it('does nothing for a plain-text message, a failed one or an index out of range', () => {
    const loaded = conversation();
    const failed: LoadedEntry = { entry: { index: 4, collapsed: false, folder: 'INBOX', error: 'gone' }, fromAddress: '' };
    loaded.push(failed);
    for (const index of [2, 4, 99]) assert.deepEqual(allowRemote(loaded, { index, allowed: ['me@example.test'], expanded: [], pageReplaced: true }), []);
    assert.deepEqual(allowedIn(loaded), []);
    assert.deepEqual(loaded.map((l) => l.entry.collapsed), [true, false, true, false, false], 'nothing refolded either');
  });
});
