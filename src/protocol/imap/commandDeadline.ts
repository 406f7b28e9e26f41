/**
 * A deadline for every IMAP command that trickling cannot extend. imapflow's socket timeout only
 * fires on silence, so a server that sends one byte a second keeps a FETCH alive forever. This
 * watchdog gives each command on the wire `graceMs`, plus one second for every
 * `minBytesPerSecond` bytes the command has moved (sent or received); past that the connection is
 * cut with a `CommandTooSlow` error, which connectionErrors.ts turns into a Timeout.
 *
 * It observes imapflow 2.10.2 from outside: `currentRequest` (the command on the wire),
 * `writeBytesCounter`, `_processingResponse` (Mailroom's own side is busy with a response, so the
 * clock stops) and the socket, whose 'data' events it counts. IDLE is exempt: it is meant to stay
 * on the wire for as long as the session idles.
 */
import type { Readable } from 'node:stream';
import type { ImapFlow } from 'imapflow';
import { paceAllowanceMs, type Pace } from '../pace';

export interface CommandDeadlineOptions extends Pace {
  /** Called once, when a command overran; the watchdog has stopped by then. */
  onExpired(error: CommandTooSlowError): void;
}

/** What the watchdog reports; toMailError maps the code to Timeout. */
export interface CommandTooSlowError extends Error {
  code: 'CommandTooSlow';
  command: string;
  bytes: number;
  elapsedMs: number;
  graceMs: number;
  minBytesPerSecond: number;
}

interface FlowInternals {
  socket?: Readable | false;
  currentRequest?: false | { command?: string };
  writeBytesCounter?: number;
  _processingResponse?: boolean;
}

interface Running {
  request: object;
  command: string;
  startedAt: number;
  movedAtStart: number;
  pausedMs: number;
  lastTick: number;
}

export class CommandDeadline {
  private readonly timer: ReturnType<typeof setInterval>;
  private observed: Readable | undefined;
  private received = 0;
  private running: Running | undefined;
  private stopped = false;
  private readonly onData = (chunk: Buffer): void => {
    this.received += chunk.length;
  };

  constructor(
    private readonly client: ImapFlow,
    private readonly options: CommandDeadlineOptions,
  ) {
    // A quarter of the grace, at most a second: how late a command's start or end may be noticed.
    const tickMs = Math.max(10, Math.min(1000, Math.floor(options.graceMs / 4)));
    this.timer = setInterval(() => this.tick(), tickMs);
    this.timer.unref?.();
    client.once('close', () => this.stop());
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.observed?.off('data', this.onData);
    this.observed = undefined;
  }

  private tick(): void {
    const flow = this.client as unknown as FlowInternals;
    this.observe(flow.socket);
    const request = flow.currentRequest;
    if (!request || request.command === 'IDLE') {
      this.running = undefined;
      return;
    }
    const now = Date.now();
    const moved = this.received + (flow.writeBytesCounter ?? 0);
    const running = this.running;
    if (!running || running.request !== request) {
      this.running = { request, command: request.command ?? 'command', startedAt: now, movedAtStart: moved, pausedMs: 0, lastTick: now };
      return;
    }
    if (flow._processingResponse) running.pausedMs += now - running.lastTick;
    running.lastTick = now;
    const bytes = Math.max(0, moved - running.movedAtStart);
    const deadline = running.startedAt + running.pausedMs + paceAllowanceMs(this.options, bytes);
    if (now <= deadline) return;
    this.stop();
    const elapsedMs = now - running.startedAt - running.pausedMs;
    const error = Object.assign(new Error(`${running.command} moved ${bytes} bytes in ${elapsedMs} ms, below ${this.options.minBytesPerSecond} bytes/s after a ${this.options.graceMs} ms grace`), {
      code: 'CommandTooSlow' as const,
      command: running.command,
      bytes,
      elapsedMs,
      graceMs: this.options.graceMs,
      minBytesPerSecond: this.options.minBytesPerSecond,
    });
    this.options.onExpired(error);
  }

  /**
   * Counts what arrives on the current socket (it changes with STARTTLS). Attached only once the
   * socket is flowing into imapflow: a 'data' listener on a socket nobody reads yet would start it
   * flowing and the bytes would miss imapflow's parser.
   */
  private observe(socket: Readable | false | undefined): void {
    if (!socket || socket === this.observed || socket.readableFlowing !== true) return;
    this.observed?.off('data', this.onData);
    socket.on('data', this.onData);
    this.observed = socket;
  }
}
