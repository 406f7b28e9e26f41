/**
 * A small tokenizer for structured header fields (RFC 5322 CFWS): comments in parentheses (nested,
 * with backslash escapes), quoted strings, words, and the specials `;` and `=`. Unterminated
 * comments and quotes end at the end of the value: hostile headers never throw.
 */
export type TokenKind = 'word' | 'quoted' | 'comment' | ';' | '=';

export interface Token {
  kind: TokenKind;
  /** Comment text without parentheses, quoted string without quotes (escapes resolved), or the word. */
  text: string;
}

export function tokenize(value: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < value.length) {
    const ch = value[i];
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === ';' || ch === '=') {
      tokens.push({ kind: ch, text: ch });
      i++;
    } else if (ch === '(') {
      let depth = 0;
      let text = '';
      for (; i < value.length; i++) {
        const c = value[i];
        if (c === '\\' && i + 1 < value.length) {
          text += value[++i];
          continue;
        }
        if (c === '(' && depth++ === 0) continue;
        if (c === ')' && --depth === 0) {
          i++;
          break;
        }
        text += c;
      }
      tokens.push({ kind: 'comment', text: text.replace(/\s+/g, ' ').trim() });
    } else if (ch === '"') {
      let text = '';
      for (i++; i < value.length && value[i] !== '"'; i++) text += value[i] === '\\' && i + 1 < value.length ? value[++i] : value[i];
      i++;
      tokens.push({ kind: 'quoted', text });
    } else {
      const start = i;
      while (i < value.length && !/[\s;=("]/.test(value[i])) i++;
      tokens.push({ kind: 'word', text: value.slice(start, i) });
    }
  }
  return tokens;
}

/** Splits tokens at top-level `;`. */
export function splitAtSemicolons(tokens: Token[]): Token[][] {
  const parts: Token[][] = [[]];
  for (const t of tokens) {
    if (t.kind === ';') parts.push([]);
    else parts[parts.length - 1].push(t);
  }
  return parts;
}
