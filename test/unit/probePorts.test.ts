import * as assert from 'node:assert/strict';
import { main } from '../../src/cli/mailroomCheck';
import { MailError } from '../../src/protocol/errors';
import { PROBE_LIMITS } from '../../src/protocol/probe/limits';
import { parsePortList } from '../../src/protocol/probe/ports';
import { scanTargets, startOrder } from '../../src/protocol/probe/scan';

const refused = (text: string, pattern: RegExp): void => {
  assert.throws(
    () => parsePortList(text),
    (e: unknown) => MailError.is(e, 'InvalidAccount') && pattern.test(e.message),
    `${text} should be refused with ${pattern}`,
  );
};

describe('the start order of a host scan', () => {
  it('starts the SMTP endpoints first (their greeting is the one servers hold back), the others after, each in report order', () => {
    const targets = scanTargets('mail.example.test');
    assert.deepEqual(
      targets.map((t) => t.scheme),
      ['imap', 'imaps', 'pop3', 'pop3s', 'smtp', 'smtps', 'submission'],
      'the report order is unchanged',
    );
    assert.deepEqual(
      startOrder(targets).map((i) => targets[i].scheme),
      ['smtp', 'smtps', 'submission', 'imap', 'imaps', 'pop3', 'pop3s'],
    );
    const given = scanTargets('h', undefined, parsePortList('993,587,143,465'));
    assert.deepEqual(
      startOrder(given).map((i) => given[i].port),
      [587, 465, 993, 143],
    );
    assert.deepEqual(startOrder([]), []);
  });
});

describe('--ports for a host scan', () => {
  it('maps the usual mail ports to their protocol, in the order given', () => {
    assert.deepEqual(parsePortList('993,995,587'), [
      { scheme: 'imaps', port: 993 },
      { scheme: 'pop3s', port: 995 },
      { scheme: 'submission', port: 587 },
    ]);
    assert.deepEqual(parsePortList(' 143 , 25 '), [
      { scheme: 'imap', port: 143 },
      { scheme: 'smtp', port: 25 },
    ]);
  });

  it('takes any port and range after a scheme, and drops repeats', () => {
    assert.deepEqual(parsePortList('imaps:1000-1002,IMAP:1143,imaps:1001,993'), [
      { scheme: 'imaps', port: 1000 },
      { scheme: 'imaps', port: 1001 },
      { scheme: 'imaps', port: 1002 },
      { scheme: 'imap', port: 1143 },
      { scheme: 'imaps', port: 993 },
    ]);
    assert.deepEqual(parsePortList('smtps:65535'), [{ scheme: 'smtps', port: 65535 }]);
  });

  it('refuses ports out of range, bad ranges and unknown schemes with a sentence saying how to write it', () => {
    refused('0', /1 to 65535/);
    refused('65536', /1 to 65535/);
    refused('imaps:70000', /1 to 65535/);
    refused('imaps:100-1', /lower port to the higher/);
    refused('http:80', /"http" is not one of imap, imaps/);
    refused('993,,995', /separated by commas/);
    refused('', /separated by commas/);
    refused('993;995', /write a port/);
    refused('-5', /write a port/);
    refused('1000-1010', /1000 is not a usual mail port.*imaps:1000-1010/);
    refused('8080', /8080 is not a usual mail port.*imaps:8080/);
  });

  it(`checks at most ${PROBE_LIMITS.maxScanEndpoints} ports, refusing 1-65535 without expanding it`, () => {
    const t0 = Date.now();
    refused('imaps:1-65535', /at most 64 ports/);
    assert.ok(Date.now() - t0 < 50);
    assert.equal(parsePortList(`imaps:2000-${2000 + PROBE_LIMITS.maxScanEndpoints - 1}`).length, PROBE_LIMITS.maxScanEndpoints);
    refused(`imaps:2000-${2000 + PROBE_LIMITS.maxScanEndpoints - 1},993`, /at most 64 ports/);
  });

  it('scan targets follow the list', () => {
    const targets = scanTargets('mail.example.com', undefined, parsePortList('587,imaps:10993'));
    assert.deepEqual(targets.map((t) => t.url), ['submission://mail.example.com:587', 'imaps://mail.example.com:10993']);
    assert.deepEqual(targets.map((t) => t.tls), ['starttls', 'implicit']);
  });

  it('mailroom-check refuses a bad --ports before connecting anywhere (exit 2)', async () => {
    for (const [argv, pattern] of [
      [['--scan', '127.0.0.1', '--ports', '99999'], /--ports "99999": ports are 1 to 65535/],
      [['--scan', '127.0.0.1', '--ports', 'imaps:1-2000'], /at most 64 ports/],
      [['imaps://127.0.0.1', '--ports', '993'], /--ports goes with --scan/],
    ] as const) {
      let out = '';
      let err = '';
      const code = await main([...argv], { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {} });
      assert.equal(code, 2, err);
      assert.match(err, pattern);
      assert.equal(out, '', 'nothing was checked');
    }
  });
});
