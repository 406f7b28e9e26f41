/** Minimal disposable plumbing (after vscode-hexeditor's dispose.ts), free of the vscode module. */
export interface IDisposable {
  dispose(): void;
}

export function disposeAll(disposables: IDisposable[]): void {
  while (disposables.length) {
    disposables.pop()?.dispose();
  }
}

export abstract class Disposable implements IDisposable {
  private _isDisposed = false;
  protected _disposables: IDisposable[] = [];

  dispose(): void {
    if (this._isDisposed) return;
    this._isDisposed = true;
    disposeAll(this._disposables);
  }

  protected _register<T extends IDisposable>(value: T): T {
    if (this._isDisposed) value.dispose();
    else this._disposables.push(value);
    return value;
  }

  protected get isDisposed(): boolean {
    return this._isDisposed;
  }
}
