/**
 * Reading check reports back (`mailroom-check diff`, "Compare Two Check Reports"): a file must be
 * what `mailroom-check --json` wrote, in the schema version this build reads. Anything else is
 * refused with ReportInvalid saying what the file is instead, before any of it is used.
 */
import { promises as fs } from 'node:fs';
import { MailError } from '../errors';
import { CHECK_REPORT_SCHEMA_VERSION, ProbeReport } from '../../shared/probeReport';

/** Reports are kilobytes (a 64-port scan with transcripts, a few MB); anything bigger is not one. */
export const MAX_REPORT_FILE_BYTES = 16 * 1024 * 1024;

/** Reads and checks a report file; `name` is how messages call it (its path). */
export async function readReportFile(file: string, name = file): Promise<ProbeReport[]> {
  let size: number;
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) throw new MailError('ReportInvalid', `${name} is not a file.`);
    size = stat.size;
  } catch (err) {
    if (MailError.is(err)) throw err;
    throw new MailError('ReportInvalid', `Cannot read ${name}: ${err instanceof Error ? err.message : String(err)}.`, { cause: err });
  }
  checkSize(size, name);
  return parseReportText(await fs.readFile(file, 'utf8'), name);
}

export function checkSize(bytes: number, name: string): void {
  if (bytes > MAX_REPORT_FILE_BYTES) {
    throw new MailError('ReportInvalid', `${name} is ${megabytes(bytes)}; a check report is far smaller (at most ${megabytes(MAX_REPORT_FILE_BYTES)}), so it is not read.`);
  }
}

/** Parses what `mailroom-check --json` printed: an array of reports (one report object is accepted too). */
export function parseReportText(text: string, name: string): ProbeReport[] {
  checkSize(Buffer.byteLength(text, 'utf8'), name);
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new MailError('ReportInvalid', `${name} is not JSON (${err instanceof Error ? err.message : String(err)}); give the file \`mailroom-check --json\` wrote.`);
  }
  const items = Array.isArray(value) ? value : [value];
  if (!items.length) throw new MailError('ReportInvalid', `${name} holds no reports (an empty array).`);
  return items.map((item, i) => checkReport(item, items.length > 1 ? `${name}, report ${i + 1}` : name));
}

function checkReport(value: unknown, where: string): ProbeReport {
  if (!isObject(value)) throw notReport(where, `it holds ${describe(value)} where a report object belongs`);
  const version = value.schemaVersion;
  if (version === undefined) throw notReport(where, 'it has no schemaVersion (written by a mailroom-check older than schema versions, or not a check report); run the check again with this version');
  if (version !== CHECK_REPORT_SCHEMA_VERSION) {
    throw new MailError('ReportInvalid', `${where} is a check report of schema version ${JSON.stringify(version).slice(0, 40)}; this Mailroom reads version ${CHECK_REPORT_SCHEMA_VERSION}. Run both checks with the same Mailroom version.`);
  }
  const need: Array<[string, (v: unknown) => boolean, string]> = [
    ['url', (v) => typeof v === 'string', 'a string'],
    ['host', (v) => typeof v === 'string', 'a string'],
    ['port', (v) => typeof v === 'number', 'a number'],
    ['protocol', (v) => v === 'imap' || v === 'pop3' || v === 'smtp', 'imap, pop3 or smtp'],
    ['phases', (v) => Array.isArray(v) && v.every((p) => isObject(p) && typeof p.name === 'string' && typeof p.ok === 'boolean' && typeof p.ms === 'number'), 'a list of phases'],
    ['warnings', (v) => Array.isArray(v) && v.every((w) => isObject(w) && typeof w.code === 'string' && typeof w.message === 'string'), 'a list of warnings'],
    ['capabilities', (v) => isObject(v) && ['beforeTls', 'afterTls', 'afterLogin'].every((k) => v[k] === null || isStringArray(v[k])), 'the capability lists'],
    ['tls', (v) => isObject(v) && typeof v.ok === 'boolean' && typeof v.mode === 'string', 'the TLS section'],
    ['connect', (v) => isObject(v) && typeof v.ok === 'boolean', 'the connect section'],
    ['greeting', (v) => isObject(v) && typeof v.ok === 'boolean', 'the greeting section'],
    ['auth', (v) => isObject(v) && Array.isArray(v.mechanisms) && isObject(v.login), 'the auth section'],
  ];
  for (const [key, ok, what] of need) {
    if (!ok(value[key])) throw notReport(where, `"${key}" is ${value[key] === undefined ? 'missing' : 'not ' + what}`);
  }
  return value as unknown as ProbeReport;
}

function notReport(where: string, why: string): MailError {
  return new MailError('ReportInvalid', `${where} is not a check report: ${why}.`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringArray(v: unknown): boolean {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'string' ? 'a string' : `a ${typeof v}`;
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}
