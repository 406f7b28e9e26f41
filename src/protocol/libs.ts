// The heavy third-party mail libraries, bundled on their own (dist/libs.js) and loaded on first
// use through loadMailLibraries(), so activating the extension never parses them.
export { ImapFlow } from 'imapflow';
export { simpleParser } from 'mailparser';
