/** The server probe's public surface: check one endpoint or scan a host, render the reports. */
export { probeEndpoint, toTarget } from './probe';
export { probeWithCredentials } from './withCredentials';
export type { ProbeInput, ProbeOptions } from './probe';
export { scanHost, scanTargets } from './scan';
export type { ScanOptions } from './scan';
export { parseProbeUrl, targetFromAccount, makeTarget, SCHEMES, SCAN_SCHEMES } from './target';
export type { ProbeTarget } from './target';
export { renderMarkdown, reportsToJson } from './render';
export { formatTranscript } from './transcript';
export { CAPABILITY_TABLE, explainCapabilities } from './explanations';
export { computeWarnings } from './warnings';
export { PROBE_LIMITS } from './limits';
