import type * as Engine from './engine';

let cached: typeof Engine | undefined;

/**
 * The mail engine (sync, stores, POP3, the prober, discovery, OAuth, compose and sending), loaded
 * on first use so activation parses none of it. esbuild keeps `./engine` out of the host bundle
 * (see esbuild.js), so this require reads dist/engine.js; under tsc it reads out/src/engine.js.
 * Host code imports engine modules with `import type` only and takes their values from here.
 */
export function loadEngine(): typeof Engine {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  cached ??= require('./engine') as typeof Engine;
  return cached;
}
