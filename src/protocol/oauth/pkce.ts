/**
 * PKCE (RFC 7636) and the `state` parameter for the authorization code flow of an installed app.
 * The verifier is 32 random bytes (43 base64url characters, inside RFC 7636's 43..128), the
 * challenge its S256 hash; `plain` is never used.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface PkcePair {
  verifier: string;
  challenge: string;
  method: 'S256';
}

export function createPkce(): PkcePair {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: s256(verifier), method: 'S256' };
}

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** An unguessable value bound to one authorization request (CSRF protection, RFC 6749 10.12). */
export function createState(): string {
  return randomBytes(24).toString('base64url');
}
