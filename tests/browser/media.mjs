// Browser checks of articles' own files and the table of contents, with
// headless Chromium.
//
//   node media.mjs BASE_URL [OUT_DIR]
//
// run.sh serves a copy of the sample site plus "pics" (an article with one
// image of every type, tests/fixtures/images/).  Checks: every image of an
// article is loaded (naturalWidth > 0); nothing moves while images load
// (they arrive late on purpose, and the page height and the positions of
// the headings do not change, and no layout shift is reported); the
// contents links move keyboard focus to their section; a heading's link
// shows on focus.  Screenshots: media-desktop.png, media-desktop-dark.png,
// media-phone.png, media-phone-dark.png of an article with diagrams (a
// sample article with own files when there is one, else "pics").
// Prints one line per check, then "N passed, N failed".
import { chromium } from 'playwright-core';
import { join } from 'node:path';
import { ARGS, CHROMIUM, checker, cli, ensure, watch } from './common.mjs';

const { base, outDir } = cli('media.mjs');
const { check, abort, finish } = checker();
const problems = [];
let label = '';

// Own images of the page: src under /articles/SLUG/.
async function ownImages(page) {
  return page.evaluate(() => [...document.querySelectorAll('.prose img')]
    .filter((i) => /\/articles\/[^/]+\/[^/?]+\?v=/.test(i.getAttribute('src')))
    .map((i) => ({ src: i.getAttribute('src'), w: i.getAttribute('width'),
      h: i.getAttribute('height'), natural: i.naturalWidth, complete: i.complete })));
}

// Scrolls through the page so that lazy images load, then waits for all.
async function loadAll(page) {
  await page.evaluate(async () => {
    for (let y = 0; y < document.documentElement.scrollHeight; y += 400) {
      window.scrollTo(0, y);
      await new Promise((r) => setTimeout(r, 30));
    }
    await Promise.all([...document.images].map((i) => (i.complete ? null
      : new Promise((r) => { i.onload = r; i.onerror = r; }))));
    window.scrollTo(0, 0);
  });
}

// A sample article with own files, for the screenshots; "pics" if none.
async function diagramArticle(page) {
  const res = await page.goto(`${base}/feed.json`);
  const feed = JSON.parse(await res.text());
  const withImages = feed.items.filter((i) => i.image && !/\/articles\/pics\//.test(i.url));
  return withImages.length ? new URL(withImages[0].url).pathname : '/articles/pics/';
}

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = watch(await ctx.newPage(), problems, () => label);
  const slowPage = watch(await ctx.newPage(), problems, () => label);

  await check('every image of the article is loaded (naturalWidth > 0) and sized', async () => {
    label = 'pics';
    await page.goto(`${base}/articles/pics/`);
    await loadAll(page);
    const imgs = await ownImages(page);
    ensure(imgs.length === 7, `${imgs.length} own images, want 7`);
    const bad = imgs.filter((i) => !(i.natural > 0) || !i.w || !i.h);
    ensure(bad.length === 0, `not loaded or without size: ${bad.map((i) => i.src).join(', ')}`);
    const mine = problems.filter((p) => p.startsWith('pics:'));
    ensure(mine.length === 0, mine.slice(0, 3).join(' | '));
  });

  await check('no layout shift while images load (they arrive late)', async () => {
    label = 'slow';
    await slowPage.route(/\/articles\/pics\/[^/]+\.(png|jpg|gif|webp|avif|svg)/, async (route) => {
      await new Promise((r) => setTimeout(r, 1000));
      await route.continue();
    });
    await slowPage.addInitScript(() => {
      window.__shift = 0;
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) if (!e.hadRecentInput) window.__shift += e.value;
      }).observe({ type: 'layout-shift', buffered: true });
    });
    await slowPage.goto(`${base}/articles/pics/`, { waitUntil: 'domcontentloaded' });
    // measured once the stylesheet applies, while the images still wait
    await slowPage.waitForFunction(() => [...document.querySelectorAll('link[rel="stylesheet"]')]
      .every((l) => l.sheet));
    const geometry = () => slowPage.evaluate(() => ({
      height: document.documentElement.scrollHeight,
      heads: [...document.querySelectorAll('.prose h2, .prose h3')]
        .map((h) => Math.round(h.getBoundingClientRect().top + window.scrollY)),
      pending: [...document.querySelectorAll('.prose img')].filter((i) => !i.complete).length,
    }));
    const before = await geometry();
    ensure(before.pending > 0, 'the images were already loaded: nothing was measured');
    await loadAll(slowPage);
    const after = await geometry();
    ensure(after.pending === 0, `${after.pending} images still loading`);
    ensure(before.height === after.height, `page height ${before.height} -> ${after.height}`);
    ensure(JSON.stringify(before.heads) === JSON.stringify(after.heads),
      `headings moved: ${before.heads} -> ${after.heads}`);
    const shift = await slowPage.evaluate(() => window.__shift);
    ensure(shift < 0.001, `cumulative layout shift ${shift}`);
  });

  await check('the contents links move keyboard focus to their section', async () => {
    label = 'toc';
    await page.goto(`${base}/articles/pics/`);
    const links = await page.$$eval('nav[aria-label="Contents"] a', (as) => as.map((a) => a.getAttribute('href')));
    ensure(links.length === 5, `${links.length} contents links, want 5 (3 h2, 2 h3)`);
    const nested = await page.$$eval('nav[aria-label="Contents"] ol ol a', (as) => as.length);
    ensure(nested === 2, `${nested} nested (h3) links, want 2`);
    for (const href of [links[0], links[4]]) {
      await page.focus(`nav[aria-label="Contents"] a[href="${href}"]`);
      await page.keyboard.press('Enter');
      await page.waitForTimeout(150);
      const active = await page.evaluate(() => document.activeElement && document.activeElement.id);
      ensure(`#${active}` === href, `after Enter on ${href} focus is on #${active}`);
      const top = await page.evaluate((id) => document.getElementById(id).getBoundingClientRect().top, href.slice(1));
      ensure(top >= 0 && top < 200, `${href} is at ${top}px, not at the top of the viewport`);
    }
  });

  await check('a heading\'s own link is hidden until hover or focus', async () => {
    label = 'anchor';
    await page.goto(`${base}/articles/pics/`);
    const op = (sel) => page.$eval(sel, (e) => getComputedStyle(e).opacity);
    await page.mouse.move(0, 0);
    ensure(await op('.prose h2 .heading-link') === '0', 'visible without hover or focus');
    await page.focus('.prose h2 .heading-link');
    await page.waitForTimeout(250);
    ensure(await op('.prose h2 .heading-link') === '1', 'not visible on focus');
  });

  const target = await diagramArticle(page);
  for (const [name, viewport, scheme] of [
    ['media-desktop', { width: 1280, height: 900 }, 'light'],
    ['media-desktop-dark', { width: 1280, height: 900 }, 'dark'],
    ['media-phone', { width: 390, height: 844 }, 'light'],
    ['media-phone-dark', { width: 390, height: 844 }, 'dark'],
  ]) {
    await check(`screenshot ${name} (${target})`, async () => {
      label = name;
      const c = await browser.newContext({ viewport, colorScheme: scheme,
        deviceScaleFactor: viewport.width < 500 ? 2 : 1 });
      const p = watch(await c.newPage(), problems, () => label);
      await p.goto(base + target);
      await loadAll(p);
      const imgs = await ownImages(p);
      ensure(imgs.length > 0 && imgs.every((i) => i.natural > 0), 'images not loaded');
      const { sw, cw } = await p.evaluate(() => ({ sw: document.documentElement.scrollWidth,
        cw: document.documentElement.clientWidth }));
      ensure(sw <= cw + 1, `${sw}px wide in a ${cw}px viewport`);
      // the first figure in view, as a reader scrolling to it sees it
      await p.evaluate(() => {
        const f = document.querySelector('.prose figure, .prose img');
        if (f) window.scrollTo(0, f.getBoundingClientRect().top + window.scrollY - 80);
      });
      await p.screenshot({ path: join(outDir, `${name}.png`) });
      await c.close();
    });
  }
} catch (e) {
  abort(e);
} finally {
  await browser.close();
}
finish(outDir);
