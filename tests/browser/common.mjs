// What the browser scripts share: their command line, how Chromium is
// started, the check counter and its closing line, and the watch on a page
// for console errors and failed requests.
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

// node SCRIPT BASE_URL [OUT_DIR]: the site and where screenshots go.
export function cli(script) {
  const here = dirname(fileURLToPath(import.meta.url));
  const base = (process.argv[2] || process.env.BASE_URL || '').replace(/\/+$/, '');
  const outDir = process.argv[3] || join(here, '..', 'out');
  if (!base) {
    console.error(`usage: node ${script} BASE_URL [OUT_DIR]`);
    process.exit(2);
  }
  mkdirSync(outDir, { recursive: true });
  return { base, outDir };
}

export function ensure(cond, msg) {
  if (!cond) throw new Error(msg);
}

// One line per check ("ok" or "FAIL name: reason"), then finish() prints
// "N passed, N failed" and exits 1 if anything failed.
export function checker() {
  let passed = 0;
  let failed = 0;
  const firstLine = (e) => (e && e.message ? e.message : String(e)).split('\n')[0];
  return {
    async check(name, fn) {
      try {
        await fn();
        passed++;
        console.log(`ok   ${name}`);
      } catch (e) {
        failed++;
        console.log(`FAIL ${name}: ${firstLine(e)}`);
      }
    },
    abort(e) {
      failed++;
      console.log(`FAIL browser run aborted: ${firstLine(e)}`);
    },
    finish(outDir) {
      console.log(`screenshots in ${outDir}`);
      console.log(`${passed} passed, ${failed} failed`);
      process.exit(failed ? 1 : 0);
    },
  };
}

// Records on PROBLEMS, as "label: what", console errors, page errors,
// failed sub-requests and sub-requests answered 400 or more.  LABEL is a
// string or a function giving the current one.  A document answered 4xx
// is left to the checks (the 404 page is fetched on purpose).
export function watch(page, problems, label) {
  const now = () => (typeof label === 'function' ? label() : label);
  page.on('console', (m) => {
    if (m.type() === 'error') {
      const loc = m.location() && m.location().url ? ` (${m.location().url})` : '';
      problems.push(`${now()}: console error: ${m.text()}${loc}`);
    }
  });
  page.on('pageerror', (e) => problems.push(`${now()}: page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    const why = r.failure() && r.failure().errorText;
    // Chromium cancels a page's icon load when the test navigates on
    // before it finished: that is the browser, not the site.
    if (why === 'net::ERR_ABORTED' && r.resourceType() !== 'document' &&
        /\/favicon\.svg/.test(r.url())) return;
    problems.push(`${now()}: request failed: ${r.url()} (${why})`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && r.request().resourceType() !== 'document') {
      problems.push(`${now()}: ${r.status()} for ${r.url()}`);
    }
  });
  return page;
}
