/** Server discovery from an email address: the public surface Add Account and mailroom-check use. */
export { discoverServers, prepareDiscovery, confirmationsFor } from './discover';
export type { DiscoverOptions } from './discover';
export { parseEmailAddress } from './address';
export { parseConfig, fillPlaceholders } from './configParser';
export { autoconfigUrls } from './autoconfigUrls';
export { guessServers } from './guesses';
export { usableSrvTargets, SRV_SERVICES } from './srv';
export type { DnsResolver } from './srv';
export type { Dial } from './dial';
export { rankCandidates, compareCandidates } from './rank';
export { renderDiscovery } from './render';
export { DISCOVERY_LIMITS } from './limits';
export { discoveryOverridesFromEnv } from './envOverrides';
export type { DiscoveryOverrides } from './envOverrides';
export type * from './types';
