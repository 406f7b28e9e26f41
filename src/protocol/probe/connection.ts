import * as net from 'node:net';
import * as tls from 'node:tls';
import { toMailError } from '../connectionErrors';
import { MailError } from '../errors';
import { contextWithExtraCa, defaultClientContext } from '../tls/trustContext';
import { PROBE_LIMITS } from './limits';
import type { Transcript } from './transcript';

/** Lines of dropped pre-handshake bytes copied into the transcript (the count is always given). */
const DISCARDED_LINES_SHOWN = 10;

export interface ConnectOptions {
  host: string;
  /** The resolved address to connect to. */
  address: string;
  port: number;
  /** Local address to bind (e.g. 127.0.0.2, so a loopback server does not treat us as local). */
  localAddress?: string;
}

export interface TlsUpgradeOptions {
  /** SNI and identity: the host name as the user gave it (no SNI for IP literals). */
  servername?: string;
  /** Extra trusted CAs (PEM) on top of Node's bundled roots. */
  ca?: string[];
  alpn?: string[];
  /**
   * Makes the TLS socket from the options the probe chose (default tls.connect). The TLS deep
   * check adds a version, suites, OCSP and a tap on the bytes the server sends.
   */
  connect?: (options: tls.ConnectionOptions & { socket: net.Socket }) => tls.TLSSocket;
}

/**
 * One TCP (later TLS) connection read line by line, recording both directions in the
 * transcript. Reads fail with a MailError when the server closes, errs or overruns a limit;
 * timeouts are the caller's (each phase races its own deadline and then destroys the connection).
 */
export class ProbeConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private failure: MailError | undefined;
  private socket: net.Socket;
  /** The TCP socket under any TLS: its close is when the server sees the connection end. */
  private readonly plain: net.Socket;
  /** Plain-text bytes that followed the STARTTLS answer and were dropped before the handshake. */
  discardedBeforeTls: Buffer | undefined;
  /** Resolves once the TCP connection is closed (after `destroy()`, or by the server). */
  readonly closed: Promise<void>;

  private constructor(socket: net.Socket, private readonly endpoint: ConnectOptions, private readonly transcript: Transcript) {
    this.socket = socket;
    this.plain = socket;
    this.closed = new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
    this.attach(socket);
  }

  static connect(options: ConnectOptions, transcript: Transcript): Promise<ProbeConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: options.address, port: options.port, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
      socket.setNoDelay(true);
      const onError = (err: Error): void => {
        socket.destroy();
        reject(toMailError(err, options));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        transcript.add('*', `connected to ${options.address}:${options.port} from ${socket.localAddress ?? '?'}:${socket.localPort ?? '?'}`);
        resolve(new ProbeConnection(socket, options, transcript));
      });
    });
  }

  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  get tlsSocket(): tls.TLSSocket | undefined {
    return this.socket instanceof tls.TLSSocket ? this.socket : undefined;
  }

  private readonly onData = (chunk: Buffer): void => {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    if (this.buffer.length > PROBE_LIMITS.maxLineBytes && this.buffer.indexOf(0x0a) < 0) {
      this.fail(new MailError('LimitExceeded', `${this.where()} sent a line longer than ${PROBE_LIMITS.maxLineBytes} bytes.`));
      this.socket.destroy();
    }
    this.notify();
  };
  private readonly onError = (err: Error): void => this.fail(toMailError(err, this.endpoint));
  private readonly onClose = (): void => {
    this.fail(new MailError('ConnectionClosed', `${this.where()} closed the connection.`));
  };

  private attach(socket: net.Socket): void {
    socket.on('data', this.onData).on('error', this.onError).on('end', this.onClose).on('close', this.onClose);
  }

  private detach(socket: net.Socket): void {
    socket.off('data', this.onData).off('error', this.onError).off('end', this.onClose).off('close', this.onClose);
  }

  private fail(err: MailError): void {
    if (!this.failure) {
      this.failure = err;
      this.transcript.add('*', err.message);
    }
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private where(): string {
    return `${this.endpoint.host}:${this.endpoint.port}`;
  }

  private async waitForData(): Promise<void> {
    if (this.failure) throw this.failure;
    await new Promise<void>((resolve) => (this.wake = resolve));
  }

  /** One line without its CRLF, decoded as UTF-8 (servers send ASCII; bad bytes become U+FFFD). */
  async readLine(): Promise<string> {
    return (await this.readRawLine()).toString('utf8').replace(/\r?\n$/, '');
  }

  /** One line as sent, line ending included (POP3 RETR compared byte for byte). */
  async readRawLine(): Promise<Buffer> {
    for (;;) {
      const at = this.buffer.indexOf(0x0a);
      if (at >= 0) {
        if (at > PROBE_LIMITS.maxLineBytes) throw new MailError('LimitExceeded', `${this.where()} sent a line longer than ${PROBE_LIMITS.maxLineBytes} bytes.`);
        const line = this.buffer.subarray(0, at + 1);
        this.buffer = this.buffer.subarray(at + 1);
        this.transcript.add('S', line.toString('utf8').replace(/\r?\n$/, ''));
        return line;
      }
      await this.waitForData();
    }
  }

  /** Exactly `count` bytes (an IMAP literal). */
  async readBytes(count: number): Promise<Buffer> {
    if (count > PROBE_LIMITS.maxLiteralBytes) throw new MailError('LimitExceeded', `${this.where()} announced a ${count}-byte literal; the probe reads at most ${PROBE_LIMITS.maxLiteralBytes}.`);
    while (this.buffer.length < count) await this.waitForData();
    const out = this.buffer.subarray(0, count);
    this.buffer = this.buffer.subarray(count);
    this.transcript.add('S', `(literal, ${count} bytes) ${out.toString('utf8')}`);
    return out;
  }

  /**
   * The first line the server sends within `ms`, or undefined when it sent none by then (the
   * connection stays usable). A close or error still rejects, as in readLine.
   */
  async readLineWithin(ms: number): Promise<string | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (this.buffer.indexOf(0x0a) >= 0) return this.readLine();
      if (this.failure) throw this.failure;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }

  /**
   * Several command lines in ONE write (one TCP segment on an idle link), as an attacker
   * injecting a command behind STARTTLS would send them.
   */
  sendTogether(lines: readonly string[]): void {
    if (this.failure) throw this.failure;
    for (const line of lines) this.transcript.add('C', line);
    this.socket.write(lines.map((l) => `${l}\r\n`).join(''));
  }

  /** Sends one command line; `shown` replaces it in the transcript when it carries a secret. */
  send(line: string, shown?: string): void {
    if (this.failure) throw this.failure;
    this.transcript.add('C', shown ?? line);
    this.socket.write(`${line}\r\n`);
  }

  /** Sends bytes as they are (an IMAP literal); the transcript shows `shown` instead. */
  sendRaw(bytes: Buffer, shown: string): void {
    if (this.failure) throw this.failure;
    this.transcript.add('C', shown);
    this.socket.write(bytes);
  }

  /**
   * Starts TLS on this connection (implicit TLS right after connect, or after STARTTLS/STLS was
   * accepted). Never rejects the certificate: the probe reports it, and decides separately
   * whether credentials may follow.
   */
  async startTls(options: TlsUpgradeOptions): Promise<tls.TLSSocket> {
    if (this.failure) throw this.failure;
    if (this.buffer.length > 0) {
      // Bytes behind the STARTTLS answer came in plain text, so anyone on the path may have
      // written them (STARTTLS response injection). They are dropped here and never read as if
      // they had come over TLS; the caller reports them.
      const dropped = this.buffer;
      this.buffer = Buffer.alloc(0);
      this.discardedBeforeTls = Buffer.concat([this.discardedBeforeTls ?? Buffer.alloc(0), dropped]);
      this.transcript.add('*', `discarded ${dropped.length} bytes the server sent after its STARTTLS answer, before the handshake:`);
      for (const line of dropped.toString('utf8').split(/\r?\n/).filter(Boolean).slice(0, DISCARDED_LINES_SHOWN)) this.transcript.add('S', `(discarded) ${line}`);
    }
    const plain = this.socket;
    this.detach(plain);
    const secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const socket = (options.connect ?? tls.connect)({
        socket: plain,
        rejectUnauthorized: false,
        ...(options.servername ? { servername: options.servername } : {}),
        // A caller's own connect (the TLS deep check) sets versions and suites, which live in the
        // context: it must build its own. The plain probe shares one default context.
        ...(options.ca?.length ? { secureContext: contextWithExtraCa(options.ca) } : options.connect ? {} : { secureContext: defaultClientContext() }),
        ...(options.alpn?.length ? { ALPNProtocols: options.alpn } : {}),
      });
      const onError = (err: Error): void => {
        socket.destroy();
        const detail = `${(err as { code?: string }).code ?? ''} ${err.message}`.trim();
        reject(new MailError('TlsFailed', `The TLS handshake with ${this.where()} failed: ${err.message}`, { detail, cause: err }));
      };
      const onClose = (): void => onError(Object.assign(new Error('the server closed the connection during the handshake'), { code: 'ECONNRESET' }));
      socket.once('error', onError);
      socket.once('close', onClose);
      socket.once('secureConnect', () => {
        socket.off('error', onError);
        socket.off('close', onClose);
        resolve(socket);
      });
    });
    this.socket = secure;
    this.attach(secure);
    this.transcript.add('*', `TLS established: ${secure.getProtocol() ?? '?'} ${secure.getCipher()?.name ?? ''}`.trim());
    return secure;
  }

  destroy(): void {
    this.detach(this.socket);
    this.socket.destroy();
    this.plain.destroy();
    this.failure ??= new MailError('ConnectionClosed', 'The probe closed the connection.');
    this.notify();
  }
}
