/** The POP3 client: byte-exact framing, explicit state machine, STLS/TLS, APOP and SASL. */
export { connectPop3, type Pop3ConnectOptions } from './connect';
export type { Pop3Session, Pop3State } from './client';
export type { Pop3Capabilities } from './capabilities';
export type { Pop3AuthMethod } from './auth';
export { DEFAULT_POP3_LIMITS, DEFAULT_POP3_PACE, type Pop3Limits, type Pop3Pace } from './limits';
