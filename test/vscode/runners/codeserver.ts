// Starts code-server (with Node 24) bound to 127.0.0.1 and waits until it answers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort, log, logChildTo, spawnManaged, waitForHttp } from './proc';
import { CodeServerTools } from './tools';

export interface CodeServerOptions {
  tools: CodeServerTools;
  /** Temp dir holding user-data and extensions dirs. */
  stateDir: string;
  /** Where code-server's own stdout/stderr goes. */
  logFile: string;
  /** Extra environment for code-server (the extension host inherits it). */
  env: Record<string, string>;
  /** Port to bind; 0 or undefined picks a free one. */
  port?: number;
  /** User settings written to <user-data-dir>/User/settings.json before start. */
  settings?: Record<string, unknown>;
  /** VS Code's display language (code-server's --locale), e.g. 'de'; default English. */
  locale?: string;
}

export interface RunningCodeServer {
  port: number;
  baseUrl: string;
  userDataDir: string;
  /** Resolves with code-server's exit code if it stops by itself. */
  exited: Promise<number | null>;
}

const START_TIMEOUT_MS = 90_000;

export async function startCodeServer(options: CodeServerOptions): Promise<RunningCodeServer> {
  const port = options.port && options.port > 0 ? options.port : await freePort();
  const userDataDir = path.join(options.stateDir, 'user-data');
  const extensionsDir = path.join(options.stateDir, 'extensions');
  writeUserSettings(userDataDir, options.settings ?? {});
  fs.mkdirSync(extensionsDir, { recursive: true });
  if (options.locale && options.locale !== 'en') installLanguagePack(userDataDir, extensionsDir, options.locale);
  // An explicit (empty) config keeps code-server from writing ~/.config/code-server/config.yaml.
  const configFile = path.join(options.stateDir, 'config.yaml');
  fs.writeFileSync(configFile, '');
  const args = [
    options.tools.entry,
    '--config', configFile,
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-workspace-trust',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    '--vscode-option', 'enable-smoke-test-driver',
    ...(options.locale ? ['--locale', options.locale] : []),
  ];
  log(`starting code-server on 127.0.0.1:${port} (log: ${options.logFile})`);
  const child = spawnManaged('code-server', options.tools.node, args, {
    env: codeServerEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  logChildTo(child, options.logFile);
  const baseUrl = `http://127.0.0.1:${port}`;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const failedStart = exited.then((code) => {
    throw new Error(`code-server exited with code ${code} during start-up (see ${options.logFile})`);
  });
  void failedStart.catch(() => undefined); // Only matters during start-up; the race below reports it.
  await Promise.race([waitForHttp(`${baseUrl}/healthz`, START_TIMEOUT_MS, 'code-server'), failedStart]);
  return { port, baseUrl, userDataDir, exited };
}

/**
 * VS Code takes `--locale de` as its display language only when a language pack for it is
 * installed; otherwise vscode.env.language stays 'en' and no extension's German bundle loads
 * (measured: the German suite was skipped). The tools cache has no language pack and the runner
 * is offline, so this writes an empty one: an extension contributing the `de` localization with
 * no translations (VS Code's own UI stays English, extensions get language 'de' and load
 * bundle.l10n.de.json / package.nls.de.json), and the `languagepacks.json` entry VS Code's server
 * reads at start-up (the same shape its language pack cache writes).
 */
function installLanguagePack(userDataDir: string, extensionsDir: string, locale: string): void {
  const id = `mailroom-test.language-pack-${locale}`;
  const dir = path.join(extensionsDir, `${id}-1.0.0`);
  fs.mkdirSync(dir, { recursive: true });
  const translations = path.join(dir, 'main.i18n.json');
  fs.writeFileSync(translations, JSON.stringify({ contents: {} }));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({
    name: `language-pack-${locale}`,
    publisher: 'mailroom-test',
    version: '1.0.0',
    engines: { vscode: '*' },
    contributes: { localizations: [{ languageId: locale, languageName: locale, localizedLanguageName: locale, translations: [{ id: 'vscode', path: './main.i18n.json' }] }] },
  }));
  const packs = {
    [locale]: { hash: `mailroom-test-${locale}-1`, extensions: [{ extensionIdentifier: { id }, version: '1.0.0' }], translations: { vscode: translations }, label: locale },
  };
  fs.writeFileSync(path.join(userDataDir, 'languagepacks.json'), JSON.stringify(packs));
}

/** code-server must not inherit variables that make it think it runs inside another VS Code. */
function codeServerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const key of Object.keys(env)) {
    if (key.startsWith('VSCODE_') || key === 'ELECTRON_RUN_AS_NODE' || key === 'PASSWORD' || key === 'HASHED_PASSWORD') {
      delete env[key];
    }
  }
  return env;
}

const DEFAULT_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'security.workspace.trust.enabled': false,
  'chat.disableAIFeatures': true,
  'window.commandCenter': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

export function writeUserSettings(userDataDir: string, settings: Record<string, unknown>): void {
  const dir = path.join(userDataDir, 'User');
  fs.mkdirSync(dir, { recursive: true });
  const merged = { ...DEFAULT_SETTINGS, ...settings };
  fs.writeFileSync(path.join(dir, 'settings.json'), `${JSON.stringify(merged, null, 2)}\n`);
}

/** http://127.0.0.1:PORT/?folder=...&payload=... that loads the extension (and optionally tests). */
export function workbenchUrl(server: RunningCodeServer, folder: string, extensionDir: string, testsIndex?: string): string {
  const remote = (p: string) => `vscode-remote://127.0.0.1:${server.port}${path.resolve(p)}`;
  const payload: Array<[string, string]> = [['extensionDevelopmentPath', remote(extensionDir)]];
  if (testsIndex) {
    payload.push(['extensionTestsPath', remote(testsIndex)]);
  }
  const query = `folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return `${server.baseUrl}/?${query}`;
}
