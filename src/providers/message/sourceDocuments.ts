import * as vscode from 'vscode';
import { MailError } from '../../protocol/errors';
import type { MessageSourceProvider } from '../messagePanel';
import type { MessageNode } from '../tree/nodes';
import { loadEngine } from '../../loadEngine';

export const SOURCE_SCHEME = 'mailroom';

/** A message read for `stat` is kept for the `readFile` that follows (up to this size); bigger ones are read again. */
const MAX_CACHED_SOURCE_BYTES = 32 * 1024 * 1024;

/**
 * View Source: a read-only file system for `mailroom:/source/<key>/<subject>.eml` serving the exact
 * bytes of a message (through the same source provider as the panels: body cache, then server).
 */
export class MessageSourceFileSystem implements vscode.FileSystemProvider {
  private readonly nodes = new Map<string, MessageNode>();
  private cached: { key: string; bytes: Uint8Array } | undefined;
  private readonly _onDidChangeFile = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this._onDidChangeFile.event;

  static register(sources: MessageSourceProvider): { fs: MessageSourceFileSystem; disposable: vscode.Disposable } {
    const fs = new MessageSourceFileSystem(sources);
    const disposable = vscode.workspace.registerFileSystemProvider(SOURCE_SCHEME, fs, { isReadonly: true, isCaseSensitive: true });
    return { fs, disposable: vscode.Disposable.from(disposable, fs._onDidChangeFile) };
  }

  constructor(private readonly sources: MessageSourceProvider) {}

  /** The document URI for a message (registers the node so the URI can be read). */
  uriFor(key: string, node: MessageNode): vscode.Uri {
    this.nodes.set(key, node);
    const name = `${loadEngine().safeFilename(node.item.subject, 'message').slice(0, 80) || 'message'}.eml`;
    return vscode.Uri.from({ scheme: SOURCE_SCHEME, path: `/source/${encodeURIComponent(key)}/${name}` });
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    if (uri.path === '/' || uri.path === '/source') return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0, permissions: vscode.FilePermission.Readonly };
    const bytes = await this.read(uri);
    return { type: vscode.FileType.File, ctime: 0, mtime: 0, size: bytes.byteLength, permissions: vscode.FilePermission.Readonly };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const bytes = await this.read(uri);
    this.cached = undefined; // kept only between stat and readFile: a big message is not held afterwards
    return bytes;
  }

  readDirectory(): [string, vscode.FileType][] {
    return [];
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined); // message sources never change
  }

  createDirectory(): void {
    throw vscode.FileSystemError.NoPermissions('Message sources are read-only.');
  }

  writeFile(): void {
    throw vscode.FileSystemError.NoPermissions('Message sources are read-only.');
  }

  delete(): void {
    throw vscode.FileSystemError.NoPermissions('Message sources are read-only.');
  }

  rename(): void {
    throw vscode.FileSystemError.NoPermissions('Message sources are read-only.');
  }

  private async read(uri: vscode.Uri): Promise<Uint8Array> {
    const match = /^\/source\/([^/]+)\/[^/]+$/.exec(uri.path);
    const key = match ? safeDecode(match[1]) : undefined;
    const node = key === undefined ? undefined : this.nodes.get(key);
    if (!key || !node) throw vscode.FileSystemError.FileNotFound(uri);
    if (this.cached?.key === key) return this.cached.bytes;
    try {
      const source = await this.sources.load(node);
      const bytes = new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
      this.cached = source.byteLength <= MAX_CACHED_SOURCE_BYTES ? { key, bytes } : undefined;
      return bytes;
    } catch (err) {
      if (MailError.is(err, 'MessageNotFound')) throw vscode.FileSystemError.FileNotFound(uri);
      throw err;
    }
  }
}

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
