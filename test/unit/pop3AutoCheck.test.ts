import * as assert from 'node:assert/strict';
import type { AccountConfig } from '../../src/protocol/account';
import { watchPop3Accounts } from '../../src/providers/pop3AutoCheck';
import { Emitter } from '../../src/util/event';

const pop3 = (id: string, extra: Partial<AccountConfig> = {}): AccountConfig => ({ id, protocol: 'pop3', host: 'pop.example.test', port: 995, security: 'tls', user: id, ...extra });
const imap = (id: string): AccountConfig => ({ id, protocol: 'imap', host: 'imap.example.test', port: 993, security: 'tls', user: id });

/** Settings, the Mail view and the registry as the watcher sees them; records every check. */
function world(initial: AccountConfig[], options: { visible?: boolean; enabled?: boolean } = {}) {
  let accounts = initial;
  const changed = new Emitter<void>();
  const saved = new Emitter<AccountConfig>();
  const visibility = new Emitter<{ visible: boolean }>();
  const checked: string[] = [];
  const view = { visible: options.visible ?? false, onDidChangeVisibility: visibility.event };
  let enabled = options.enabled ?? true;
  const watcher = watchPop3Accounts({
    accounts: { list: () => accounts, onDidChange: changed.event, onDidSave: saved.event },
    view,
    enabled: () => enabled,
    check: (account) => {
      checked.push(account.id);
      return Promise.resolve();
    },
  });
  return {
    checked,
    watcher,
    setAccounts(next: AccountConfig[]) {
      accounts = next;
      changed.fire();
    },
    /** As AccountRepository.save(): the settings change (if any), then the save event. */
    save(account: AccountConfig) {
      const next = [...accounts.filter((a) => a.id !== account.id), account];
      const same = JSON.stringify(next) === JSON.stringify(accounts);
      accounts = next;
      if (!same) changed.fire();
      saved.fire(account);
    },
    show(visible = true) {
      view.visible = visible;
      visibility.fire({ visible });
    },
    setEnabled(value: boolean) {
      enabled = value;
    },
  };
}

describe('POP3 checks without Check Mail (pop3AutoCheck)', () => {
  it('checks every POP3 account once at start-up when the Mail view is already visible', () => {
    const w = world([pop3('a'), imap('i'), pop3('b')], { visible: true });
    assert.deepEqual(w.checked, ['a', 'b']);
  });

  it('waits for the Mail view to become visible before the start-up check, and does it once', () => {
    const w = world([pop3('a')]);
    assert.deepEqual(w.checked, [], 'activation alone opens no connection');
    w.show(false);
    assert.deepEqual(w.checked, []);
    w.show();
    w.show(false);
    w.show();
    assert.deepEqual(w.checked, ['a']);
  });

  it('checks an account right after it is added, even before the view was shown', () => {
    const w = world([pop3('a')]);
    w.setAccounts([pop3('a'), pop3('new')]);
    assert.deepEqual(w.checked, ['new']);
    w.setAccounts([pop3('a'), pop3('new'), imap('i')]);
    assert.deepEqual(w.checked, ['new'], 'an unchanged account or an IMAP account is not checked again');
    w.show();
    assert.deepEqual(w.checked, ['new', 'a'], 'the start-up check skips what was just checked');
  });

  it('checks again when an account\'s settings change (a trusted certificate, another port)', () => {
    const w = world([pop3('a')], { visible: true });
    w.setAccounts([pop3('a', { trustedCertificateSha256: 'ab'.repeat(32) })]);
    w.setAccounts([pop3('a', { trustedCertificateSha256: 'ab'.repeat(32) })]);
    assert.deepEqual(w.checked, ['a', 'a']);
  });

  it('checks an account Mailroom saves even when its settings stay the same (its password was just stored)', () => {
    const w = world([pop3('a'), pop3('b')], { visible: true });
    assert.deepEqual(w.checked, ['a', 'b'], 'start-up (a failed check for want of a password, say)');
    w.save(pop3('a'));
    assert.deepEqual(w.checked, ['a', 'b', 'a']);
    w.save({ ...imap('i') });
    assert.deepEqual(w.checked, ['a', 'b', 'a'], 'IMAP accounts are not POP3-checked');
  });

  it('does nothing while automatic checks are off (pop3CheckIntervalMinutes 0)', () => {
    const w = world([pop3('a')], { visible: true, enabled: false });
    w.setAccounts([pop3('a'), pop3('b')]);
    w.save(pop3('c'));
    w.show();
    assert.deepEqual(w.checked, []);
  });

  it('stops listening when disposed', () => {
    const w = world([pop3('a')]);
    w.watcher.dispose();
    w.setAccounts([pop3('a'), pop3('b')]);
    w.show();
    assert.deepEqual(w.checked, []);
  });
});
