// The manifest's VS Code conventions (issue 15): where Mailroom runs in a remote window, and a
// walkthrough whose steps point at commands that exist and complete on real events.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

interface Manifest {
  extensionKind?: string[];
  contributes: {
    commands: Array<{ command: string }>;
    walkthroughs: Array<{ id: string; steps: Array<{ id: string; description: string; completionEvents?: string[]; media: { svg?: string; altText?: string } }> }>;
  };
}

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
const nls = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.nls.json'), 'utf8')) as Record<string, string>;
const text = (value: string): string => (/^%.+%$/.test(value) ? nls[value.slice(1, -1)] ?? '' : value);

describe('manifest conventions', () => {
  it('runs where the workspace is in a remote window (README: Remote windows)', () => {
    assert.deepEqual(manifest.extensionKind, ['workspace']);
  });

  it('the walkthrough adds an account (or shows how to try the demo), reads and replies, and checks a server, each step with media and alt text', () => {
    const [walkthrough] = manifest.contributes.walkthroughs;
    assert.deepEqual(walkthrough.steps.map((s) => s.id), ['addAccount', 'tryDemo', 'readAndReply', 'checkServer']);
    const commands = new Set([...manifest.contributes.commands.map((c) => c.command), 'workbench.view.extension.mailroom']);
    for (const step of walkthrough.steps) {
      const links = [...text(step.description).matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1]);
      assert.ok(links.length > 0, `${step.id} has a button`);
      for (const id of links) assert.ok(commands.has(id), `${step.id}: ${id} exists`);
      for (const event of step.completionEvents ?? []) {
        if (event.startsWith('onCommand:')) assert.ok(commands.has(event.slice('onCommand:'.length)), `${step.id}: ${event}`);
      }
      assert.ok(step.completionEvents?.length, `${step.id} completes on an event`);
      assert.ok(step.media.svg && fs.existsSync(path.join(ROOT, step.media.svg)), `${step.id}: ${step.media.svg}`);
      assert.ok(text(step.media.altText ?? '').length > 10, `${step.id} has alt text`);
      // Theme colours only, so the drawing follows the theme (high contrast included).
      assert.doesNotMatch(fs.readFileSync(path.join(ROOT, step.media.svg), 'utf8'), /(fill|stroke)="#/, `${step.id}: no fixed colours`);
    }
  });
});
