import * as assert from 'node:assert/strict';
import type { AccountConfig } from '../../src/protocol/account';
import { microsoftSessionScopes } from '../../src/providers/auth/microsoftScopes';

describe("the scopes asked of VS Code's Microsoft sign-in", () => {
  const account: AccountConfig = {
    id: 'work', protocol: 'imap', host: 'outlook.office365.com', port: 993, security: 'tls', user: 'me@contoso.com',
    auth: 'oauth2', oauth2: { provider: 'microsoft', clientId: '11111111-2222-3333-4444-555555555555', tenant: 'contoso.com' },
  };

  it('names the mail scopes, the account\'s own app registration and its tenant', () => {
    assert.deepEqual(microsoftSessionScopes(account), [
      'https://outlook.office.com/IMAP.AccessAsUser.All',
      'offline_access',
      'VSCODE_CLIENT_ID:11111111-2222-3333-4444-555555555555',
      'VSCODE_TENANT:contoso.com',
    ]);
  });

  it('adds SMTP.Send for an account that sends, POP for POP3, and the tenant common by default', () => {
    const pop: AccountConfig = { ...account, protocol: 'pop3', port: 995, smtp: { host: 'smtp.office365.com', port: 587, security: 'starttls' }, oauth2: { provider: 'microsoft', clientId: 'abc' } };
    assert.deepEqual(microsoftSessionScopes(pop), [
      'https://outlook.office.com/POP.AccessAsUser.All',
      'https://outlook.office.com/SMTP.Send',
      'offline_access',
      'VSCODE_CLIENT_ID:abc',
      'VSCODE_TENANT:common',
    ]);
  });
});
