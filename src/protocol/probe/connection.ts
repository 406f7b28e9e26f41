import * as net from 'node:net';
import * as tls from 'node:tls';
import { toMailError } from '../connectionErrors';
import { MailError } from '../errors';
import { contextWithExtraCa } from '../tls/trustContext';
import { PROBE_LIMITS } from './limits';
import type { Transcript } from './transcript';

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

  private constructor(socket: net.Socket, private readonly endpoint: ConnectOptions, private readonly transcript: Transcript) {
    this.socket = socket;
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
      throw new MailError('TlsFailed', `${this.where()} sent data before the TLS handshake (${this.buffer.length} bytes), which is how STARTTLS command injection looks.`);
    }
    const plain = this.socket;
    this.detach(plain);
    const secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const socket = tls.connect({
        socket: plain,
        rejectUnauthorized: false,
        ...(options.servername ? { servername: options.servername } : {}),
        ...(options.ca?.length ? { secureContext: contextWithExtraCa(options.ca) } : {}),
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
    this.failure ??= new MailError('ConnectionClosed', 'The probe closed the connection.');
    this.notify();
  }
}
