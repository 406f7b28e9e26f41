/** The mail-domain check's public surface. */
export { checkDomain, normalizeDomain } from './check';
export type { DomainCheckOptions } from './check';
export { createDomainResolver } from './resolver';
export type { DomainResolver } from './resolver';
export { renderDomainMarkdown, domainReportToJson } from './render';
export { DOMAIN_FINDING_FIXES } from './explanations';
export { DOMAIN_LIMITS } from './limits';
export type * from './types';
