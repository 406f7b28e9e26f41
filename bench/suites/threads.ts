/**
 * thread.build100k: JWZ threading (src/protocol/threads/jwz.ts) of 100,000 synthetic cached
 * headers, against a plain sort by date of the same headers (what showing the folder unthreaded
 * costs). The headers look like a real mailbox: most threads one to three messages, a long tail up
 * to 60, References chains cut at 10 ids as many clients do, some replies with only In-Reply-To,
 * some whose parent is missing, a few duplicate Message-IDs.
 *
 * thread.update1at100k: one new reply added to the ThreadIndex of those 100,000 messages (what an
 * IDLE update costs), against the full build: the ratio is how much work incremental updating saves.
 */
import { buildThreads, type ThreadMessage } from '../../src/protocol/threads/jwz';
import { ThreadIndex } from '../../src/protocol/threads/threadIndex';
import { BenchSuite, median, round } from '../report';

const MESSAGES = 100_000;
const SAMPLES = 5;
const UPDATES = 200;

/** Deterministic pseudo-random numbers (a bench must measure the same mailbox every run). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

export function syntheticHeaders(count: number, seed = 7): ThreadMessage[] {
  const random = lcg(seed);
  const out: ThreadMessage[] = [];
  const start = Date.UTC(2020, 0, 1);
  let thread = 0;
  while (out.length < count) {
    thread++;
    const size = Math.min(count - out.length, random() < 0.6 ? 1 : random() < 0.8 ? 2 + Math.floor(random() * 3) : 5 + Math.floor(random() * 55));
    let day = start + Math.floor(random() * 5 * 365) * 86_400_000;
    const chain: string[] = [];
    for (let i = 0; i < size; i++) {
      day += Math.floor(random() * 86_400_000);
      const id = `t${thread}.${i}@bench.example`;
      const parentAt = i === 0 ? -1 : Math.floor(random() * i);
      const refs = parentAt < 0 ? [] : [...chain.slice(0, parentAt + 1)].slice(-10);
      const kind = random();
      const m: ThreadMessage = {
        key: `INBOX\n${out.length + 1}`,
        messageId: kind < 0.002 ? `t${thread}.0@bench.example` : id,
        references: kind < 0.1 ? [] : kind < 0.13 ? refs.slice(1) : refs,
        ...(parentAt >= 0 ? { inReplyTo: chain[parentAt] } : {}),
        date: day,
        subject: i === 0 ? `Topic ${thread}` : `Re: Topic ${thread}`,
      };
      chain.push(id);
      out.push(m);
    }
  }
  // The cache holds them in UID order, which is arrival order, not date order.
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function time(run: () => void): number {
  const t0 = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export const run: BenchSuite = async ({ emit }) => {
  const headers = syntheticHeaders(MESSAGES);
  let threads = 0;
  // Warm both paths once (JIT), then alternate so load on the machine hits both alike.
  buildThreads(headers);
  [...headers].sort((a, b) => a.date - b.date);
  const jwz: number[] = [];
  const sort: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    sort.push(time(() => void [...headers].sort((a, b) => a.date - b.date || (a.key < b.key ? -1 : 1))));
    jwz.push(time(() => void (threads = buildThreads(headers).length)));
  }
  emit('thread.build100k', median(jwz), 'ms', median(sort), { messages: MESSAGES, threads });

  const index = new ThreadIndex();
  index.add(headers);
  const updates: number[] = [];
  for (let i = 0; i < UPDATES; i++) {
    const parent = headers[(i * 4999) % headers.length];
    const reply: ThreadMessage = {
      key: `INBOX\n${MESSAGES + i + 1}`,
      messageId: `update${i}@bench.example`,
      references: [...parent.references, parent.messageId ?? ''].slice(-10),
      inReplyTo: parent.messageId,
      date: parent.date + 1000,
      subject: `Re: ${parent.subject}`,
    };
    updates.push(time(() => void index.add([reply])));
  }
  const update = median(updates);
  const p95 = [...updates].sort((a, b) => a - b)[Math.floor(UPDATES * 0.95)];
  // The ratio rounds to 0: the extra field says how many updates one full build costs.
  emit('thread.update1at100k', update, 'ms', median(jwz), { p95: round(p95), fullBuildsPerUpdate: Math.round(median(jwz) / update) });
  await Promise.resolve();
};
