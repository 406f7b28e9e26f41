import * as assert from 'node:assert/strict';
import { MailError } from '../../src/protocol/errors';
import { DAY_MS } from '../../src/store/pop3/limits';
import { isDueForDeletion, KnownMessage, planCheck, PlanInput, ServerMessage } from '../../src/store/pop3/policy';
import { Pop3Policy } from '../../src/store/pop3/types';

const NOW = new Date('2024-06-10T12:00:00Z');
const ago = (days: number): string => new Date(NOW.getTime() - days * DAY_MS).toISOString();

function input(messages: ServerMessage[], policy: Pop3Policy, cached: Record<string, KnownMessage> = {}, removed: Record<string, string> = {}, hasUidl = true): PlanInput {
  return {
    messages,
    hasUidl,
    policy,
    now: NOW,
    cached: (u) => cached[u],
    removed: (u) => (removed[u] ? { receivedAt: removed[u] } : undefined),
    label: 'alice@example.test',
  };
}
const server = (n: number, size = 1000): ServerMessage[] => Array.from({ length: n }, (_, i) => ({ msg: i + 1, size, uidl: `U${i + 1}` }));

describe('POP3 check policy', () => {
  it('leave-on-server downloads only UIDLs not cached or removed, and deletes nothing', () => {
    const plan = planCheck(input(server(4), { leaveOnServer: true }, { U1: { receivedAt: ago(400), partial: false } }, { U2: ago(400) }));
    assert.deepEqual(plan.download.map((d) => d.uidl), ['U3', 'U4']);
    assert.ok(plan.download.every((d) => !d.deleteWhenStored && !d.headersOnly));
    assert.deepEqual(plan.deleteNow, []);
    assert.equal(plan.skippedAlreadyCached, 2);
  });

  it('delete-after-download deletes new messages once stored and cached ones (a rolled-back session) now', () => {
    const plan = planCheck(input(server(3), { leaveOnServer: false }, { U2: { receivedAt: ago(0), partial: false } }));
    assert.deepEqual(plan.download.map((d) => [d.uidl, d.deleteWhenStored]), [['U1', true], ['U3', true]]);
    assert.deepEqual(plan.deleteNow, [{ msg: 2, uidl: 'U2' }]);
  });

  it('deletes after N days counted from the download, with the clock injected', () => {
    const cached = {
      U1: { receivedAt: ago(3), partial: false },
      U2: { receivedAt: ago(2.99), partial: false },
      U3: { receivedAt: ago(10), partial: true }, // headers only: body still needed from the server
    };
    const plan = planCheck(input(server(4), { leaveOnServer: true, deleteFromServerAfterDays: 3 }, cached, {}));
    assert.deepEqual(plan.deleteNow, [{ msg: 1, uidl: 'U1' }]);
    assert.deepEqual(plan.download.map((d) => [d.uidl, d.deleteWhenStored]), [['U4', false]]);
    assert.equal(isDueForDeletion({ leaveOnServer: true, deleteFromServerAfterDays: 3 }, ago(3), NOW), true);
    assert.equal(isDueForDeletion({ leaveOnServer: true, deleteFromServerAfterDays: 3 }, 'not a date', NOW), false);
    assert.equal(isDueForDeletion({ leaveOnServer: true }, ago(10_000), NOW), false);
  });

  it('deletes a locally removed message from the server by the same age rule', () => {
    const plan = planCheck(input(server(2), { leaveOnServer: true, deleteFromServerAfterDays: 7 }, {}, { U1: ago(8), U2: ago(1) }));
    assert.deepEqual(plan.deleteNow, [{ msg: 1, uidl: 'U1' }]);
    assert.deepEqual(plan.download, []);
  });

  it('0 days deletes a new message right after it is stored', () => {
    const plan = planCheck(input(server(1), { leaveOnServer: true, deleteFromServerAfterDays: 0 }));
    assert.equal(plan.download[0].deleteWhenStored, true);
  });

  it('headers-only above the limit, and such a message stays on the server even with delete-after-download', () => {
    const messages = [
      { msg: 1, size: 100, uidl: 'small' },
      { msg: 2, size: 5000, uidl: 'big' },
      { msg: 3, size: 1000, uidl: 'edge' },
    ];
    const plan = planCheck(input(messages, { leaveOnServer: false, headersOnlyAboveBytes: 1000 }));
    assert.deepEqual(plan.download.map((d) => [d.uidl, d.headersOnly, d.deleteWhenStored]), [
      ['small', false, true],
      ['big', true, false],
      ['edge', false, true],
    ]);
  });

  it('without UIDL refuses leave-on-server and headers-only in words, and plans download-and-delete otherwise', () => {
    const noUidl = [{ msg: 1, size: 10 }, { msg: 2, size: 20 }];
    assert.throws(() => planCheck(input(noUidl, { leaveOnServer: true }, {}, {}, false)), (e: unknown) => {
      assert.ok(MailError.is(e, 'Unsupported'));
      assert.match(e.message, /does not support UIDL.*Turn off "leave messages on the server"/);
      return true;
    });
    assert.throws(() => planCheck(input(noUidl, { leaveOnServer: false, headersOnlyAboveBytes: 5 }, {}, {}, false)), (e: unknown) => MailError.is(e, 'Unsupported') && /headers only/.test(e.message));
    const plan = planCheck(input(noUidl, { leaveOnServer: false }, {}, {}, false));
    assert.deepEqual(plan.download.map((d) => [d.msg, d.uidl, d.deleteWhenStored]), [[1, undefined, true], [2, undefined, true]]);
  });

  it('stops on a server that gives two messages the same UIDL or leaves one out', () => {
    const dup = [{ msg: 1, size: 1, uidl: 'X' }, { msg: 2, size: 1, uidl: 'X' }];
    assert.throws(() => planCheck(input(dup, { leaveOnServer: false })), (e: unknown) => MailError.is(e, 'ProtocolError'));
    const missing = [{ msg: 1, size: 1, uidl: 'X' }, { msg: 2, size: 1 }];
    assert.throws(() => planCheck(input(missing, { leaveOnServer: true })), (e: unknown) => MailError.is(e, 'ProtocolError'));
  });

  it('rejects nonsensical settings with InvalidAccount', () => {
    for (const policy of [{ leaveOnServer: true, deleteFromServerAfterDays: -1 }, { leaveOnServer: true, headersOnlyAboveBytes: Number.NaN }]) {
      assert.throws(() => planCheck(input(server(1), policy)), (e: unknown) => MailError.is(e, 'InvalidAccount'));
    }
  });
});
