/** Base subjects (RFC 5256 section 2.1, simplified): what subject merging compares. */

/** "Re:", "Fwd:", "Fw:", "[list] " prefixes, "Re[2]:", repeated, and a trailing "(fwd)". */
const PREFIX = /^\s*(?:(?:re|fwd?|aw|sv|vs)\s*(?:\[\d+\])?\s*:\s*|\[[^\]]{0,100}\]\s*)/i;

export function baseSubject(subject: string): string {
  let s = subject.replace(/\s+/g, ' ').trim();
  for (let i = 0; i < 20; i++) {
    const next = s.replace(PREFIX, '').replace(/\s*\(fwd\)\s*$/i, '');
    if (next === s) break;
    s = next;
  }
  return s.toLowerCase();
}

/** Whether the subject carries a reply or forward prefix. */
export function isReplySubject(subject: string): boolean {
  return /^\s*(?:\[[^\]]{0,100}\]\s*)*(?:re|fwd?|aw|sv|vs)\s*(?:\[\d+\])?\s*:/i.test(subject);
}
