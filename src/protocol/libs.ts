// The heavy third-party mail libraries, bundled on their own (dist/libs.js) and loaded on first
// use through loadMailLibraries(), so activating the extension never parses them.
export { ImapFlow } from 'imapflow';
export { simpleParser, MailParser } from 'mailparser';
export { createTransport } from 'nodemailer';
import MailComposer = require('nodemailer/lib/mail-composer');
import addressparser = require('nodemailer/lib/addressparser');
import sanitizeHtml = require('sanitize-html');
import MarkdownIt = require('markdown-it');
export { MailComposer, addressparser, sanitizeHtml, MarkdownIt };
