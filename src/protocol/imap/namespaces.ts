/**
 * IMAP namespaces (RFC 2342). A server names the user's own folders under a personal prefix
 * (Courier, Cyrus and many Dovecot setups use "INBOX." so Sent is "INBOX.Sent"; others use "",
 * so Sent is "Sent"), and may offer other users' folders ("Users.bob.") and shared or public
 * ones ("Public.") under their own prefixes.
 *
 * Mailroom keeps the full path, as LIST reports it, for every command, and only the tree shows
 * folders relative to their namespace: personal folders at the top level beside INBOX, each other
 * namespace as one top-level node of its own.
 */
import type { ImapFlow } from 'imapflow';

export type NamespaceKind = 'personal' | 'other' | 'shared';

export interface Namespace {
  kind: NamespaceKind;
  /** Ends with the delimiter when the namespace has a hierarchy ("INBOX.", "Public/"), or "". */
  prefix: string;
  /** Hierarchy delimiter; undefined for a flat namespace (NIL) or when unknown. */
  delimiter: string | undefined;
}

/** The namespaces of one server: exactly one personal namespace first, then the others as reported. */
export type Namespaces = readonly Namespace[];

/** A server that reports no NAMESPACE: one personal namespace without a prefix. */
export function defaultNamespaces(delimiter?: string): Namespaces {
  return [{ kind: 'personal', prefix: '', delimiter }];
}

const captured = new WeakMap<ImapFlow, Namespaces>();

/**
 * Reads the namespaces imapflow fetched at login and, from then on, makes imapflow send every path
 * exactly as given. imapflow otherwise prepends the personal prefix to any path that lacks it
 * (and uses that prefix as LIST's reference), so with a prefix such as "INBOX." a folder in
 * another namespace ("Public.News") became "INBOX.Public.News" and LIST never showed it. Every
 * path Mailroom sends is a full path from LIST or one it built with the prefix (`childPath`), so
 * nothing needs imapflow's guess. Call once, right after login; later calls return the same.
 */
export function adoptNamespaces(client: ImapFlow): Namespaces {
  const known = captured.get(client);
  if (known) return known;
  const namespaces = fromImapflow(client);
  captured.set(client, namespaces);
  const personal = namespaces[0];
  client.namespace = { prefix: '', delimiter: personal.delimiter ?? client.namespace?.delimiter };
  return namespaces;
}

/** The namespaces captured for this connection (adopting them now if nobody has yet). */
export function namespacesOf(client: ImapFlow): Namespaces {
  return captured.get(client) ?? adoptNamespaces(client);
}

function fromImapflow(client: ImapFlow): Namespaces {
  const map = client.namespaces;
  const first = map?.personal?.[0] ?? client.namespace;
  const personal: Namespace = { kind: 'personal', prefix: first?.prefix ?? '', delimiter: first?.delimiter ?? undefined };
  const rest: Namespace[] = [];
  for (const [kind, list] of [
    ['personal', map?.personal?.slice(1)],
    ['other', map?.other],
    ['shared', map?.shared],
  ] as const) {
    for (const ns of list || []) {
      // A second namespace with an empty prefix would claim every path; the first personal one owns those.
      if (ns.prefix) rest.push({ kind, prefix: ns.prefix, delimiter: ns.delimiter ?? undefined });
    }
  }
  return [personal, ...rest];
}

/** The personal namespace (always present). */
export function personalNamespace(namespaces: Namespaces): Namespace {
  return namespaces.find((n) => n.kind === 'personal') ?? defaultNamespaces()[0];
}

/**
 * The namespace `path` belongs to: the longest prefix it starts with. INBOX is always personal
 * (RFC 3501: the name is reserved, whatever the prefix); the personal namespace's root written
 * without its trailing delimiter ("INBOX" for "INBOX.") belongs to it too. Undefined when the
 * personal prefix is not empty and the path is in no namespace the server reported.
 */
export function namespaceOf(path: string, namespaces: Namespaces): Namespace | undefined {
  if (path.toUpperCase() === 'INBOX') return personalNamespace(namespaces);
  let best: Namespace | undefined;
  for (const ns of namespaces) {
    if (!path.startsWith(ns.prefix) && path !== rootPath(ns)) continue;
    if (!best || ns.prefix.length > best.prefix.length) best = ns;
  }
  return best;
}

/** The namespace's own name without its trailing delimiter ("Public." -> "Public"), as LIST shows it. */
export function rootPath(ns: Namespace): string {
  return ns.delimiter && ns.prefix.endsWith(ns.delimiter) ? ns.prefix.slice(0, -ns.delimiter.length) : ns.prefix;
}

/** `path` without its namespace prefix ("INBOX.Projects.Mailroom" -> "Projects.Mailroom"). */
export function relativePath(path: string, namespaces: Namespaces): string {
  const ns = namespaceOf(path, namespaces);
  return ns && ns.prefix && path.startsWith(ns.prefix) ? path.slice(ns.prefix.length) : path;
}

/**
 * The full path of a new folder `name` under `parentPath`, or at the top level of the personal
 * namespace (under its prefix: "INBOX.Name" on a server whose prefix is "INBOX.").
 */
export function childPath(parentPath: string | undefined, name: string, delimiter: string, namespaces: Namespaces): string {
  return parentPath ? `${parentPath}${delimiter}${name}` : `${personalNamespace(namespaces).prefix}${name}`;
}
