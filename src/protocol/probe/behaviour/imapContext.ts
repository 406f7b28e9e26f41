import { MailError } from '../../errors';
import { quote } from '../dialogue';
import { fetches, ImapClient, ImapResponse, imapQuote, numberCode } from './imapClient';

/** One message the check appended, with the UID the server gave it. */
export interface OwnMessage {
  raw: Buffer;
  uid: number;
}

/** What the IMAP checks share: the sessions, the scratch folders and the messages in them. */
export interface ImapContext {
  /** The main session. */
  a: ImapClient;
  /** A second session of the same account, opened on first use. */
  b(): Promise<ImapClient>;
  folder: string;
  destination: string;
  token: string;
  idleWaitMs: number;
  /** In append order; UIDs as the server reported them. */
  messages: OwnMessage[];
  uidValidity?: number;
  /** Enabled with ENABLE: CONDSTORE (or QRESYNC, which implies it) and QRESYNC. */
  condstore: boolean;
  qresync: boolean;
  /** HIGHESTMODSEQ before the flag change, and after it (before the expunge). */
  modseqBefore?: number;
  modseqAfterStore?: number;
  /** The message expunged by the expunge check, for the QRESYNC check. */
  expungedUid?: number;
}

/** SELECT (with CONDSTORE when enabled); returns the response and its UIDVALIDITY. */
export async function select(client: ImapClient, folder: string, condstore: boolean, extra = ''): Promise<{ response: ImapResponse; uidValidity: number; highestModseq?: number }> {
  const params = extra || (condstore ? ' (CONDSTORE)' : '');
  const response = await client.run(`SELECT ${imapQuote(folder)}${params}`);
  if (response.status !== 'OK') throw new MailError('CommandFailed', `The server refused to select ${folder}: "${quote(response.text)}".`);
  const uidValidity = numberCode(response, 'UIDVALIDITY');
  if (uidValidity === undefined) throw new MailError('ProtocolError', `SELECT ${folder} answered without [UIDVALIDITY] (RFC 9051 requires it).`);
  const highestModseq = numberCode(response, 'HIGHESTMODSEQ');
  return { response, uidValidity, ...(highestModseq !== undefined ? { highestModseq } : {}) };
}

/** Every UID in the selected folder, ascending. */
export async function allUids(client: ImapClient): Promise<number[]> {
  const r = await client.ok('UID FETCH 1:* (UID)');
  return fetches(r)
    .map((f) => f.uid)
    .filter((u): u is number => u !== undefined)
    .sort((x, y) => x - y);
}

/** One message's bytes (BODY.PEEK[], so \Seen is left alone), or undefined when it is not there. */
export async function fetchBody(client: ImapClient, uid: number): Promise<Buffer | undefined> {
  const r = await client.ok(`UID FETCH ${uid} (UID BODY.PEEK[])`);
  return fetches(r).find((f) => f.uid === uid && f.body)?.body;
}
