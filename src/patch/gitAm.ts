// Applies a patch from a mail to a git repository: `git am --3way` for a mailbox-format patch (a
// message or a format-patch attachment), `git apply --index` for a bare diff. No vscode here.
import { spawn } from 'node:child_process';
import { MailError } from '../protocol/errors';

/** git's output kept for the user: enough for any conflict report, bounded against runaway output. */
export const MAX_GIT_OUTPUT = 64 * 1024;
/** A patch that takes longer than this to apply is stuck (a hook waiting on input, a lock). */
export const GIT_TIMEOUT_MS = 60_000;

export interface GitResult {
  code: number | null;
  /** stdout + stderr, cut at MAX_GIT_OUTPUT. */
  output: string;
  timedOut: boolean;
}

export interface PatchOutcome {
  ok: boolean;
  /** What ran: `git am --3way` or `git apply --index`. */
  method: 'am' | 'apply';
  /** git's own words (output of the failing command, or of the successful one). */
  output: string;
  /** A failed `git am` was rolled back with `git am --abort`. */
  aborted: boolean;
}

export interface ApplyPatchOptions {
  /** The repository's work tree (any folder inside it works). */
  cwd: string;
  /** The raw message, a format-patch file, or a bare diff. */
  patch: Buffer;
  /** 'mailbox': has mail headers (git am); 'diff': a bare diff (git apply --index). */
  kind: 'mailbox' | 'diff';
  timeoutMs?: number;
}

export async function applyPatch(options: ApplyPatchOptions): Promise<PatchOutcome> {
  const timeoutMs = options.timeoutMs ?? GIT_TIMEOUT_MS;
  if (options.kind === 'diff') {
    const result = await runGit(['apply', '--index', '--whitespace=nowarn', '-'], options.cwd, options.patch, timeoutMs);
    return { ok: result.code === 0 && !result.timedOut, method: 'apply', output: describe(result), aborted: false };
  }
  const result = await runGit(['am', '--3way'], options.cwd, options.patch, timeoutMs);
  if (result.code === 0 && !result.timedOut) return { ok: true, method: 'am', output: result.output, aborted: false };
  // Leave the repository as it was: an interrupted am blocks every later am and rebase.
  const abort = await runGit(['am', '--abort'], options.cwd, undefined, timeoutMs);
  return { ok: false, method: 'am', output: describe(result), aborted: abort.code === 0 };
}

/** The top of the repository containing `dir`, or undefined when it is not in one. */
export async function repositoryRoot(dir: string, timeoutMs = GIT_TIMEOUT_MS): Promise<string | undefined> {
  const result = await runGit(['rev-parse', '--show-toplevel'], dir, undefined, timeoutMs);
  return result.code === 0 ? result.output.trim() : undefined;
}

/** Runs git with `input` on stdin; never prompts (no terminal, no editor). Rejects only when git cannot start. */
export function runGit(args: string[], cwd: string, input: Buffer | undefined, timeoutMs: number): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-c', 'core.quotepath=off', ...args], {
      cwd,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_EDITOR: 'true', GIT_PAGER: 'cat', LC_ALL: 'C' },
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
      // Its own process group on POSIX, so a timeout also stops hooks git started.
      detached: process.platform !== 'win32',
    });
    const chunks: Buffer[] = [];
    let kept = 0;
    const keep = (chunk: Buffer): void => {
      if (kept >= MAX_GIT_OUTPUT) return;
      const part = chunk.subarray(0, MAX_GIT_OUTPUT - kept);
      chunks.push(part);
      kept += part.length;
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    let settled = false;
    const finish = (code: number | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ code, output: Buffer.concat(chunks).toString('utf8'), timedOut });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      // A grandchild holding the pipes open must not keep us waiting: stop reading them.
      child.stdout.destroy();
      child.stderr.destroy();
    }, timeoutMs);
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      settled = true;
      reject(
        err.code === 'ENOENT'
          ? new MailError('Unsupported', 'git was not found: install git or add it to PATH to apply patches.', { cause: err })
          : new MailError('Unknown', `git could not be started: ${err.message}`, { cause: err }),
      );
    });
    child.once('close', (code) => finish(code));
    child.once('exit', (code) => {
      if (timedOut) finish(code);
    });
    // git may exit before reading all of stdin (e.g. not a repository): that EPIPE is not our error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

function describe(result: GitResult): string {
  if (result.timedOut) return `git did not finish within the time limit and was stopped.\n${result.output}`;
  return result.output.trim() || `git exited with code ${String(result.code)}`;
}
