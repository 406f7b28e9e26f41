/**
 * `mailroom-check diff before.json after.json [--json] [--fail-on warning|error]`: what changed
 * between two `--json` runs. Exit 0: compared (nothing worse, or no --fail-on); 1: with
 * --fail-on, something got worse at that level; 2: the files could not be compared.
 */
import { MailError } from '../protocol/errors';
import { diffFails, diffReports, readReportFile, renderDiff } from '../protocol/probe';
import type { CliIo } from './mailroomCheck';

export const DIFF_USAGE = `usage: mailroom-check diff <before.json> <after.json> [--json] [--fail-on warning|error]

  Compares two reports written by mailroom-check --json: per endpoint (matched by URL) the
  capabilities added or removed per phase, warnings new and gone, phases that changed, TLS
  version/cipher/verification/certificate changes, and timings that changed a lot.
  --json                 print the comparison as JSON (kind "mailroom-check-diff")
  --fail-on error        exit 1 when a check that passed before now fails
  --fail-on warning      exit 1 also when a warning appeared

Exit status: 0 compared (nothing worse at the --fail-on level, or no --fail-on), 1 something got
worse, 2 a file is not a check report (not JSON, another schema version, too large) or bad usage.
`;

export async function runDiff(argv: readonly string[], io: CliIo): Promise<number> {
  const files: string[] = [];
  let json = false;
  let failOn: 'warning' | 'error' | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') json = true;
    else if (arg === '-h' || arg === '--help') {
      io.stdout(DIFF_USAGE);
      return 0;
    } else if (arg === '--fail-on' || arg.startsWith('--fail-on=')) {
      const v = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (v !== 'warning' && v !== 'error') return usage(io, '--fail-on takes warning or error');
      failOn = v;
    } else if (arg.startsWith('-') && arg !== '-') return usage(io, `unknown option ${arg}`);
    else files.push(arg);
  }
  if (files.length !== 2) return usage(io, `diff compares exactly two report files (got ${files.length})`);
  try {
    const [before, after] = await Promise.all(files.map((f) => readReportFile(f)));
    const diff = diffReports(before, after);
    io.stdout(json ? `${JSON.stringify({ before: files[0], after: files[1], ...diff }, null, 2)}\n` : renderDiff(diff, { before: files[0], after: files[1] }));
    return failOn && diffFails(diff, failOn) ? 1 : 0;
  } catch (err) {
    io.stderr(`mailroom-check diff: ${MailError.is(err) ? err.message : err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
}

function usage(io: CliIo, message: string): number {
  io.stderr(`mailroom-check diff: ${message}\n${DIFF_USAGE}`);
  return 2;
}
