// "Always load remote content from this sender": the setting `mailroom.remoteContent.allowedSenders`
// holds addresses (`news@example.com`) or whole domains (`@example.com`). Pure logic, unit-tested.

/** Whether a message from `address` opens with remote content loaded. */
export function senderAllowed(address: string, allowed: readonly unknown[]): boolean {
  const a = address.trim().toLowerCase();
  const at = a.lastIndexOf('@');
  if (at <= 0 || at === a.length - 1) return false;
  const domain = a.slice(at);
  return allowed.some((entry) => {
    if (typeof entry !== 'string') return false;
    const e = entry.trim().toLowerCase();
    return e === a || (e.startsWith('@') && e === domain);
  });
}

/** The setting's new value with `address` added (once); unchanged when it is already covered. */
export function withAllowedSender(allowed: readonly unknown[], address: string): string[] {
  const current = allowed.filter((e): e is string => typeof e === 'string');
  const a = address.trim().toLowerCase();
  if (!a.includes('@') || senderAllowed(a, current)) return current;
  return [...current, a];
}
