/**
 * What the compose commands (sendCommands, outboxCommands, draftCommands, startCommands) need from
 * ComposeFeature, the one object that owns the compose store, the editors and the outbox. Types and
 * the labels they share; no state.
 */
import * as vscode from 'vscode';
import type { AccountConfig } from '../../protocol/account';
import type { ComposeMeta, ComposeStore } from '../../store/composeStore';
import type { Outbox, OutboxEntry } from '../../store/outbox';
import { displayText } from '../../shared/displayText';
import type { ComposeDeps, DeliveryReport } from './composeCommands';
import type { ComposeEditors } from './composeEditors';
import type { SendingDeps } from './sending';

export type Cursor = 'body' | 'to' | { line: number; character: number };

export interface ComposeSession {
  document: vscode.TextDocument;
  meta: ComposeMeta;
  account: AccountConfig;
  store: ComposeStore;
}

export interface ComposeHost {
  readonly deps: ComposeDeps;
  readonly outbox: Outbox;
  /** Sessions between Send and the outbox. */
  readonly preparing: Set<string>;
  store(): Promise<ComposeStore>;
  editors(): Promise<ComposeEditors>;
  /** Opens the session's tab with the cursor there (fires onDidOpen). */
  show(meta: ComposeMeta, cursor: Cursor): Promise<void>;
  /** The compose session of `uri` (default the active editor's); undefined after telling the user there is none. */
  activeSession(uri?: vscode.Uri): Promise<ComposeSession | undefined>;
  sendingDeps(store: ComposeStore): SendingDeps;
  /** Delivers an outbox entry with the progress notification, then announces the outcome. */
  deliverWithProgress(entry: OutboxEntry, account: AccountConfig): Promise<DeliveryReport>;
  /** A delivery attempt ended (onDidDeliver). */
  delivered(report: DeliveryReport): void;
  /** The account's recent recipients changed (a message went to the outbox). */
  invalidateCompletion(accountId: string): void;
}

// Button labels: compared with the choice, so each is one call.
export const REOPEN = (): string => vscode.l10n.t('Reopen');
export const SHOW_OUTBOX = (): string => vscode.l10n.t('Show Outbox');
export const RETRY = (): string => vscode.l10n.t('Retry');
export const EDIT = (): string => vscode.l10n.t('Edit');
export const SAVE_DRAFT = (): string => vscode.l10n.t('Save Draft');
export const DISCARD = (): string => vscode.l10n.t('Discard');

/** A subject in a notification: it may quote a hostile message (`Re: …`), so its controls are shown, not obeyed. */
export function shownSubject(subject: string): string {
  return displayText(subject) || vscode.l10n.t('(no subject)');
}
