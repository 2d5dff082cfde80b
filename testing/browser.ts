/**
 * Debian's Chromium driven by playwright-core (which downloads no browser), with what a test
 * needs to hold a page to "no uncaught error, no failed request but the expected ones".
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}

/** Collects a page's uncaught errors, console errors and failed requests. */
export function watchPage(page: Page): { problems: string[] } {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return { problems };
}

export interface SignedIn {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Uncaught errors, console errors, failed requests and HTTP errors, as they come. */
  readonly problems: string[];
  /** The requests aborted because they would leave the machine. */
  readonly outside: string[];
}

/**
 * A new context of `browser` on `baseUrl + target`, signed in as guest through the sign-in page
 * (the layers must offer guest). Every request to another origin, and any other that `leaves`
 * says would leave the machine, is aborted and recorded in `outside`; the page's problems are
 * collected from the start.
 */
export async function signInAsGuest(
  browser: Browser,
  baseUrl: string,
  target: string,
  leaves: (url: URL) => boolean = () => false,
): Promise<SignedIn> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const outside: string[] = [];
  await context.route(
    (url) => url.origin !== baseUrl || leaves(url),
    async (route) => {
      outside.push(route.request().url());
      await route.abort();
    },
  );
  const page = await context.newPage();
  const { problems } = watchPage(page);
  // Any page of the app asks to sign in first, then shows itself.
  await page.goto(`${baseUrl}${target}`);
  await page.getByText('Enter as a Guest User').waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Enter' }).click();
  await page.getByText('Enter as a Guest User').waitFor({ state: 'detached', timeout: 60_000 });
  return { context, page, problems, outside };
}

/** The problems but those of the aborted requests that would leave the machine. */
export const unexpected = (s: SignedIn): string[] =>
  s.problems.filter((p) => !s.outside.some((u) => p.includes(u)));
