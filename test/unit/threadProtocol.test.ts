import * as assert from 'node:assert/strict';
import { serverThreadAlgorithm, threadGroups } from '../../src/protocol/imap/operations/thread';
import { MAX_CONVERSATION_ENTRIES, parseFromConversation, parseToConversation } from '../../src/shared/conversationView';

const atom = (value: string): { type: string; value: string } => ({ type: 'ATOM', value });

describe('UID THREAD answers', () => {
  it('turns "(2)(3 6 (4 23)(44 7 96))" into one group of UIDs per thread', () => {
    // imapflow's parse of: * THREAD (2)(3 6 (4 23)(44 7 96))
    const attributes = [[atom('2')], [atom('3'), atom('6'), [atom('4'), atom('23')], [atom('44'), atom('7'), atom('96')]]];
    assert.deepEqual(threadGroups(attributes), [[2], [3, 6, 4, 23, 44, 7, 96]]);
    // A dummy parent: "((11)(12))" groups both.
    assert.deepEqual(threadGroups([[[atom('11')], [atom('12')]]]), [[11, 12]]);
  });

  it('ignores what is not a UID and survives nesting thousands deep', () => {
    assert.deepEqual(threadGroups([[atom('0'), atom('x'), atom('99999999999'), null, atom('5')], []]), [[5]]);
    let deep: unknown = [atom('1')];
    for (let i = 2; i <= 20_000; i++) deep = [atom(String(i)), deep];
    assert.equal(threadGroups([deep])[0].length, 20_000);
  });

  it('asks for REFS without subject merging and REFERENCES with it, never what the server lacks', () => {
    const dovecot = new Map<string, unknown>([['THREAD=REFERENCES', true], ['THREAD=REFS', true]]);
    assert.equal(serverThreadAlgorithm(dovecot, false), 'REFS');
    assert.equal(serverThreadAlgorithm(dovecot, true), 'REFERENCES');
    const referencesOnly = new Map<string, unknown>([['THREAD=REFERENCES', true]]);
    assert.equal(serverThreadAlgorithm(referencesOnly, false), undefined, 'REFERENCES would merge subjects the user keeps apart');
    assert.equal(serverThreadAlgorithm(new Map(), true), undefined);
    assert.equal(serverThreadAlgorithm(undefined, false), undefined);
  });
});

describe('conversation webview protocol', () => {
  it('accepts only well-formed messages from the webview', () => {
    assert.deepEqual(parseFromConversation({ type: 'reply', index: 2, all: true }), { type: 'reply', index: 2, all: true });
    assert.deepEqual(parseFromConversation({ type: 'reply', index: 1 }), { type: 'reply', index: 1, all: false });
    assert.equal(parseFromConversation({ type: 'reply', index: -1 }), undefined);
    assert.equal(parseFromConversation({ type: 'openMessage', index: 1.5 }), undefined);
    assert.equal(parseFromConversation({ type: 'openLink', href: 'x'.repeat(10_000), text: '' }), undefined);
    assert.equal(parseFromConversation({ type: 'openLink', href: 'https://a.test', text: 'y'.repeat(5000) })?.type, 'openLink');
    assert.equal(parseFromConversation({ type: 'command', command: 'workbench.action.terminal.new' }), undefined);
    assert.equal(parseFromConversation(null), undefined);
    assert.deepEqual(parseFromConversation({ type: 'rendered', count: 3, expanded: 1 }), { type: 'rendered', count: 3, expanded: 1 });
  });

  it('reads what the host sends', () => {
    assert.deepEqual(parseToConversation({ type: 'loading', subject: 's', count: 2 }), { type: 'loading', subject: 's', count: 2 });
    assert.equal(parseToConversation({ type: 'show', subject: 's' }), undefined);
    assert.equal(parseToConversation({ type: 'show', subject: 's', entries: [] })?.type, 'show');
    const entry = { index: 2, collapsed: false, folder: 'INBOX' };
    assert.deepEqual(parseToConversation({ type: 'entry', entry }), { type: 'entry', entry });
    assert.equal(parseToConversation({ type: 'entry', entry: { index: 'x' } }), undefined);
    assert.equal(parseToConversation({ type: 'entry' }), undefined);
  });

  it('accepts the open messages the person chose only as a bounded list of indices', () => {
    assert.deepEqual(parseFromConversation({ type: 'expanded', expanded: [0, 2] }), { type: 'expanded', expanded: [0, 2] });
    assert.deepEqual(parseFromConversation({ type: 'expanded', expanded: [] }), { type: 'expanded', expanded: [] });
    assert.equal(parseFromConversation({ type: 'expanded' }), undefined);
    assert.equal(parseFromConversation({ type: 'expanded', expanded: [1.5] }), undefined);
    assert.equal(parseFromConversation({ type: 'expanded', expanded: Array.from({ length: MAX_CONVERSATION_ENTRIES + 1 }, (_, i) => i) }), undefined);
  });

  it('accepts a request for remote content only with a message index and the open messages as indices', () => {
    assert.deepEqual(parseFromConversation({ type: 'remote', index: 3, expanded: [1, 3] }), { type: 'remote', index: 3, always: false, expanded: [1, 3] });
    assert.deepEqual(parseFromConversation({ type: 'remote', index: 0, always: true, expanded: [] }), { type: 'remote', index: 0, always: true, expanded: [] });
    assert.deepEqual(parseFromConversation({ type: 'remote', index: 0, always: 'yes', expanded: [] }), { type: 'remote', index: 0, always: false, expanded: [] }, 'only true means always');
    assert.equal(parseFromConversation({ type: 'remote', index: -1, expanded: [] }), undefined);
    assert.equal(parseFromConversation({ type: 'remote', index: 1 }), undefined, 'expanded is required');
    assert.equal(parseFromConversation({ type: 'remote', index: 1, expanded: [0, 'x'] }), undefined);
    assert.equal(parseFromConversation({ type: 'remote', index: 1, expanded: Array.from({ length: MAX_CONVERSATION_ENTRIES + 1 }, (_, i) => i) }), undefined, 'a bounded list');
  });
});
