import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { MailError } from '../../protocol/errors';
import type { AttachmentInfo } from '../../protocol/mime/types';
import type { MessageSourceProvider } from '../messagePanel';
import type { MessageNode } from '../tree/nodes';
import { openKind } from './attachmentPolicy';
import { loadEngine } from '../../loadEngine';
import { lazyNode } from '../../util/lazyNode';

/** A patch attachment is read into memory to open or apply it: bigger than this is not a patch to review here. */
export const MAX_PATCH_BYTES = 20 * 1024 * 1024;

/**
 * Save As and Open for attachments. The message is read again from its source (body cache first)
 * and only the one attachment is streamed out: to `<target>.part`, renamed when complete, so a
 * failure never leaves a half file under the real name.
 */
export class AttachmentActions implements vscode.Disposable {
  private tempRoot: string | undefined;

  constructor(private readonly sources: MessageSourceProvider) {}

  /** The attachment's metadata (filename as the message names it, type, size). */
  async describe(node: MessageNode, index: number): Promise<AttachmentInfo> {
    const parsed = await loadEngine().parseMessageStream(await this.sources.load(node));
    const info = parsed.attachments.find((a) => a.index === index);
    if (!info) throw new MailError('MessageNotFound', vscode.l10n.t('The message has no attachment number {0}.', index + 1), { localized: true });
    return info;
  }

  /**
   * Saves attachment `index`. `target`: a file to write, or a folder to write the safe name into;
   * without one, the Save dialog proposes the safe name. Resolves with the file written (undefined: cancelled).
   */
  async save(node: MessageNode, index: number, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const info = await this.describe(node, index);
    const name = loadEngine().safeFilename(info.filename, `attachment-${index + 1}`);
    let file = target;
    if (file && (await isDirectory(file))) file = vscode.Uri.joinPath(file, name);
    file ??= await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(defaultFolder(), name), saveLabel: vscode.l10n.t('Save Attachment'), title: vscode.l10n.t('Save “{0}”', name) });
    if (!file) return undefined;
    if (file.scheme !== 'file') {
      // Another file system (remote workspace): write through VS Code, still never a partial file under the name.
      const bytes = await this.bytes(node, index, Number.MAX_SAFE_INTEGER);
      await vscode.workspace.fs.writeFile(file, bytes);
      return file;
    }
    await writeAtomically(file.fsPath, (sink) => this.stream(node, index, sink));
    return file;
  }

  /** Opens a text-like attachment in an editor, an image/PDF in VS Code's viewer; others are offered for saving. */
  async open(node: MessageNode, index: number): Promise<vscode.Uri | undefined> {
    const info = await this.describe(node, index);
    const kind = openKind(info.contentType, info.filename);
    const name = loadEngine().safeFilename(info.filename, `attachment-${index + 1}`);
    if (kind === 'none') {
      const saveAs = vscode.l10n.t('Save As…');
      const choice = await vscode.window.showInformationMessage(vscode.l10n.t('“{0}” ({1}) cannot be opened inside VS Code.', name, info.contentType), saveAs);
      return choice ? this.save(node, index) : undefined;
    }
    const folder = await fs.promises.mkdtemp(path.join(await this.privateRoot(), 'open-'));
    const file = path.join(folder, name);
    await writeAtomically(file, (sink) => this.stream(node, index, sink));
    const uri = vscode.Uri.file(file);
    if (kind === 'text') await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: true });
    else await vscode.commands.executeCommand('vscode.open', uri);
    return uri;
  }

  /** The attachment's decoded bytes, refused above `limit`. */
  async bytes(node: MessageNode, index: number, limit = MAX_PATCH_BYTES): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    const sink = new (lazyNode.stream().Writable)({
      write(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > limit) return callback(new MailError('LimitExceeded', vscode.l10n.t('The attachment is larger than {0} MB.', Math.round(limit / 1024 / 1024)), { localized: true }));
        chunks.push(chunk);
        callback();
      },
    });
    await this.stream(node, index, sink);
    return Buffer.concat(chunks, size);
  }

  dispose(): void {
    if (this.tempRoot) fs.rmSync(this.tempRoot, { recursive: true, force: true });
    this.tempRoot = undefined;
  }

  private async stream(node: MessageNode, index: number, sink: NodeJS.WritableStream): Promise<void> {
    const source = await this.sources.load(node);
    await loadEngine().streamAttachment(source, index, sink);
  }

  /** A folder only this user can read (mkdtemp creates it 0700), removed when the extension stops. */
  private async privateRoot(): Promise<string> {
    this.tempRoot ??= await fs.promises.mkdtemp(path.join(lazyNode.os().tmpdir(), 'mailroom-attachments-'));
    await fs.promises.chmod(this.tempRoot, 0o700);
    return this.tempRoot;
  }
}

/** Writes through `<file>.part` and renames it into place once complete; removes the part file on failure. */
export async function writeAtomically(file: string, write: (sink: NodeJS.WritableStream) => Promise<void>): Promise<void> {
  const part = `${file}.part`;
  const sink = fs.createWriteStream(part, { mode: 0o600 });
  try {
    await write(sink);
    if (!sink.closed) await new Promise<void>((resolve, reject) => sink.once('close', resolve).once('error', reject));
    await fs.promises.rename(part, file);
  } catch (err) {
    sink.destroy();
    await fs.promises.rm(part, { force: true }).catch(() => undefined);
    throw MailError.is(err) ? err : new MailError('StorageFailed', vscode.l10n.t('The attachment could not be saved: {0}', err instanceof Error ? err.message : String(err)), { cause: err, localized: true });
  }
}

async function isDirectory(uri: vscode.Uri): Promise<boolean> {
  try {
    return ((await vscode.workspace.fs.stat(uri)).type & vscode.FileType.Directory) !== 0;
  } catch {
    return false;
  }
}

function defaultFolder(): vscode.Uri {
  return vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(lazyNode.os().homedir());
}
