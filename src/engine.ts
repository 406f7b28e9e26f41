// The engine bundle (dist/engine.js): everything the host needs from src/protocol, src/store and
// src/patch, loaded on first use through loadEngine() (src/loadEngine.ts), never at activation.
// The host reaches these values only through loadEngine(); its imports of these modules are
// `import type`. To add a lazily loaded engine: export its entry points here (DEVELOPERS.md).

// IMAP: the sync engine and its stores
export { ImapAccount } from './protocol/imap/imapAccount';
export { ImapSupervisor } from './protocol/imap/supervisor';
export { BodyCache } from './store/bodyCache';
export { ConnectionLeases } from './store/connectionLeases';
export { FolderListCache } from './store/folderListCache';
export { HeaderCache } from './store/headerCache';
export { dropOfflineQueue, OfflineQueue } from './store/offlineQueue';
export { ImapAccountSession } from './protocol/imap/session';

// POP3 and TLS checks (Add Account's test, certificate prompts)
export { connectPop3 } from './protocol/pop3';
export { fetchPeerCertificate } from './protocol/tls/certificate';

// OAuth2
export { discoverEndpoints, GOOGLE_ENDPOINTS, microsoftEndpoints, PRESETS, scopesFor } from './protocol/oauth/provider';
export { OAuthTokenSource } from './protocol/oauth/tokenSource';
export { pollDeviceToken, startDeviceAuthorization } from './protocol/oauth/tokens';
export { signInWithBrowser } from './protocol/oauth/browserSignIn';

// Discovery (Add Account from an address)
export { discoverServers, discoveryOverridesFromEnv, parseEmailAddress } from './protocol/discovery';
export { accountFromDiscovery, describeEndpoint, describeSource, discoveryOutcome, offeredCandidates, refusedConfigs, signInPlan } from './protocol/discovery/setupPlan';

// Folder helpers the commands use
export { flattenFolders, relativeFolderPaths } from './protocol/imap/folders';

// Compose and sending
export { ComposeStore, digest, safeFileName } from './store/composeStore';
export { Outbox } from './store/outbox';
export { formatAddress, formatAddressList, parseAddressList } from './protocol/smtp/address';
export { addressFieldAt, headerLineOf, parseComposeDocument, parseMailto, serializeComposeDocument } from './protocol/smtp/composeDocument';
export { buildMimeMessage } from './protocol/smtp/buildMessage';
export { deliver } from './protocol/smtp/deliver';
export { imapMailboxSide } from './protocol/smtp/imapMailbox';
export { sendWithCredentials, smtpConfigOf } from './protocol/smtp/send';
export { buildForward, buildReply } from './protocol/smtp/reply';
export { expandTemplate, leftoverPlaceholders } from './protocol/smtp/template';
export { listTemplates, readTemplate } from './store/templates';

// Messages: parsing, attachments, sanitizing, headers, patches
export { parseMessageStream } from './protocol/mime/parseMessageStream';
export { streamAttachment } from './protocol/mime/attachments';
export { safeFilename } from './protocol/mime/safeFilename';
export { sanitizeMessageHtml } from './protocol/mime/sanitizeHtml';
export { parseAuthenticationResults } from './protocol/mime/authResults';
export { parseReceivedChain } from './protocol/mime/receivedChain';
export { findPatch, isMailboxPatch } from './protocol/mime/patch';
export { applyPatch, repositoryRoot } from './patch/gitAm';

// POP3 accounts
export { checkMail, fetchFullBody, Pop3Cache } from './store/pop3';

// The prober (Check Server, Check Domain, reports)
export { parseProbeUrl, probeEndpoint, probeWithCredentials, scanTargets, targetFromAccount } from './protocol/probe';
export { checkDomain, createDomainResolver, domainReportToJson, normalizeDomain, renderDomainMarkdown } from './protocol/probe/domain';
export { domainSummaryView } from './protocol/probe/domain/render';
export { runBehaviour } from './protocol/probe/behaviour';
export { formatTranscript } from './protocol/probe/transcript';
export { renderMarkdown, reportsToJson } from './protocol/probe/render';
export { diffReports } from './protocol/probe/diff';
export { renderDiff } from './protocol/probe/diffRender';
export { checkSize, parseReportText } from './protocol/probe/reportFile';

// Calendar invitations (the message panel's card, answering)
export { parseInvitation } from './protocol/calendar/invitation';
export { buildReplyMessage, cannotAnswer } from './protocol/calendar/reply';

// Conversations (threads of a folder shown by conversation)
export { FolderThreads, parseMessageKey } from './protocol/threads/folderThreads';

// Local search (the index over the caches, built on the first search)
export { LocalSearchIndex } from './store/search/localIndex';
export { cacheSources } from './store/search/cacheSources';
