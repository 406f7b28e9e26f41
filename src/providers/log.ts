import * as vscode from 'vscode';
import { ProtocolLog, redactSecrets } from '../protocol/log';

/** The one "Mailroom" LogOutputChannel, seen by the protocol layer as a ProtocolLog. */
export function createOutputLog(channel: vscode.LogOutputChannel): ProtocolLog {
  return {
    trace: (m) => channel.trace(redactSecrets(m)),
    debug: (m) => channel.debug(redactSecrets(m)),
    info: (m) => channel.info(redactSecrets(m)),
    warn: (m) => channel.warn(redactSecrets(m)),
    error: (m) => channel.error(redactSecrets(m)),
  };
}
