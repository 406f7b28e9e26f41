// The patch runner against real git in temporary repositories: a mailed patch is committed with its
// author and subject, a conflicting one is rolled back with `git am --abort`, a bare diff is staged.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyPatch, repositoryRoot, runGit } from '../../src/patch/gitAm';
import { buildMessage } from '../fixtures/messages';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
}

describe('applying mailed patches with git', function () {
  this.timeout(60_000);
  let root: string;
  let repo: string;
  let patchFile: Buffer;
  let bareDiff: Buffer;

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-gitam-'));
    repo = path.join(root, 'repo');
    fs.mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'config', 'user.name', 'Repo Owner');
    git(repo, 'config', 'user.email', 'owner@example.test');
    git(repo, 'config', 'commit.gpgsign', 'false');
    fs.writeFileSync(path.join(repo, 'hello.txt'), 'one\ntwo\nthree\n');
    git(repo, 'add', 'hello.txt');
    git(repo, 'commit', '-q', '-m', 'initial');
    // A patch made elsewhere: change a line, format-patch it, then drop the commit again.
    fs.writeFileSync(path.join(repo, 'hello.txt'), 'one\nTWO\nthree\n');
    git(repo, '-c', 'user.name=Patch Author', '-c', 'user.email=author@example.test', 'commit', '-q', '-am', 'Shout the second line');
    patchFile = Buffer.from(git(repo, 'format-patch', '-1', '--stdout'));
    bareDiff = Buffer.from(git(repo, 'diff', 'HEAD~1', 'HEAD'));
    git(repo, 'reset', '-q', '--hard', 'HEAD~1');
  });

  after(() => fs.rmSync(root, { recursive: true, force: true }));

  afterEach(() => {
    git(repo, 'reset', '-q', '--hard', 'main');
  });

  it('commits a format-patch mail with its author and subject (git am --3way)', async () => {
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    const outcome = await applyPatch({ cwd: repo, patch: patchFile, kind: 'mailbox' });
    assert.equal(outcome.ok, true, outcome.output);
    assert.equal(outcome.method, 'am');
    assert.equal(git(repo, 'log', '-1', '--format=%an <%ae>|%s').trim(), 'Patch Author <author@example.test>|Shout the second line');
    assert.equal(fs.readFileSync(path.join(repo, 'hello.txt'), 'utf8'), 'one\nTWO\nthree\n');
    git(repo, 'reset', '-q', '--hard', head);
  });

  it('applies the patch from a message a mail client received (headers + diff in the body)', async () => {
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    const diffOnly = bareDiff.toString('utf8');
    const mail = buildMessage({
      from: { name: 'List Poster', address: 'poster@example.test' },
      to: [{ address: 'list@example.test' }],
      subject: '[PATCH] hello: shout the second line',
      date: new Date(Date.UTC(2024, 4, 1, 10, 0, 0)),
      messageId: 'patch-1@test.mailroom',
      body: { kind: 'text', text: `Makes it louder.\n\n---\n${diffOnly}` },
    });
    const outcome = await applyPatch({ cwd: repo, patch: mail, kind: 'mailbox' });
    assert.equal(outcome.ok, true, outcome.output);
    assert.equal(git(repo, 'log', '-1', '--format=%an|%s').trim(), 'List Poster|hello: shout the second line');
    git(repo, 'reset', '-q', '--hard', head);
  });

  it('rolls back a patch that does not apply and reports git’s message', async () => {
    fs.writeFileSync(path.join(repo, 'hello.txt'), 'completely\ndifferent\n');
    git(repo, 'commit', '-q', '-am', 'diverge');
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    const outcome = await applyPatch({ cwd: repo, patch: patchFile, kind: 'mailbox' });
    assert.equal(outcome.ok, false);
    assert.equal(outcome.aborted, true);
    assert.match(outcome.output, /patch failed|could not|conflict|does not apply/i);
    assert.equal(git(repo, 'rev-parse', 'HEAD').trim(), head, 'no commit made');
    assert.equal(fs.existsSync(path.join(repo, '.git', 'rebase-apply')), false, 'no am in progress left behind');
    assert.equal(git(repo, 'status', '--porcelain').trim(), '', 'work tree clean');
    git(repo, 'reset', '-q', '--hard', 'HEAD~1');
  });

  it('stages a bare diff with git apply --index without committing', async () => {
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    const outcome = await applyPatch({ cwd: repo, patch: bareDiff, kind: 'diff' });
    assert.equal(outcome.ok, true, outcome.output);
    assert.equal(outcome.method, 'apply');
    assert.equal(git(repo, 'rev-parse', 'HEAD').trim(), head);
    assert.equal(git(repo, 'diff', '--cached', '--name-only').trim(), 'hello.txt');
  });

  it('fails cleanly outside a repository and finds the top of one from a subfolder', async () => {
    const outside = fs.mkdtempSync(path.join(root, 'plain-'));
    const outcome = await applyPatch({ cwd: outside, patch: bareDiff, kind: 'diff' });
    assert.equal(outcome.ok, false);
    assert.match(outcome.output, /not a git repository|outside a repository/i);
    fs.mkdirSync(path.join(repo, 'sub'), { recursive: true });
    assert.equal(fs.realpathSync(String(await repositoryRoot(path.join(repo, 'sub')))), fs.realpathSync(repo));
    assert.equal(await repositoryRoot(outside), undefined);
  });

  it('stops a stuck git am at the time limit and rolls it back', async () => {
    const hook = path.join(repo, '.git', 'hooks', 'applypatch-msg');
    fs.mkdirSync(path.dirname(hook), { recursive: true });
    fs.writeFileSync(hook, '#!/bin/sh\nsleep 30\n', { mode: 0o755 });
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    try {
      const started = Date.now();
      const outcome = await applyPatch({ cwd: repo, patch: patchFile, kind: 'mailbox', timeoutMs: 1000 });
      assert.ok(Date.now() - started < 20_000, 'returned long before the hook would finish');
      assert.equal(outcome.ok, false);
      assert.match(outcome.output, /time limit/);
      assert.equal(git(repo, 'rev-parse', 'HEAD').trim(), head);
    } finally {
      fs.rmSync(hook, { force: true });
    }
    // The killed am may leave its state behind; a later abort (or this check) must see none after cleanup.
    await runGit(['am', '--abort'], repo, undefined, 10_000);
    assert.equal(fs.existsSync(path.join(repo, '.git', 'rebase-apply')), false);
  });
});
