import { promises as dns } from 'node:dns';
import * as net from 'node:net';
import { MailError } from '../errors';

/**
 * Where to connect for a host name and port. Production asks the system resolver and keeps the
 * port; tests map names such as `imap.example.test:993` to loopback servers, so nothing writes
 * /etc/hosts. Used for HTTP requests (setup files, sign-in servers) and the verification probes.
 */
export type Dial = (host: string, port: number) => Promise<{ address: string; port: number }>;

export const systemDial: Dial = async (host, port) => {
  if (net.isIP(host)) return { address: host, port };
  const found = await dns.lookup(host, { all: true });
  if (!found.length) throw new MailError('HostNotFound', `The host name ${host} has no address.`);
  return { address: found[0].address, port };
};
