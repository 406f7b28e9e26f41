/**
 * The SASL initial responses that carry an OAuth 2.0 bearer token, unencoded (callers base64 them
 * or hand them to a library that does):
 * - XOAUTH2 (Google's and Microsoft's): `user=<user>^Aauth=Bearer <token>^A^A`
 * - OAUTHBEARER (RFC 7628): a GS2 header naming the user, then host, port and auth key-values.
 * Both are secrets as a whole; log them as "(secret)".
 */
export type OAuthMechanism = 'XOAUTH2' | 'OAUTHBEARER';

export function xoauth2Response(user: string, accessToken: string): string {
  return `user=${user}\x01auth=Bearer ${accessToken}\x01\x01`;
}

/** RFC 7628 section 3.1; the authzid in the GS2 header escapes ',' and '=' (RFC 5801). */
export function oauthBearerResponse(user: string, accessToken: string, host: string, port: number): string {
  const authzid = user.replace(/=/g, '=3D').replace(/,/g, '=2C');
  return `n,a=${authzid},\x01host=${host}\x01port=${port}\x01auth=Bearer ${accessToken}\x01\x01`;
}

/** OAUTHBEARER where the server offers it (the standard), else XOAUTH2, else undefined. */
export function chooseOAuthMechanism(offered: readonly string[]): OAuthMechanism | undefined {
  const upper = new Set(offered.map((m) => m.toUpperCase()));
  if (upper.has('OAUTHBEARER')) return 'OAUTHBEARER';
  if (upper.has('XOAUTH2')) return 'XOAUTH2';
  return undefined;
}
