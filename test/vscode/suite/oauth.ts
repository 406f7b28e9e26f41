// The sign-in pages the workbench opens, acted on by the code-server runner's browser (see
// runners/oauthPages.ts), and the notification buttons a person clicks during a sign-in.
import { post } from './harness';

function serviceUrl(): string {
  const base = process.env.MAILROOM_SCREENSHOT_URL;
  if (!base) throw new Error('MAILROOM_SCREENSHOT_URL is not set: acting on sign-in pages needs the code-server runner');
  return base;
}

/** Keeps the pages the workbench opens from now on; returns the mark to pass to actOnSignInPages. */
export async function keepOpenedPages(keep = true): Promise<number> {
  return (JSON.parse(await post(`${serviceUrl()}/popups/keep`, JSON.stringify({ keep }))) as { mark: number }).mark;
}

export interface SignInPagesRequest {
  mark: number;
  login: string;
  password?: string;
  userCode?: string;
  decline?: boolean;
  /** Screenshot prefix: test-results/<shots>-<n>-<step>.png. */
  shots: string;
  timeoutMs?: number;
}

export interface SignInPagesResult {
  steps: Array<{ url: string; action: string; shot: string }>;
  finalUrl: string;
  finalText: string;
}

/** Waits for the page the workbench opened after `mark` and fills it in as a person would. */
export async function actOnSignInPages(request: SignInPagesRequest): Promise<SignInPagesResult> {
  return JSON.parse(await post(`${serviceUrl()}/oauth/act`, JSON.stringify(request))) as SignInPagesResult;
}

export { clickNotificationButton } from './input';
