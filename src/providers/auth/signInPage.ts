import * as vscode from 'vscode';
import { linkForOpenExternal } from './authorizationLink';

/** Opens a sign-in page in the user's browser as the server's own page (see authorizationLink.ts). */
export function openSignInPage(url: string): Thenable<boolean> {
  return vscode.env.openExternal(vscode.Uri.parse(linkForOpenExternal(url, vscode.env.uiKind === vscode.UIKind.Web)));
}
