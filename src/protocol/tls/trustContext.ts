import * as tls from 'node:tls';

const cache = new Map<string, tls.SecureContext>();
const MAX_CONTEXTS = 8;

/**
 * A client SecureContext trusting Node's bundled roots plus `extraCa` (PEM), built once per CA
 * list. Building one parses ~140 root certificates, about 70 ms of CPU: done per connection, a
 * discovery that opens twenty connections at once spends over a second on it, and everything
 * else waits behind it on the event loop.
 */
export function contextWithExtraCa(extraCa: readonly string[]): tls.SecureContext {
  const key = extraCa.join('\n');
  let context = cache.get(key);
  if (!context) {
    context = tls.createSecureContext({ ca: [...tls.rootCertificates, ...extraCa] });
    if (cache.size >= MAX_CONTEXTS) cache.delete(cache.keys().next().value as string);
    cache.set(key, context);
  }
  return context;
}

let defaultContext: tls.SecureContext | undefined;

/**
 * The client SecureContext tls.connect would otherwise build for each connection from default
 * options (Node's roots, default versions and suites), built once. A context holds no client
 * sessions to resume (Node resumes only a session passed in explicitly), so sharing it changes
 * nothing a handshake shows; it saves the context set-up (~1 ms of main-thread CPU) per handshake
 * when a scan starts several at once.
 */
export function defaultClientContext(): tls.SecureContext {
  defaultContext ??= tls.createSecureContext();
  return defaultContext;
}
