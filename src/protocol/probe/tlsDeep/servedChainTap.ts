/**
 * Reads the certificates a server sends, in the order it sends them, from the TLS 1.2 Certificate
 * handshake message (RFC 5246 7.4.2), which travels in the clear. Node only shows the chain
 * re-linked by issuer (getPeerCertificate(true)), which hides a chain served out of order and
 * mixes in roots from the local trust store. TLS 1.3 encrypts this message, so the tap sees
 * nothing there and the caller says the order could not be checked.
 */
import type * as net from 'node:net';
import { Duplex } from 'node:stream';

/** Bytes of handshake data read at most: a real chain is a few KB; garbage stops here. */
const MAX_HANDSHAKE_BYTES = 256 * 1024;
const RECORD_HANDSHAKE = 22;
const HANDSHAKE_CERTIFICATE = 11;

/** Incremental parser of the server's first flight; `certificates` is set once the message is complete. */
export class CertificateMessageReader {
  certificates: Buffer[] | undefined;
  private records = Buffer.alloc(0);
  private handshake = Buffer.alloc(0);
  private done = false;

  push(chunk: Buffer): void {
    if (this.done) return;
    this.records = Buffer.concat([this.records, chunk]);
    while (!this.done && this.records.length >= 5) {
      const type = this.records[0];
      const length = this.records.readUInt16BE(3);
      if (this.records.length < 5 + length) break;
      const body = this.records.subarray(5, 5 + length);
      this.records = this.records.subarray(5 + length);
      if (type !== RECORD_HANDSHAKE) {
        // Anything after ChangeCipherSpec is encrypted; an alert or data record ends the flight.
        this.done = true;
        break;
      }
      this.handshake = Buffer.concat([this.handshake, body]);
      if (this.handshake.length > MAX_HANDSHAKE_BYTES) this.done = true;
      this.readMessages();
    }
    if (this.records.length > MAX_HANDSHAKE_BYTES) this.done = true;
  }

  private readMessages(): void {
    while (!this.done && this.handshake.length >= 4) {
      const type = this.handshake[0];
      const length = this.handshake.readUIntBE(1, 3);
      if (this.handshake.length < 4 + length) return;
      const body = this.handshake.subarray(4, 4 + length);
      this.handshake = this.handshake.subarray(4 + length);
      if (type === HANDSHAKE_CERTIFICATE) {
        this.certificates = parseCertificateList(body);
        this.done = true;
      }
    }
  }
}

/** certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>; undefined when the lengths do not add up. */
export function parseCertificateList(body: Buffer): Buffer[] | undefined {
  if (body.length < 3) return undefined;
  const total = body.readUIntBE(0, 3);
  if (total + 3 !== body.length) return undefined;
  const out: Buffer[] = [];
  let at = 3;
  while (at < body.length) {
    if (at + 3 > body.length) return undefined;
    const len = body.readUIntBE(at, 3);
    at += 3;
    if (len === 0 || at + len > body.length) return undefined;
    out.push(Buffer.from(body.subarray(at, at + len)));
    at += len;
  }
  return out;
}

/**
 * A stream over `socket` that hands TLS every byte unchanged and shows the bytes from the server
 * to `reader` first. Destroying it destroys the socket.
 */
export function tapSocket(socket: net.Socket, reader: CertificateMessageReader): Duplex {
  const tap: Duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(err, callback) {
      socket.destroy();
      callback(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    reader.push(chunk);
    if (!tap.push(chunk)) socket.pause();
  });
  socket.on('end', () => tap.push(null));
  socket.on('error', (err) => tap.destroy(err));
  socket.on('close', () => tap.destroy());
  return tap;
}
