// The demo's stand-in for a person typing the passwords: a small extension that only `npm run demo`
// installs next to Mailroom (runners/demoSeeder.ts writes its folder). On each start of
// the window it hands every demo account's password to Mailroom through `mailroom.addAccount`,
// the public command the in-host tests use, unless Mailroom already has it. Mailroom itself reads
// nothing from the environment.
//
// It is copied on its own next to a generated package.json, so it imports nothing but `vscode`.
import * as vscode from 'vscode';

/** The part of Mailroom's API (src/providers/api.ts) the seeder uses. */
interface MailroomPasswords {
  hasPassword(accountId: string): Promise<boolean>;
}

/** JSON {accountId: password} in the environment code-server (and so this extension host) got. */
const SECRETS_VARIABLE = 'MAILROOM_DEMO_SECRETS';

export async function activate(): Promise<void> {
  const secrets = readSecrets(process.env[SECRETS_VARIABLE]);
  const mailroom = vscode.extensions.getExtension<MailroomPasswords>('mailroom.mailroom');
  if (!secrets.size || !mailroom) return;
  const api = await mailroom.activate();
  const accounts = vscode.workspace.getConfiguration('mailroom').get<unknown[]>('accounts') ?? [];
  for (const [id, password] of secrets) {
    const entry = accounts.find((a): a is Record<string, unknown> => typeof a === 'object' && a !== null && (a as { id?: unknown }).id === id);
    if (!entry || (await api.hasPassword(id))) continue;
    const result = await vscode.commands.executeCommand<{ saved: boolean; error?: { message: string } }>('mailroom.addAccount', { ...entry, password, saveOnFailure: true });
    if (!result?.saved) void vscode.window.showErrorMessage(`Demo: the password of "${id}" was not stored: ${result?.error?.message ?? 'no answer from mailroom.addAccount'}`);
  }
}

function readSecrets(json: string | undefined): Map<string, string> {
  try {
    const value: unknown = JSON.parse(json ?? '{}');
    if (typeof value !== 'object' || value === null) return new Map();
    return new Map(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return new Map();
  }
}

export function deactivate(): void {
  // Nothing to release.
}
