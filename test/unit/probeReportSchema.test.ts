// docs/check-report.schema.json against real reports recorded from Dovecot (see
// test/fixtures/recordCheckReports.ts) and against what reportsToJson writes today.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { reportsToJson } from '../../src/protocol/probe/render';
import { CHECK_REPORT_SCHEMA_ID, CHECK_REPORT_SCHEMA_VERSION, ProbeReport } from '../../src/shared/probeReport';
import { loadSchema, schemaErrors, undeclaredFields } from '../fixtures/reportSchema';

const RECORDED = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'checkReports');
const recorded = (): Array<[string, unknown]> =>
  fs
    .readdirSync(RECORDED)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f, JSON.parse(fs.readFileSync(path.join(RECORDED, f), 'utf8')) as unknown]);

describe('check report JSON schema', () => {
  it('is a draft 2020-12 schema whose $id and version are the ones reports name', () => {
    const schema = loadSchema();
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(schema.$id, CHECK_REPORT_SCHEMA_ID);
    const report = (schema.$defs as Record<string, { properties: Record<string, { const?: unknown }> }>).report;
    assert.equal(report.properties.schemaVersion.const, CHECK_REPORT_SCHEMA_VERSION);
    assert.equal(report.properties.$schema.const, CHECK_REPORT_SCHEMA_ID);
  });

  it('accepts every report recorded from Dovecot (STARTTLS, implicit TLS, self-signed, expired, refused)', () => {
    const files = recorded();
    assert.ok(files.length >= 5, `${files.length} recorded files`);
    const seen = new Set<string>();
    for (const [file, value] of files) {
      assert.deepEqual(schemaErrors(value), [], file);
      for (const r of value as ProbeReport[]) {
        seen.add(r.failedPhase ? 'failed' : r.warnings.length ? 'warnings' : 'ok');
        if (r.transcript) seen.add('transcript');
        if (r.pop3) seen.add('pop3');
        if (r.tls.chain?.length) seen.add('chain');
      }
    }
    assert.deepEqual([...seen].sort(), ['chain', 'failed', 'ok', 'pop3', 'transcript', 'warnings'], 'the recordings cover every shape');
  });

  it('describes every property the recorded reports carry (the schema matches probeReport.ts)', () => {
    for (const [file, value] of recorded()) assert.deepEqual(undeclaredFields(value), [], `${file}: add these to docs/check-report.schema.json`);
  });

  it('rejects what is not a report of this version, so the checks above can fail', () => {
    const [, value] = recorded().find(([f]) => f === 'dovecot-implicit-tls.json')!;
    const good = value as Array<Record<string, unknown>>;
    const mutate = (change: (r: Record<string, unknown>) => void): unknown => {
      const copy = JSON.parse(JSON.stringify(good)) as Array<Record<string, unknown>>;
      change(copy[0]);
      return copy;
    };
    assert.ok(schemaErrors(mutate((r) => (r.schemaVersion = 2))).some((e) => e.includes('/0/schemaVersion')));
    assert.ok(schemaErrors(mutate((r) => (r.port = 'x'))).some((e) => e.includes('/0/port')));
    assert.ok(schemaErrors(mutate((r) => delete r.phases)).some((e) => e.includes('phases')));
    assert.ok(schemaErrors(mutate((r) => ((r.warnings as unknown[]).push({ code: 'Not A Code', message: 'x' })))).some((e) => e.includes('/0/warnings/0/code')));
    assert.deepEqual(undeclaredFields(mutate((r) => ((r.tls as Record<string, unknown>).newField = 1))), ['/*/tls/newField']);
  });

  it('reportsToJson names the schema and its version first in every report', () => {
    const [, value] = recorded().find(([f]) => f === 'dovecot-starttls.json')!;
    const reports = (value as ProbeReport[]).map(({ $schema: _s, schemaVersion: _v, ...r }) => r as ProbeReport);
    const written = JSON.parse(reportsToJson(reports)) as Array<Record<string, unknown>>;
    for (const r of written) {
      assert.deepEqual(Object.keys(r).slice(0, 2), ['$schema', 'schemaVersion']);
      assert.equal(r.$schema, CHECK_REPORT_SCHEMA_ID);
      assert.equal(r.schemaVersion, CHECK_REPORT_SCHEMA_VERSION);
      assert.equal(r.transcript, undefined);
    }
    assert.deepEqual(schemaErrors(written), []);
    assert.deepEqual(schemaErrors(JSON.parse(reportsToJson(reports, { transcript: true }))), []);
  });
});
