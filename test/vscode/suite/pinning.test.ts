// Trusting a certificate inside VS Code: a server with a private CA's certificate (a real Dovecot
// started by this suite) is refused until its certificate is trusted, and then signs in; the
// trust command never offers a certificate that is already trusted (before, a pinned private-CA
// certificate failed again and was offered again, so the user could loop).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AddAccountRequest, AddAccountResult } from '../../../src/providers/commands/accountCommands';
import { createTestCa, loopbackCertificate } from '../../fixtures/certificates';
import { DovecotFixture, dovecotAvailable, startDovecot } from '../../fixtures/dovecot';
import { activateMailroom, log } from './harness';

describe('trusting a private CA certificate (in VS Code)', function () {
  this.timeout(60_000);
  let dir: string;
  let d: DovecotFixture | undefined;
  const added: string[] = [];

  before(async function () {
    if (!dovecotAvailable()) {
      log('no Dovecot here: skipping the private-CA trust tests');
      this.skip();
    }
    await activateMailroom();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-inhost-ca-'));
    d = await startDovecot({ makeCertificate: loopbackCertificate(createTestCa(path.join(dir, 'ca'))) });
  });
  after(async () => {
    for (const id of added) await vscode.commands.executeCommand('mailroom.removeAccount', id);
    await d?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const request = (overrides: Partial<AddAccountRequest>): AddAccountRequest => ({
    protocol: 'imap',
    host: '127.0.0.1',
    port: d!.ports.imap,
    security: 'starttls',
    user: d!.users.alice.user,
    password: d!.users.alice.password,
    ...overrides,
  });
  const addAccount = async (r: AddAccountRequest): Promise<AddAccountResult> => {
    const result = await vscode.commands.executeCommand<AddAccountResult>('mailroom.addAccount', r);
    if (result.accountId) added.push(result.accountId);
    return result;
  };

  it('is refused until trusted, offering the leaf; trusted, it signs in', async () => {
    const refused = await addAccount(request({ id: 'private-ca-untrusted' }));
    assert.equal(refused.saved, false);
    assert.equal(refused.error?.code, 'CertificateUntrusted');
    assert.equal(refused.error?.certificateSha256, d!.certSha256);

    const trusted = await addAccount(request({ id: 'private-ca-trusted', trustedCertificateSha256: d!.certSha256 }));
    assert.equal(trusted.error, undefined, JSON.stringify(trusted.error));
    assert.equal(trusted.saved, true);
  });

  it('the trust command does not offer the certificate already trusted', async () => {
    const trusted = await addAccount(request({ id: 'private-ca-pinned', trustedCertificateSha256: d!.certSha256, saveOnFailure: true }));
    assert.equal(trusted.saved, true);
    // Before the fix this opened the modal trust prompt again (and waited for a click).
    const outcome = await Promise.race([
      vscode.commands.executeCommand<boolean>('mailroom.trustCertificate', 'private-ca-pinned'),
      new Promise<string>((resolve) => setTimeout(() => resolve('prompted again'), 8000)),
    ]);
    assert.equal(outcome, false);
  });
});
