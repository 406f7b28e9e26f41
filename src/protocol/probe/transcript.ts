import { ProtocolLog, redactSecrets } from '../log';
import type { TranscriptLine } from '../../shared/probeReport';

const MASK = '(secret)';
/** Transcript lines are for reading; a megabyte of garbage is cut to something a person can scan. */
const MAX_SHOWN_CHARS = 2_000;

/**
 * The dialogue as it happened, with credentials masked. Secrets are registered before they are
 * sent; every line (and every error message) is masked against all of them, and `redactSecrets`
 * is applied on top as a second fence.
 */
export class Transcript {
  readonly lines: TranscriptLine[] = [];
  private readonly secrets = new Set<string>();

  constructor(
    private readonly log?: ProtocolLog,
    /** Prefix of every line, naming a side connection ("injection"); none for the main one. */
    private readonly label?: string,
    private readonly started = Date.now(),
  ) {}

  /**
   * A transcript for a side connection run alongside: same clock and secrets, its own lines,
   * each prefixed with `[label]` so merged transcripts still say which connection spoke.
   */
  fork(label: string): Transcript {
    const child = new Transcript(this.log, label, this.started);
    for (const s of this.secrets) child.secrets.add(s);
    return child;
  }

  /** Registers a secret and the base64 forms a SASL exchange would carry. */
  addSecret(secret: string | undefined): void {
    if (!secret || secret.length < 3) return;
    this.secrets.add(secret);
    this.secrets.add(Buffer.from(secret, 'utf8').toString('base64'));
  }

  addBase64Secret(payload: string): void {
    if (payload.length >= 4) this.secrets.add(payload);
  }

  mask(text: string): string {
    let out = text;
    // Longest first, so a base64 payload is masked whole before a password inside it.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join(MASK);
    return out;
  }

  elapsed(): number {
    return Date.now() - this.started;
  }

  add(dir: TranscriptLine['dir'], text: string): void {
    let shown = redactSecrets(this.mask(this.label ? `[${this.label}] ${text}` : text));
    if (shown.length > MAX_SHOWN_CHARS) shown = `${shown.slice(0, MAX_SHOWN_CHARS)}… (${text.length} characters)`;
    this.lines.push({ t: this.elapsed(), dir, text: shown });
    this.log?.trace(`${dir} ${shown}`);
  }
}

/**
 * Index ranges into `main` (a phase's lines: from inclusive, to exclusive) as ranges into `merged`,
 * which holds main's lines in their order with others between them. A range then also spans the
 * other lines written meanwhile, as a transcript read in time order shows them.
 */
export function remapRanges(ranges: ReadonlyArray<[number, number]>, main: readonly TranscriptLine[], merged: readonly TranscriptLine[]): Array<[number, number]> {
  const at = new Map<TranscriptLine, number>(merged.map((line, i) => [line, i]));
  const start = (i: number): number => (i < main.length ? at.get(main[i]) ?? merged.length : merged.length);
  return ranges.map(([from, to]) => {
    const a = start(from);
    return [a, to > from ? (at.get(main[to - 1]) ?? a) + 1 : a];
  });
}

/** Lines of several transcripts in time order (a stable sort keeps each one's own order). */
export function mergeTranscripts(...parts: ReadonlyArray<readonly TranscriptLine[]>): TranscriptLine[] {
  return parts.flat().sort((a, b) => a.t - b.t);
}

export function formatTranscript(lines: readonly TranscriptLine[]): string {
  return lines.map((l) => `${String(l.t).padStart(6)} ms ${l.dir} ${l.text}`).join('\n');
}
