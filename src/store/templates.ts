/**
 * Template files on disk: `*.md` (also `.markdown`, `.mail`) in the templates folders, read on
 * demand (never at activation). Bounded: at most MAX_TEMPLATES files per folder and
 * MAX_TEMPLATE_BYTES per file; symbolic links and other non-files are skipped, so a template
 * folder in a cloned repository cannot pull another file of the computer into a message.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { MailError } from '../protocol/errors';
import { templateName } from '../protocol/smtp/template';

export const MAX_TEMPLATES = 200;
export const MAX_TEMPLATE_BYTES = 64 * 1024;
const TEMPLATE_FILE = /\.(md|markdown|mail)$/i;

export interface TemplateFolder {
  dir: string;
  /** Shown beside the name: where the template comes from. */
  source: 'workspace' | 'global';
}

export interface TemplateFile {
  name: string;
  path: string;
  source: TemplateFolder['source'];
}

/** Every template of the folders, sorted by name; a folder that does not exist has none. */
export async function listTemplates(folders: readonly TemplateFolder[]): Promise<TemplateFile[]> {
  const found: TemplateFile[] = [];
  for (const folder of folders) {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(folder.dir, { withFileTypes: true });
    } catch {
      continue;
    }
    const files = entries.filter((e) => e.isFile() && TEMPLATE_FILE.test(e.name)).slice(0, MAX_TEMPLATES);
    for (const e of files) found.push({ name: templateName(e.name), path: path.join(folder.dir, e.name), source: folder.source });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name) || a.source.localeCompare(b.source));
}

/** The text of a template (UTF-8), refusing links and files over MAX_TEMPLATE_BYTES. */
export async function readTemplate(file: string): Promise<string> {
  const name = path.basename(file);
  let handle: import('node:fs/promises').FileHandle;
  try {
    // O_NOFOLLOW: a link is refused by the open itself, not by a check a swap could race.
    handle = await fs.open(file, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ELOOP' ? 'it is a link (links are not followed)' : (err as Error).message;
    throw new MailError('StorageFailed', `The template ${name} could not be read: ${why}.`, { cause: err });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new MailError('StorageFailed', `The template ${name} is not a plain file.`);
    if (stat.size > MAX_TEMPLATE_BYTES) throw new MailError('StorageFailed', `The template ${name} is larger than ${MAX_TEMPLATE_BYTES / 1024} KB; templates are meant to be short.`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
