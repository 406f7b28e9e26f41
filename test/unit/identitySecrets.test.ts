import * as assert from 'node:assert/strict';
import { IDENTITY_SECRET_INDEX, identitySecretKey, IdentitySecrets, identitySnapshot, identitySweepPlan, MementoLike } from '../../src/providers/identitySecrets';
import { MemorySecrets } from '../fixtures/memorySecrets';

class MemoryMemento implements MementoLike {
  readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  update(key: string, value: unknown): Promise<void> {
    this.values.set(key, value);
    return Promise.resolve();
  }
}

const SMTP = { host: 'smtp.work.test', port: 587, security: 'starttls' };
const account = (id: string, identities: unknown[]): Record<string, unknown> => ({ id, protocol: 'imap', host: 'imap.example.test', port: 993, security: 'tls', user: 'me', identities });
const work = { address: 'Me@Work.test', smtp: SMTP };
const club = { address: 'me@club.test', smtp: { ...SMTP, host: 'smtp.club.test' } };

describe('identity SMTP passwords: deleted when the identity leaves the settings', () => {
  it('the snapshot lists identities with their own server (addresses lower-cased) and unreadable entries by id', () => {
    const snapshot = identitySnapshot([account('a', [work, { address: 'plain@x.test' }]), { id: 'broken', protocol: 'imap', port: 'not a number' }, 'junk']);
    assert.deepEqual(snapshot.live, [{ accountId: 'a', address: 'me@work.test' }]);
    assert.deepEqual([...snapshot.unreadable], ['broken']);
  });

  it('plans to delete identities that are gone, and keeps those of an entry that cannot be read', () => {
    const remembered = [
      { accountId: 'a', address: 'me@work.test' },
      { accountId: 'a', address: 'me@club.test' },
      { accountId: 'gone', address: 'x@y.test' },
      { accountId: 'typo', address: 'keep@me.test' },
    ];
    const now = identitySnapshot([account('a', [work]), { id: 'typo', protocol: 'imap' }]);
    const plan = identitySweepPlan(remembered, now);
    assert.deepEqual(plan.gone, [
      { accountId: 'a', address: 'me@club.test' },
      { accountId: 'gone', address: 'x@y.test' },
    ]);
    assert.deepEqual(plan.remember, [
      { accountId: 'a', address: 'me@work.test' },
      { accountId: 'typo', address: 'keep@me.test' },
    ]);
  });

  it('at start-up, deletes the password of an identity removed from settings.json while VS Code was closed', async () => {
    const secrets = new MemorySecrets();
    const memento = new MemoryMemento();
    const deleted: string[] = [];
    const store = new IdentitySecrets(secrets, memento, (ref) => deleted.push(ref.address));
    // Last session: two identities with their own server, both with a password.
    await store.sweep([account('a', [work, club])]);
    for (const identity of [work, club]) {
      await store.remember({ accountId: 'a', address: identity.address });
      await secrets.store(identitySecretKey('a', identity.address), `pw-${identity.address}`);
    }
    secrets.values.set('mailroom.password.a', 'the account password');
    // The user took the club identity out while VS Code was closed; a new session starts.
    const restarted = new IdentitySecrets(secrets, memento, (ref) => deleted.push(ref.address));
    const gone = await restarted.sweep([account('a', [work])]);
    assert.deepEqual(gone, [{ accountId: 'a', address: 'me@club.test' }]);
    assert.deepEqual(deleted, ['me@club.test']);
    assert.deepEqual([...secrets.values.keys()].sort(), ['mailroom.identityPassword.a.me@work.test', 'mailroom.password.a']);
    assert.deepEqual(memento.get(IDENTITY_SECRET_INDEX), [{ accountId: 'a', address: 'me@work.test' }]);
  });

  it('removing the account deletes every identity password of it; a settings typo in another account deletes nothing of it', async () => {
    const secrets = new MemorySecrets();
    const memento = new MemoryMemento();
    const store = new IdentitySecrets(secrets, memento);
    await store.sweep([account('a', [work]), account('b', [club])]);
    await secrets.store(identitySecretKey('a', work.address), 'pw-a');
    await secrets.store(identitySecretKey('b', club.address), 'pw-b');
    // Account b's entry gets an invalid port: its identities are unknown, so its password stays.
    await store.sweep([account('a', [work]), { ...account('b', [club]), port: 'x' }]);
    assert.equal(await secrets.get(identitySecretKey('b', club.address)), 'pw-b');
    // Fixed again, then account a removed.
    await store.sweep([account('b', [club])]);
    assert.equal(await secrets.get(identitySecretKey('a', work.address)), undefined);
    assert.equal(await secrets.get(identitySecretKey('b', club.address)), 'pw-b');
  });

  it('an identity that loses its own server loses its password; one stored before any sweep is remembered', async () => {
    const secrets = new MemorySecrets();
    const memento = new MemoryMemento();
    const store = new IdentitySecrets(secrets, memento);
    await store.remember({ accountId: 'a', address: work.address });
    await secrets.store(identitySecretKey('a', work.address), 'pw');
    await store.sweep([account('a', [{ address: work.address }])]);
    assert.equal(secrets.values.size, 0);
  });

  it('sweeps nothing when the settings do not set the accounts at all (settings.json unreadable)', async () => {
    const secrets = new MemorySecrets();
    const memento = new MemoryMemento();
    const store = new IdentitySecrets(secrets, memento);
    await store.sweep([account('a', [work])]);
    await secrets.store(identitySecretKey('a', work.address), 'pw');
    assert.deepEqual(await store.sweep(undefined), []);
    assert.equal(await secrets.get(identitySecretKey('a', work.address)), 'pw');
    assert.deepEqual(memento.get(IDENTITY_SECRET_INDEX), [{ accountId: 'a', address: 'me@work.test' }], 'still remembered for the next sweep');
  });

  it('ignores a corrupt index instead of failing', async () => {
    const memento = new MemoryMemento();
    memento.values.set(IDENTITY_SECRET_INDEX, [{ accountId: 1 }, 'x', null]);
    const gone = await new IdentitySecrets(new MemorySecrets(), memento).sweep([]);
    assert.deepEqual(gone, []);
    assert.deepEqual(memento.get(IDENTITY_SECRET_INDEX), []);
  });
});
