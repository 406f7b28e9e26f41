/**
 * At most `limit` connections at once from one check to one host. The TLS deep check opens dozens
 * of connections per endpoint; a scan checks up to 64 endpoints of the same host at once, so a cap
 * per endpoint is no cap for the server (fail2ban, Dovecot's login process limits, a firewall's
 * per-source limit). Every connection of a check with `tlsDeep` waits for a slot before its own
 * timers start (a wait for a slot is not the server being slow) and gives it back when closed.
 */
export class ConnectionGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** The most connections that were open at once (tests, the report's limits). */
  peak = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a connection gate needs a limit of at least 1, not ${limit}`);
  }

  /** Waits for a slot; resolves with the function that gives it back (once, however often called). */
  async acquire(): Promise<() => void> {
    while (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    this.peak = Math.max(this.peak, this.active);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.waiting.shift()?.();
    };
  }

  /** Runs `work` holding one slot; the slot is free again when `work` settles. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }
}

/** `work` through `gate` when there is one. */
export function gated<T>(gate: ConnectionGate | undefined, work: () => Promise<T>): Promise<T> {
  return gate ? gate.run(work) : work();
}

/** One gate per host name (as the user wrote it, lower-cased) for the checks of one run. */
export function hostGates(limit: number): (host: string) => ConnectionGate {
  const gates = new Map<string, ConnectionGate>();
  return (host) => {
    const key = host.toLowerCase();
    let gate = gates.get(key);
    if (!gate) gates.set(key, (gate = new ConnectionGate(limit)));
    return gate;
  };
}
