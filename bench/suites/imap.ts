/** IMAP sync on the 10,000-message bench mailbox: see bench/imapSync.ts for what each line measures. */
import { runImapSyncBench } from '../imapSync';
import { BenchSuite } from '../report';

export const run: BenchSuite = (ctx) =>
  runImapSyncBench(ctx, {
    messages: 10_000,
    samples: 5,
    pageSamples: 15,
    names: {
      firstPage: 'imap.firstPage50',
      headerSync: 'imap.headerSync10k',
      resyncNoChange: 'imap.resyncNoChange10k',
      resyncTenChanges: 'imap.resyncTenChanges10k',
      cacheRss: 'imap.cacheRss10k',
    },
    targets: { 'imap.firstPage50': 1.5, 'imap.headerSync10k': 3 },
  });
