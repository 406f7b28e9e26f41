/**
 * POP3 login: APOP (RFC 1939), USER/PASS, and SASL via AUTH (RFC 5034) with PLAIN, LOGIN,
 * CRAM-MD5, and with an OAuth2 bearer token OAUTHBEARER (RFC 7628) or XOAUTH2. Every line carrying
 * a credential is logged as "(secret)".
 */
import { createHash, createHmac } from 'node:crypto';
import { MailError } from '../errors';
import type { Pop3Capabilities } from './capabilities';
import type { Pop3Response } from './framing';
import { oauthBearerResponse, xoauth2Response } from '../oauth/sasl';
import { MAX_AUTH_COMMAND_BYTES, MAX_SASL_ROUNDS } from './limits';

/** 'auto' picks among the password methods; 'oauth2' picks OAUTHBEARER, else XOAUTH2 (the secret is a token). */
export type Pop3AuthMethod = 'auto' | 'oauth2' | 'apop' | 'user' | 'plain' | 'login' | 'cram-md5' | 'xoauth2' | 'oauthbearer';
export type ConcreteAuthMethod = Exclude<Pop3AuthMethod, 'auto' | 'oauth2'>;

/** Sends one line in AUTHORIZATION and returns the single-line response. */
export type AuthSend = (line: string, logAs?: string) => Promise<Pop3Response>;

export interface Credentials {
  user: string;
  /** The password, or the OAuth access token for xoauth2/oauthbearer. */
  secret: string;
  /** The server as the client reached it; OAUTHBEARER sends both (RFC 7628 3.1). */
  host?: string;
  port?: number;
}

const SECRET = '(secret)';

const SASL_NAME: Record<'plain' | 'login' | 'cram-md5' | 'xoauth2' | 'oauthbearer', string> = {
  plain: 'PLAIN',
  login: 'LOGIN',
  'cram-md5': 'CRAM-MD5',
  xoauth2: 'XOAUTH2',
  oauthbearer: 'OAUTHBEARER',
};

/**
 * Picks the method: the requested one if the server can do it, or for 'auto' the strongest it
 * offers: SASL CRAM-MD5 > APOP > SASL PLAIN > SASL LOGIN > USER/PASS. XOAUTH2 is never chosen
 * automatically (the secret must be a token). Without CAPA nothing is known, so a requested
 * method is tried as is.
 */
export function chooseAuthMethod(requested: Pop3AuthMethod, caps: Pop3Capabilities, timestamp: string | undefined, where: string): ConcreteAuthMethod {
  const known = caps.raw !== undefined;
  const offers = (m: ConcreteAuthMethod): boolean => {
    if (m === 'apop') return timestamp !== undefined;
    if (m === 'user') return !known || caps.user;
    return caps.sasl.includes(SASL_NAME[m]);
  };
  if (requested === 'oauth2') {
    // Without CAPA nothing is known: try the standard mechanism.
    if (!known || offers('oauthbearer')) return 'oauthbearer';
    if (offers('xoauth2')) return 'xoauth2';
    throw new MailError('Unsupported', `${where} offers no OAuth2 login (SASL OAUTHBEARER or XOAUTH2). Sign in with a password, or ask the administrator to enable OAuth2.`, {
      detail: `SASL ${caps.sasl.join(' ')}`,
    });
  }
  if (requested === 'auto') {
    const order: ConcreteAuthMethod[] = ['cram-md5', 'apop', 'plain', 'login', 'user'];
    const found = order.find(offers);
    if (found) return found;
    throw new MailError('Unsupported', `${where} offers no login method Mailroom supports.`, { detail: (caps.raw ?? []).join(' | ') });
  }
  if (requested === 'apop' && timestamp === undefined) {
    throw new MailError('Unsupported', `${where} does not offer APOP (its greeting has no timestamp). Choose another login method.`);
  }
  if (known && requested !== 'apop' && !offers(requested)) {
    throw new MailError('Unsupported', `${where} does not offer the login method ${requested.toUpperCase()}. Choose another one.`, {
      detail: `SASL ${caps.sasl.join(' ')}; USER ${String(caps.user)}`,
    });
  }
  return requested;
}

/** Runs the chosen method; resolves with the final +OK or -ERR (the caller maps -ERR). */
export async function authenticate(send: AuthSend, method: ConcreteAuthMethod, creds: Credentials, timestamp: string | undefined): Promise<Pop3Response> {
  switch (method) {
    case 'apop':
      return send(`APOP ${creds.user} ${apopDigest(timestamp ?? '', creds.secret)}`, `APOP ${creds.user} ${SECRET}`);
    case 'user': {
      const user = await send(`USER ${creds.user}`);
      if (user.status !== 'ok') return user;
      return send(`PASS ${creds.secret}`, `PASS ${SECRET}`);
    }
    case 'plain':
      return sasl(send, 'PLAIN', [b64(`\0${creds.user}\0${creds.secret}`)], true);
    case 'xoauth2':
      return sasl(send, 'XOAUTH2', [b64(xoauth2Response(creds.user, creds.secret))], true);
    case 'oauthbearer':
      // A refusal comes as a challenge carrying a JSON error; RFC 7628 3.2.3 answers it with %x01.
      return sasl(send, 'OAUTHBEARER', [b64(oauthBearerResponse(creds.user, creds.secret, creds.host ?? '', creds.port ?? 110))], true, b64('\x01'));
    case 'login':
      return sasl(send, 'LOGIN', [b64(creds.user), b64(creds.secret)], false);
    case 'cram-md5':
      return sasl(send, 'CRAM-MD5', (challenge) => b64(`${creds.user} ${cramMd5Digest(creds.secret, challenge)}`), false);
  }
}

/**
 * One SASL exchange. `responses` is either the fixed answers in order (the first may go as the
 * initial response) or a function of the decoded challenge. XOAUTH2 answers a failure with a
 * "+ <json>" challenge that wants an empty line back; any further challenge is aborted with "*".
 */
async function sasl(send: AuthSend, mech: string, responses: string[] | ((challenge: string) => string), initial: boolean, afterAnswers = ''): Promise<Pop3Response> {
  const answers = Array.isArray(responses) ? [...responses] : undefined;
  let first = `AUTH ${mech}`;
  if (initial && answers && answers.length > 0 && first.length + 1 + answers[0].length + 2 <= MAX_AUTH_COMMAND_BYTES) {
    first += ` ${answers.shift() as string}`;
  }
  let response = await send(first, first === `AUTH ${mech}` ? first : `AUTH ${mech} ${SECRET}`);
  for (let round = 0; response.status === 'continue'; round++) {
    if (round >= MAX_SASL_ROUNDS) return send('*', '*');
    const challenge = Buffer.from(response.text, 'base64').toString('utf8');
    let answer: string | undefined;
    if (answers) answer = answers.shift();
    else answer = responses instanceof Function ? responses(challenge) : undefined;
    // No answer left: the error challenge of XOAUTH2 wants an empty line, OAUTHBEARER's %x01.
    response = await send(answer ?? afterAnswers, answer === undefined ? '(empty)' : SECRET);
  }
  return response;
}

export function apopDigest(timestamp: string, password: string): string {
  return createHash('md5').update(timestamp + password, 'utf8').digest('hex');
}

export function cramMd5Digest(password: string, challenge: string): string {
  return createHmac('md5', Buffer.from(password, 'utf8')).update(challenge, 'utf8').digest('hex');
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
