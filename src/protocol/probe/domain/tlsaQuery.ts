/**
 * One TLSA query (RFC 6698) over UDP to a configured DNS server. Node's resolver has no TLSA, and
 * Mailroom ships no DNS library, so this builds the 12-byte header and one question by hand and
 * reads the answer section; only TLSA answers for the asked name are taken. Sets RD and AD in the
 * query (RFC 6840 5.7) so a validating resolver says whether it checked the answer with DNSSEC.
 * A truncated UDP answer (TC) is asked again over TCP.
 */
import * as dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import * as net from 'node:net';
import type { TlsaRecord } from './types';

export const TYPE_TLSA = 52;
const CLASS_IN = 1;
const EDNS_UDP_SIZE = 1232;
/** A TLSA answer is well under this; anything larger is not read. */
const MAX_ANSWERS = 32;

export interface TlsaAnswer {
  records: TlsaRecord[];
  authenticated: boolean;
  /** NXDOMAIN or NOERROR without TLSA records. */
  empty: boolean;
  /** How the answer came: over TCP when the UDP answer was truncated (TC bit, RFC 7766). */
  transport?: 'udp' | 'tcp';
}

/** The UDP answer had the TC bit: the whole answer needs DNS over TCP. */
export class TruncatedAnswer extends Error {
  constructor() {
    super('the answer was truncated (TC); it needs DNS over TCP');
  }
}

/** A TCP answer is one message with a two-octet length; anything larger than this is not a TLSA answer. */
const MAX_TCP_ANSWER = 65_535;

/** `1.2.3.4`, `1.2.3.4:5353`, `[::1]:53` or `::1` -> address and port. */
export function parseServer(server: string): { address: string; port: number } {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(server);
  if (bracket) return { address: bracket[1], port: bracket[2] ? Number(bracket[2]) : 53 };
  if (net.isIPv6(server)) return { address: server, port: 53 };
  const m = /^([^:]+)(?::(\d+))?$/.exec(server);
  return { address: m?.[1] ?? server, port: m?.[2] ? Number(m[2]) : 53 };
}

export function encodeQuery(id: number, name: string, type: number): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0120, 2); // RD + AD
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(1, 10); // the OPT record below
  parts.push(header);
  for (const label of labels) {
    const bytes = Buffer.from(label, 'ascii');
    if (bytes.length > 63) throw new Error(`the label "${label.slice(0, 20)}…" is longer than 63 octets`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(type, 1);
  tail.writeUInt16BE(CLASS_IN, 3);
  parts.push(tail);
  // EDNS(0) OPT (RFC 6891): answers up to 1232 octets over UDP (the DNS flag day size), so a few
  // TLSA records with SHA-512 data are not truncated to 512.
  const opt = Buffer.alloc(11);
  opt.writeUInt16BE(41, 1);
  opt.writeUInt16BE(EDNS_UDP_SIZE, 3);
  parts.push(opt);
  return Buffer.concat(parts);
}

/** Skips a (possibly compressed) name; returns the offset after it. */
function skipName(buf: Buffer, offset: number): number {
  for (let guard = 0; guard < 128; guard++) {
    if (offset >= buf.length) throw new Error('the answer ends inside a name');
    const len = buf[offset];
    if (len === 0) return offset + 1;
    if ((len & 0xc0) === 0xc0) return offset + 2;
    offset += 1 + len;
  }
  throw new Error('a name in the answer has too many labels');
}

export function decodeTlsaResponse(buf: Buffer, id: number): TlsaAnswer {
  if (buf.length < 12) throw new Error('the answer is shorter than a DNS header');
  if (buf.readUInt16BE(0) !== id) throw new Error('the answer does not match the query id');
  const flags = buf.readUInt16BE(2);
  const rcode = flags & 0x0f;
  const authenticated = (flags & 0x0020) !== 0;
  if (rcode === 3) return { records: [], authenticated, empty: true };
  if (rcode !== 0) throw new Error(`the DNS server answered with error code ${rcode}${rcode === 2 ? ' (SERVFAIL: a DNSSEC failure looks like this)' : ''}`);
  if (flags & 0x0200) throw new TruncatedAnswer();
  const qd = buf.readUInt16BE(4);
  const an = Math.min(buf.readUInt16BE(6), MAX_ANSWERS);
  let offset = 12;
  for (let i = 0; i < qd; i++) offset = skipName(buf, offset) + 4;
  const records: TlsaRecord[] = [];
  for (let i = 0; i < an; i++) {
    offset = skipName(buf, offset);
    if (offset + 10 > buf.length) throw new Error('the answer ends inside a record');
    const type = buf.readUInt16BE(offset);
    const rdlength = buf.readUInt16BE(offset + 8);
    offset += 10;
    if (offset + rdlength > buf.length) throw new Error('a record runs past the end of the answer');
    if (type === TYPE_TLSA && rdlength >= 3) {
      records.push({ usage: buf[offset], selector: buf[offset + 1], matchingType: buf[offset + 2], data: buf.subarray(offset + 3, offset + rdlength).toString('hex') });
    }
    offset += rdlength;
  }
  return { records, authenticated, empty: records.length === 0 };
}

/**
 * Asks `server` for the TLSA records at `name` over UDP, and again over TCP when the UDP answer
 * comes back truncated; rejects on timeout or a broken answer. `timeoutMs` bounds both together.
 */
export async function queryTlsa(name: string, server: string, timeoutMs: number): Promise<TlsaAnswer> {
  const started = Date.now();
  try {
    return { ...(await queryTlsaUdp(name, server, timeoutMs)), transport: 'udp' };
  } catch (err) {
    if (!(err instanceof TruncatedAnswer)) throw err;
  }
  const left = Math.max(1, timeoutMs - (Date.now() - started));
  return { ...(await queryTlsaTcp(name, server, left)), transport: 'tcp' };
}

/** The same question over TCP (RFC 1035 4.2.2: each message after a two-octet length). */
export function queryTlsaTcp(name: string, server: string, timeoutMs: number): Promise<TlsaAnswer> {
  const { address, port } = parseServer(server);
  const id = randomInt(0, 0x10000);
  const query = encodeQuery(id, name, TYPE_TLSA);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(query.length, 0);
  return new Promise<TlsaAnswer>((resolve, reject) => {
    let received = Buffer.alloc(0);
    const socket = net.connect({ host: address, port });
    const done = (err: Error | undefined, answer?: TlsaAnswer): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(answer!);
    };
    const timer = setTimeout(() => done(new Error(`the TLSA lookup of ${name} over TCP did not answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (err) => done(new Error(`the TLSA lookup of ${name} over TCP failed: ${err.message}`)));
    socket.on('close', () => done(new Error(`the DNS server closed the TCP connection before answering the TLSA lookup of ${name}`)));
    socket.on('connect', () => socket.write(Buffer.concat([length, query])));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2) return;
      const size = received.readUInt16BE(0);
      if (size > MAX_TCP_ANSWER) return done(new Error('the TCP answer is larger than a DNS message'));
      if (received.length < 2 + size) return;
      try {
        done(undefined, decodeTlsaResponse(received.subarray(2, 2 + size), id));
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

function queryTlsaUdp(name: string, server: string, timeoutMs: number): Promise<TlsaAnswer> {
  const { address, port } = parseServer(server);
  const id = randomInt(0, 0x10000);
  const query = encodeQuery(id, name, TYPE_TLSA);
  const socket = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
  return new Promise<TlsaAnswer>((resolve, reject) => {
    const done = (err: Error | undefined, answer?: TlsaAnswer): void => {
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(answer!);
    };
    const timer = setTimeout(() => done(new Error(`the TLSA lookup of ${name} did not answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (err) => done(err));
    socket.on('message', (msg, rinfo) => {
      if (rinfo.port !== port || rinfo.address !== address || msg.length < 2 || msg.readUInt16BE(0) !== id) return; // not our answer
      try {
        done(undefined, decodeTlsaResponse(msg, id));
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
      }
    });
    socket.send(query, port, address, (err) => {
      if (err) done(err);
    });
  });
}
