// Node built-ins that take milliseconds to load the first time (crypto about 3 ms, stream, os and
// url about 0.5 ms each, measured through the activation probe), required where they are used
// rather than at the top of a host module, so activation does not pay for them. Node caches each
// module after its first require.
/* eslint-disable @typescript-eslint/no-require-imports */
export const lazyNode = {
  crypto: (): typeof import('node:crypto') => require('node:crypto') as typeof import('node:crypto'),
  os: (): typeof import('node:os') => require('node:os') as typeof import('node:os'),
  stream: (): typeof import('node:stream') => require('node:stream') as typeof import('node:stream'),
  url: (): typeof import('node:url') => require('node:url') as typeof import('node:url'),
};
