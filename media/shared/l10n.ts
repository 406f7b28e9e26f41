// Localized text in a webview. The host puts VS Code's bundle for the display language
// (vscode.l10n.bundle, from l10n/bundle.l10n.<lang>.json) on <body data-l10n> (webviewHtml.ts);
// importing this module hands it to @vscode/l10n, so `l10n.t('…')` in a webview looks strings up
// as vscode.l10n.t does in the host (and formats {0}, {1}…). Without a bundle (English) it formats
// the English text. `npm run l10n:export` collects these calls with the host's into
// l10n/bundle.l10n.json (it finds `l10n.t(` calls, so call it by that name).
import * as l10n from '@vscode/l10n';

const raw = document.body.dataset.l10n;
if (raw) {
  try {
    l10n.config({ contents: JSON.parse(raw) as Record<string, string> });
  } catch {
    // A broken bundle leaves the English text.
  }
}

/** The display language's locale for dates and numbers (the page's lang, set from vscode.env.language). */
export const locale = document.documentElement.lang || undefined;
