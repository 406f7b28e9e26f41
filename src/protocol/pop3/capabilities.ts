/** CAPA (RFC 2449) parsed into what the client needs to decide. */
export interface Pop3Capabilities {
  /** CAPA lines as sent (undefined when CAPA failed: the server predates RFC 2449). */
  raw: string[] | undefined;
  /** undefined = unknown (no CAPA): try and see. */
  uidl: boolean | undefined;
  top: boolean | undefined;
  pipelining: boolean;
  stls: boolean;
  /** Upper-case SASL mechanism names. */
  sasl: string[];
  user: boolean;
  /** 'NEVER' or a number of days, as sent. */
  expire?: string;
  /** Seconds. */
  loginDelay?: number;
  implementation?: string;
  respCodes: boolean;
}

/** Parses CAPA lines; `undefined` (CAPA answered -ERR) yields "unknown" for what can be tried. */
export function parseCapabilities(lines: string[] | undefined): Pop3Capabilities {
  if (lines === undefined) {
    return { raw: undefined, uidl: undefined, top: undefined, pipelining: false, stls: false, sasl: [], user: true, respCodes: false };
  }
  const caps: Pop3Capabilities = {
    raw: [...lines],
    uidl: false,
    top: false,
    pipelining: false,
    stls: false,
    sasl: [],
    user: false,
    respCodes: false,
  };
  for (const line of lines) {
    const [nameRaw, ...args] = line.trim().split(/\s+/);
    switch ((nameRaw ?? '').toUpperCase()) {
      case 'UIDL':
        caps.uidl = true;
        break;
      case 'TOP':
        caps.top = true;
        break;
      case 'PIPELINING':
        caps.pipelining = true;
        break;
      case 'STLS':
        caps.stls = true;
        break;
      case 'USER':
        caps.user = true;
        break;
      case 'RESP-CODES':
        caps.respCodes = true;
        break;
      case 'SASL':
        caps.sasl = args.map((a) => a.toUpperCase());
        break;
      case 'EXPIRE':
        if (args[0]) caps.expire = args[0].toUpperCase() === 'NEVER' ? 'NEVER' : args[0];
        break;
      case 'LOGIN-DELAY': {
        const seconds = Number(args[0]);
        if (Number.isSafeInteger(seconds) && seconds >= 0) caps.loginDelay = seconds;
        break;
      }
      case 'IMPLEMENTATION':
        caps.implementation = line.trim().slice('IMPLEMENTATION'.length).trim();
        break;
      default:
        break;
    }
  }
  return caps;
}

const WHITE_SPACE = /\s/;

/**
 * The APOP timestamp of a greeting (RFC 1939 section 7): a msg-id such as `<1896.697170952@dbc.mtview.ca.us>`.
 * Only a bracketed token with "@" and no white space counts, so text like "<server>" is not
 * mistaken for one. One pass over the greeting: the greeting arrives before TLS on STLS accounts,
 * and a pattern with two `[^<>\s]*` around the "@" took 22 s on a 200,000-character greeting of
 * "<" and "@".
 */
export function apopTimestamp(greeting: string): string | undefined {
  let start = -1;
  let hasAt = false;
  for (let i = 0; i < greeting.length; i++) {
    const c = greeting[i];
    if (c === '<') {
      start = i;
      hasAt = false;
    } else if (start < 0) {
      continue;
    } else if (c === '>') {
      if (hasAt) return greeting.slice(start, i + 1);
      start = -1;
    } else if (c === '@') {
      hasAt = true;
    } else if (WHITE_SPACE.test(c)) {
      start = -1;
    }
  }
  return undefined;
}
