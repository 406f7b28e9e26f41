import type { Dial } from '../http/dial';

export { systemDial } from '../http/dial';
export type { Dial } from '../http/dial';

/** One lookup per host and port while one discovery runs: a dozen guesses share a few names. */
export function memoDial(dial: Dial): Dial {
  const seen = new Map<string, Promise<{ address: string; port: number }>>();
  return (host, port) => {
    const key = `${host.toLowerCase()}:${port}`;
    let found = seen.get(key);
    if (!found) {
      found = dial(host, port);
      seen.set(key, found);
    }
    return found;
  };
}
