import * as assert from 'node:assert/strict';
import type { ImapFlow } from 'imapflow';
import { adoptNamespaces, childPath, Namespaces, namespaceOf, namespacesOf, relativePath, rootPath } from '../../src/protocol/imap/namespaces';

const COURIER: Namespaces = [
  { kind: 'personal', prefix: 'INBOX.', delimiter: '.' },
  { kind: 'other', prefix: 'Users.', delimiter: '.' },
  { kind: 'shared', prefix: 'Public.', delimiter: '.' },
];

describe('IMAP namespaces (RFC 2342)', () => {
  it('puts a path in the namespace with the longest prefix; INBOX is always personal', () => {
    assert.equal(namespaceOf('INBOX.Sent', COURIER)?.kind, 'personal');
    assert.equal(namespaceOf('inbox', COURIER)?.kind, 'personal');
    assert.equal(namespaceOf('Users.bob.INBOX', COURIER)?.kind, 'other');
    assert.equal(namespaceOf('Public', COURIER)?.kind, 'shared', 'the namespace root written without its delimiter');
    assert.equal(namespaceOf('Elsewhere', COURIER), undefined);
    const usual: Namespaces = [{ kind: 'personal', prefix: '', delimiter: '/' }, { kind: 'shared', prefix: 'Public/', delimiter: '/' }];
    assert.equal(namespaceOf('Public/News', usual)?.kind, 'shared');
    assert.equal(namespaceOf('Projects/Mailroom', usual)?.kind, 'personal');
  });

  it('gives relative paths and builds new top-level paths under the personal prefix', () => {
    assert.equal(relativePath('INBOX.Projects.Mailroom', COURIER), 'Projects.Mailroom');
    assert.equal(relativePath('INBOX', COURIER), 'INBOX');
    assert.equal(rootPath(COURIER[2]), 'Public');
    assert.equal(childPath(undefined, 'Receipts', '.', COURIER), 'INBOX.Receipts');
    assert.equal(childPath('Public', 'Receipts', '.', COURIER), 'Public.Receipts');
    assert.equal(childPath(undefined, 'Receipts', '/', [{ kind: 'personal', prefix: '', delimiter: '/' }]), 'Receipts');
  });

  it('takes the namespaces imapflow read at login and makes it send paths unchanged from then on', () => {
    const client = {
      namespace: { prefix: 'INBOX.', delimiter: '.' },
      namespaces: { personal: [{ prefix: 'INBOX.', delimiter: '.' }], other: [{ prefix: 'Users.', delimiter: '.' }], shared: [{ prefix: 'Public.', delimiter: '.' }] },
    } as unknown as ImapFlow;
    assert.deepEqual(adoptNamespaces(client), COURIER);
    assert.deepEqual(client.namespace, { prefix: '', delimiter: '.' }, 'imapflow no longer prepends INBOX. to Public.News');
    assert.deepEqual(namespacesOf(client), COURIER, 'the same after imapflow forgot the prefix');
  });

  it('falls back to one personal namespace without a prefix when the server reports none', () => {
    const client = { namespace: { prefix: '', delimiter: '/' }, namespaces: undefined } as unknown as ImapFlow;
    assert.deepEqual(namespacesOf(client), [{ kind: 'personal', prefix: '', delimiter: '/' }]);
  });
});
