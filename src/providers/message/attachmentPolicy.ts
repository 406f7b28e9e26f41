// How "Open" treats an attachment (pure, unit-tested): text-like files open in an editor tab,
// images and PDF in VS Code's own viewers; anything else is not opened (offer Save As instead).

export type OpenKind = 'text' | 'viewer' | 'none';

const TEXT_TYPES = new Set([
  'application/json',
  'application/xml',
  'application/x-patch',
  'application/x-diff',
  'application/javascript',
  'application/x-yaml',
  'application/yaml',
  'application/toml',
  'application/x-sh',
  'application/sql',
  'application/csv',
  'message/rfc822',
]);
/** Source code and text formats people mail each other; never executables or script hosts' own formats. */
const TEXT_EXTENSIONS = new Set([
  'txt', 'text', 'md', 'markdown', 'rst', 'log', 'csv', 'tsv', 'json', 'jsonc', 'xml', 'yaml', 'yml', 'toml', 'ini', 'cfg', 'conf',
  'patch', 'diff', 'c', 'h', 'cc', 'cpp', 'hpp', 'cs', 'java', 'kt', 'go', 'rs', 'py', 'rb', 'php', 'pl', 'swift', 'scala',
  'ts', 'tsx', 'js', 'jsx', 'mjs', 'cjs', 'css', 'scss', 'less', 'sql', 'sh', 'bash', 'zsh', 'ps1', 'lua', 'r', 'tex', 'eml', 'ics', 'vcf',
]);
const VIEWER_TYPES = /^(image\/(png|jpeg|gif|webp|bmp)|application\/pdf)$/;
const VIEWER_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp', 'pdf']);

export function openKind(contentType: string, filename: string): OpenKind {
  const type = contentType.toLowerCase().split(';')[0].trim();
  const ext = /\.([a-z0-9]{1,10})$/i.exec(filename.trim())?.[1]?.toLowerCase() ?? '';
  // An SVG is an image, but also a document that can carry script: never open it in a viewer.
  if (type === 'image/svg+xml' || ext === 'svg') return 'text';
  if (type.startsWith('text/') && type !== 'text/html') return 'text';
  if (TEXT_TYPES.has(type) || TEXT_EXTENSIONS.has(ext)) return 'text';
  if (VIEWER_TYPES.test(type) || (VIEWER_EXTENSIONS.has(ext) && (type === 'application/octet-stream' || type.startsWith('image/')))) return 'viewer';
  if (type === 'text/html' || ext === 'html' || ext === 'htm') return 'text';
  return 'none';
}
