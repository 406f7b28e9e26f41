import * as assert from 'node:assert/strict';
import { emptyPop3InboxMessage } from '../../src/providers/tree/pop3Placeholder';

describe('The row an empty POP3 Inbox shows (pop3Placeholder)', () => {
  const at = new Date(2026, 2, 4, 15, 4, 59);

  it('says the server had no mail, with the time of the check', () => {
    assert.equal(emptyPop3InboxMessage({ checking: false, last: { at, report: { onServer: 0 } } }), 'No mail on the server · checked 15:04');
  });

  it('pads the time to HH:MM on a 24-hour clock', () => {
    assert.equal(emptyPop3InboxMessage({ checking: false, last: { at: new Date(2026, 0, 1, 7, 5), report: { onServer: 0 } } }), 'No mail on the server · checked 07:05');
  });

  it('does not claim an empty server when its messages were only removed here', () => {
    assert.equal(emptyPop3InboxMessage({ checking: false, last: { at, report: { onServer: 3 } } }), 'No messages here (3 on the server were removed from this list) · checked 15:04');
  });

  it('says a check is running instead of asking for one', () => {
    assert.equal(emptyPop3InboxMessage({ checking: true }), 'Checking the server for mail…');
    assert.equal(emptyPop3InboxMessage({ checking: true, last: { at, report: { onServer: 0 } } }), 'Checking the server for mail…');
  });

  it('points to Check Mail only before any check ran', () => {
    assert.equal(emptyPop3InboxMessage({ checking: false }), 'No messages downloaded yet: Mailroom: Check Mail');
  });

  it('leaves the row to the error when the last check failed', () => {
    assert.equal(emptyPop3InboxMessage({ checking: false, last: { at, error: new Error('refused') } }), undefined);
  });
});
