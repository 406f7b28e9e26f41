/** The server probe's public surface: check one endpoint or scan a host, render the reports. */
export { probeEndpoint, toTarget } from './probe';
export type { ProbeInput, ProbeOptions } from './probe';
export { scanHost, scanTargets } from './scan';
export { parsePortList } from './ports';
export type { ScanEndpoint } from './ports';
export { reportsToJunit } from './junit';
export { diffReports, diffFails } from './diff';
export type { ReportDiff, EndpointDiff } from './diff';
export { renderDiff } from './diffRender';
export { parseReportText, readReportFile, MAX_REPORT_FILE_BYTES } from './reportFile';
export type { ScanOptions } from './scan';
export { parseProbeUrl, targetFromAccount, makeTarget, SCHEMES, SCAN_SCHEMES } from './target';
export type { ProbeTarget } from './target';
export { renderMarkdown, reportsToJson } from './render';
export { formatTranscript } from './transcript';
export { CAPABILITY_TABLE, explainCapabilities } from './explanations';
export { computeWarnings } from './warnings';
export { PROBE_LIMITS } from './limits';
