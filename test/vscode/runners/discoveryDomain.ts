// The discovery domains of the in-host suite (test/fixtures/discoverySuite.ts): a dns2 server and
// the HTTPS (test CA) and HTTP autoconfig servers on loopback, their setup files naming the mail
// fixture's Dovecot and SMTP sink. code-server gets MAILROOM_DISCOVERY_DNS / _HOSTS / _CA, the
// developer override the extension reads when Add Account runs a discovery (DEVELOPERS.md).
import * as path from 'node:path';
import { configFile, discoveryCertificates, startLocalDns, startWebServers, xml } from '../../fixtures/discoveryDomain';
import { SUITE_DISCOVERY } from '../../fixtures/discoverySuite';
import { readFixtureInfo } from '../../fixtures/info';
import { log, makeTempDir, onCleanup } from './proc';

export async function startDiscoveryDomain(fixtureInfoFile: string): Promise<Record<string, string>> {
  const fixture = readFixtureInfo(fixtureInfoFile);
  const { imaps, pop3s, smtp } = fixture.ports;
  const dir = makeTempDir('mailroom-discovery-');
  const certs = discoveryCertificates(dir);
  const web = await startWebServers(certs.leaf(path.join(dir, 'web')));
  onCleanup('discovery web servers', () => web.stop());
  const dns = await startLocalDns({});
  onCleanup('discovery DNS', () => dns.stop());

  const user = '%EMAILLOCALPART%';
  const { ownDomain: own, otherDomain: customer, plainHttpDomain: old } = SUITE_DISCOVERY;
  // POP3 first: the provider's order says POP3, Add Account still offers IMAP first.
  web.https.set(`autoconfig.${own}/mail/config-v1.1.xml`, xml(configFile([['pop3', `pop.${own}`, pop3s, 'SSL', user], ['imap', `imap.${own}`, imaps, 'SSL', user]], [['smtp', `smtp.${own}`, smtp, 'STARTTLS', user]])));
  web.https.set(`autoconfig.${customer}/mail/config-v1.1.xml`, xml(configFile([['imap', 'imap.provider.test', imaps, 'SSL', user]], [['smtp', 'smtp.provider.test', smtp, 'STARTTLS', user]])));
  web.https.set(`autoconfig.${SUITE_DISCOVERY.oauthDomain}/mail/config-v1.1.xml`, xml(configFile([['imap', SUITE_DISCOVERY.oauthHost, imaps, 'SSL']], [], 'OAuth2')));
  web.http.set(`autoconfig.${old}/mail/config-v1.1.xml`, xml(configFile([['imap', `imap.${old}`, imaps, 'SSL', user]], [])));

  const to = (port: number): string => `127.0.0.1:${port}`;
  const hosts = [
    `autoconfig.${own}:443=${to(web.httpsPort)}`,
    `${own}:443=${to(web.httpsPort)}`,
    `imap.${own}:${imaps}=${to(imaps)}`,
    `pop.${own}:${pop3s}=${to(pop3s)}`,
    `smtp.${own}:${smtp}=${to(smtp)}`,
    `autoconfig.${customer}:443=${to(web.httpsPort)}`,
    `imap.provider.test:${imaps}=${to(imaps)}`,
    `smtp.provider.test:${smtp}=${to(smtp)}`,
    `autoconfig.${old}:80=${to(web.httpPort)}`,
    `imap.${old}:${imaps}=${to(imaps)}`,
    `autoconfig.${SUITE_DISCOVERY.oauthDomain}:443=${to(web.httpsPort)}`,
    `${SUITE_DISCOVERY.oauthHost}:${imaps}=${to(imaps)}`,
  ];
  log(`discovery domains ${own}, ${customer}, ${old}, ${SUITE_DISCOVERY.oauthDomain}: DNS on ${dns.port}, https on ${web.httpsPort}, http on ${web.httpPort}`);
  return {
    MAILROOM_DISCOVERY_DNS: to(dns.port),
    MAILROOM_DISCOVERY_HOSTS: hosts.join(','),
    MAILROOM_DISCOVERY_CA: certs.ca.certPath,
  };
}
