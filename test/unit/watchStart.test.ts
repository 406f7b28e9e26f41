import * as assert from 'node:assert/strict';
import type { FolderCache, FolderSyncState } from '../../src/protocol/imap/cacheContract';
import { pollChanged } from '../../src/protocol/imap/supervisor/poll';
import { watchStartDifference } from '../../src/protocol/imap/watchStart';

const cache = (state: FolderSyncState | undefined, count: number): Pick<FolderCache, 'state' | 'count'> => ({ state: () => state, count: () => count });
const synced: FolderSyncState = { uidValidity: '7', uidNext: 41, highestModseq: '12' };
const same = { uidValidity: '7', messages: 40, uidNext: 41, highestModseq: '12' };

describe('watch start: is the cache behind what the server reported?', () => {
  it('is current only when UIDVALIDITY, count, UIDNEXT and HIGHESTMODSEQ all agree', () => {
    assert.equal(watchStartDifference(cache(synced, 40), same), undefined);
    assert.match(watchStartDifference(cache(synced, 40), { ...same, highestModseq: '13' }) ?? '', /HIGHESTMODSEQ 12 cached, 13 on the server/);
    assert.match(watchStartDifference(cache(synced, 40), { ...same, messages: 39 }) ?? '', /40 messages cached, 39 on the server/);
    assert.match(watchStartDifference(cache(synced, 40), { ...same, uidNext: 42 }) ?? '', /UIDNEXT 41 cached, 42/);
    assert.match(watchStartDifference(cache(synced, 40), { ...same, uidValidity: '8' }) ?? '', /UIDVALIDITY 7 cached, 8/);
  });

  it('always syncs without HIGHESTMODSEQ on either side: a flag change leaves every number alone', () => {
    const { highestModseq: _h, ...noModseq } = same;
    assert.match(watchStartDifference(cache(synced, 40), noModseq) ?? '', /no HIGHESTMODSEQ/);
    assert.match(watchStartDifference(cache({ uidValidity: '7', uidNext: 41 }, 40), same) ?? '', /no HIGHESTMODSEQ/);
  });

  it('syncs a folder never synced, and one whose watch start did not say its UIDVALIDITY', () => {
    assert.equal(watchStartDifference(cache(undefined, 0), same), 'never synced');
    const { uidValidity: _v, ...noValidity } = same;
    assert.match(watchStartDifference(cache(synced, 40), noValidity) ?? '', /no UIDVALIDITY/);
  });

  it('a missing UIDNEXT is no difference by itself', () => {
    const { uidNext: _n, ...noUidNext } = same;
    assert.equal(watchStartDifference(cache(synced, 40), noUidNext), undefined);
  });
});

describe('polling: did INBOX change between two polls?', () => {
  const status = { messages: 40, unseen: 13, uidNext: 41, highestModseq: '12' };
  const examine = { messages: 40, uidNext: 41, highestModseq: '12' };
  it('compares what both polls reported, so switching between STATUS and EXAMINE is no change', () => {
    assert.equal(pollChanged(status, examine), false);
    assert.equal(pollChanged(examine, status), false);
    assert.equal(pollChanged(status, { ...status, unseen: 12 }), true);
    assert.equal(pollChanged(examine, { ...examine, highestModseq: '13' }), true);
    assert.equal(pollChanged(examine, { ...status, messages: 41 }), true);
  });
});
