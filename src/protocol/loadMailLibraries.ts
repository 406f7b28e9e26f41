import type * as Libs from './libs';

let cached: typeof Libs | undefined;

/**
 * imapflow, mailparser, nodemailer, sanitize-html and markdown-it, loaded on first use. esbuild keeps `./libs` out of the host bundle
 * (see esbuild.js), so this require reads dist/libs.js; under tsc it reads out/…/libs.js.
 */
export function loadMailLibraries(): typeof Libs {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  cached ??= require('./libs') as typeof Libs;
  return cached;
}
