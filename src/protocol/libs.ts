// The heavy third-party mail libraries, bundled on their own (dist/libs.js) and loaded on first
// use through loadMailLibraries(), so activating the extension never parses them.
export { ImapFlow } from 'imapflow';
export { simpleParser, MailParser } from 'mailparser';
export { createTransport } from 'nodemailer';
export { default as MailComposer } from 'nodemailer/lib/mail-composer';
export { default as addressparser } from 'nodemailer/lib/addressparser';
export { default as sanitizeHtml } from 'sanitize-html';
export { default as MarkdownIt } from 'markdown-it';
export { default as libmime } from 'libmime';
