// Browser checks of the xsltpress sample site with headless Chromium.
//
//   node listing.mjs BASE_URL [OUT_DIR]
//
// BASE_URL is the running site (http://127.0.0.1:PORT); run.sh starts the
// stack and calls this.  Screenshots go to OUT_DIR (default ../out).
// Prints one line per failure (and per pass), then "N passed, N failed";
// exits 1 if anything failed.
import { chromium } from 'playwright-core';
import { join } from 'node:path';
import { ARGS, CHROMIUM, checker, cli, ensure, watch } from './common.mjs';

const { base, outDir } = cli('listing.mjs');
const { check, abort, finish } = checker();
const PER_PAGE = 10;

// console errors, page errors and failed sub-requests, per page
const problems = [];
const watchPage = (page, label) => watch(page, problems, label);

// Visible listing cards: elements of class "card", else <article>s in <main>
// (outermost only), as in tests/integration/run.py.
async function visibleCards(page) {
  return page.evaluate(() => {
    const main = document.querySelector('main') || document.body;
    let cards = [...main.querySelectorAll('.card')];
    if (cards.length === 0) cards = [...main.querySelectorAll('article')];
    cards = cards.filter((c) => !cards.some((o) => o !== c && o.contains(c)));
    const visible = (el) => {
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
    };
    return cards.map((c) => {
      const a = c.querySelector('a[href*="/articles/"]');
      return { visible: visible(c), title: a ? a.textContent.replace(/\s+/g, ' ').trim() : null,
        href: a ? a.getAttribute('href') : null };
    });
  });
}

async function noHorizontalScroll(page, label) {
  const { sw, cw } = await page.evaluate(() => ({
    sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
  ensure(sw <= cw + 1, `${label}: page is ${sw}px wide in a ${cw}px viewport (horizontal scroll)`);
}

function luminance(css) {
  const m = css.match(/rgba?\(([^)]+)\)/);
  if (!m) return null;
  const [r, g, b, a] = m[1].split(/[,\s/]+/).filter(Boolean).map(Number);
  if (a === 0) return null;  // transparent
  const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

async function pageColors(page) {
  return page.evaluate(() => {
    const bg = (el) => { while (el) { const c = getComputedStyle(el).backgroundColor;
      if (c && c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c; el = el.parentElement; }
      return 'rgb(255, 255, 255)'; };
    const main = document.querySelector('main') || document.body;
    const p = main.querySelector('p') || main;
    return { bg: bg(p), fg: getComputedStyle(p).color, scheme: getComputedStyle(document.documentElement).colorScheme };
  });
}

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
try {
  // ---------------------------------------------------------------- desktop
  const desk = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = watchPage(await desk.newPage(), 'desktop');
  let firstArticle = null;

  await check('desktop: listing loads', async () => {
    const r = await page.goto(base + '/', { waitUntil: 'load' });
    ensure(r && r.status() === 200, `GET / answered ${r && r.status()}`);
  });
  await check('desktop: ten visible cards', async () => {
    const cards = await visibleCards(page);
    const vis = cards.filter((c) => c.visible);
    ensure(cards.length === PER_PAGE, `${cards.length} cards, want ${PER_PAGE}`);
    ensure(vis.length === PER_PAGE, `${vis.length} visible cards, want ${PER_PAGE}`);
    ensure(cards.every((c) => c.title), 'a card has no link to /articles/');
    firstArticle = cards[0];
  });
  await check('desktop: h1 Blog and page 1 of 2', async () => {
    const h1 = (await page.locator('h1').allTextContents()).map((t) => t.trim());
    ensure(h1.length === 1 && h1[0] === 'Blog', `h1 ${JSON.stringify(h1)}, want ["Blog"]`);
    ensure(await page.getByText('Page 1 of 2').isVisible(), '"Page 1 of 2" not visible');
  });
  await page.screenshot({ path: join(outDir, 'listing-desktop.png'), fullPage: true });

  await check('keyboard: first Tab focuses the skip link', async () => {
    await page.goto(base + '/');
    await page.keyboard.press('Tab');
    const f = await page.evaluate(() => {
      const a = document.activeElement;
      const r = a.getBoundingClientRect();
      return { tag: a.tagName, text: (a.textContent || '').trim(), href: a.getAttribute('href'),
        onScreen: r.width > 1 && r.height > 1 && r.bottom > 0 && r.right > 0 };
    });
    ensure(f.tag === 'A' && f.text === 'Skip to main content',
      `focused ${f.tag} "${f.text}", want the "Skip to main content" link`);
    ensure(f.onScreen, 'the focused skip link is not visible on screen');
  });
  await check('keyboard: Enter on the skip link moves focus to main', async () => {
    await page.keyboard.press('Enter');
    await page.waitForTimeout(100);
    const f = await page.evaluate(() => {
      const a = document.activeElement;
      const main = document.querySelector('main');
      return { tag: a.tagName, id: a.id, inMain: !!(main && (a === main || main.contains(a))),
        hash: location.hash, mainTabindex: main && main.getAttribute('tabindex') };
    });
    ensure(f.inMain, `after Enter focus is on <${f.tag.toLowerCase()}${f.id ? ' id=' + f.id : ''}>`
      + ` (location ${f.hash}), want <main> or inside it (main tabindex=${f.mainTabindex})`);
  });

  await check('desktop: "Next →" leads to page 2', async () => {
    await page.goto(base + '/');
    const next = page.locator('a[rel~="next"]');
    ensure(await next.count() === 1, `${await next.count()} rel=next links`);
    ensure((await next.innerText()).trim() === 'Next →', `rel=next text "${await next.innerText()}"`);
    await Promise.all([page.waitForURL('**/page/2/'), next.click()]);
    ensure(new URL(page.url()).pathname === '/page/2/', `at ${page.url()}`);
    ensure(await page.getByText('Page 2 of 2').isVisible(), '"Page 2 of 2" not visible');
    const cards = await visibleCards(page);
    ensure(cards.filter((c) => c.visible).length === PER_PAGE, `${cards.length} cards on page 2`);
    ensure(await page.locator('a[rel~="next"]').count() === 0, 'page 2 has a rel=next link');
    ensure(await page.locator('a[rel~="prev"]').count() === 1, 'page 2 has no rel=prev link');
  });
  await page.screenshot({ path: join(outDir, 'page2.png'), fullPage: true });

  await check('desktop: "← Previous" leads back to page 1', async () => {
    await Promise.all([page.waitForURL((u) => u.pathname === '/'),
      page.locator('a[rel~="prev"]').click()]);
    ensure(await page.getByText('Page 1 of 2').isVisible(), '"Page 1 of 2" not visible');
  });

  await check('desktop: card link opens the article', async () => {
    ensure(firstArticle, 'no card seen on the listing');
    await page.goto(base + '/');
    const link = page.locator(`main a[href="${firstArticle.href}"]`).first();
    await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/articles/')), link.click()]);
    const h1 = page.locator('h1');
    ensure(await h1.count() === 1, `${await h1.count()} h1 elements`);
    ensure(await h1.isVisible(), 'h1 not visible');
    const t = (await h1.innerText()).replace(/\s+/g, ' ').trim();
    ensure(t === firstArticle.title, `h1 "${t}", want "${firstArticle.title}"`);
    ensure(await page.getByText(/\d+ min read/).first().isVisible(), '"N min read" not visible');
  });
  // articles are long: the first screen is what a reader sees
  await page.screenshot({ path: join(outDir, 'article-desktop.png') });

  await check('desktop: 404 page is styled HTML', async () => {
    // an unwatched page: Chromium logs the deliberate 404 as a console error
    const p404 = await desk.newPage();
    const r = await p404.goto(base + '/no-such-page');
    const page = p404;
    ensure(r.status() === 404, `status ${r.status()}`);
    ensure(await page.locator('h1').count() >= 1, 'no h1 on the 404 page');
    ensure(await page.locator('a[href="/"]').count() >= 1, 'no link home on the 404 page');
  });
  await desk.close();

  // ------------------------------------------------------------------ phone
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const pp = watchPage(await phone.newPage(), 'phone');
  await check('phone: ten visible cards, no horizontal scroll', async () => {
    const r = await pp.goto(base + '/');
    ensure(r.status() === 200, `GET / answered ${r.status()}`);
    const cards = await visibleCards(pp);
    ensure(cards.filter((c) => c.visible).length === PER_PAGE,
      `${cards.filter((c) => c.visible).length} visible cards`);
    await noHorizontalScroll(pp, '/');
  });
  await pp.screenshot({ path: join(outDir, 'listing-phone.png'), fullPage: true });
  await check('phone: article page, h1, no horizontal scroll', async () => {
    ensure(firstArticle, 'no card seen on the listing');
    const r = await pp.goto(new URL(firstArticle.href, base + '/').href);
    ensure(r.status() === 200, `status ${r.status()}`);
    ensure(await pp.locator('h1').isVisible(), 'h1 not visible');
    await noHorizontalScroll(pp, firstArticle.href);
  });
  await pp.screenshot({ path: join(outDir, 'article-phone.png') });
  await check('phone: no page of the site scrolls sideways (all 20 articles, page 2)', async () => {
    const hrefs = [];
    for (const path of ['/', '/page/2/']) {
      await pp.goto(base + path);
      for (const c of await visibleCards(pp)) if (c.href) hrefs.push(c.href);
    }
    await noHorizontalScroll(pp, '/page/2/');
    const bad = [];
    for (const h of hrefs) {
      await pp.goto(new URL(h, base + '/').href);
      try { await noHorizontalScroll(pp, h); } catch (e) { bad.push(e.message); }
    }
    ensure(hrefs.length === 2 * PER_PAGE, `${hrefs.length} article links on the listings`);
    ensure(bad.length === 0, bad.slice(0, 4).join('; '));
  });
  await phone.close();

  // ------------------------------------------------------------- dark mode
  const light = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  const lp = watchPage(await light.newPage(), 'light');
  await lp.goto(base + '/');
  const lightColors = await pageColors(lp);
  await light.close();

  const dark = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'dark' });
  const dp = watchPage(await dark.newPage(), 'dark');
  await check('dark: prefers-color-scheme dark gives a dark page', async () => {
    const r = await dp.goto(base + '/');
    ensure(r.status() === 200, `status ${r.status()}`);
    const c = await pageColors(dp);
    const bgL = luminance(c.bg);
    const fgL = luminance(c.fg);
    ensure(bgL !== null && bgL < 0.2, `background ${c.bg} is not dark (light mode: ${lightColors.bg})`);
    ensure(fgL !== null && fgL > bgL, `text ${c.fg} is not lighter than the background ${c.bg}`);
    const ratio = (Math.max(fgL, bgL) + 0.05) / (Math.min(fgL, bgL) + 0.05);
    ensure(ratio >= 4.5, `text/background contrast ${ratio.toFixed(2)} < 4.5 (${c.fg} on ${c.bg})`);
  });
  await dp.screenshot({ path: join(outDir, 'dark.png'), fullPage: true });
  await dark.close();

  await check('light: text contrast', async () => {
    const bgL = luminance(lightColors.bg);
    const fgL = luminance(lightColors.fg);
    ensure(bgL !== null && fgL !== null, `colors ${JSON.stringify(lightColors)}`);
    const ratio = (Math.max(fgL, bgL) + 0.05) / (Math.min(fgL, bgL) + 0.05);
    ensure(ratio >= 4.5, `contrast ${ratio.toFixed(2)} < 4.5 (${lightColors.fg} on ${lightColors.bg})`);
  });

  const isFavicon = (p) => p.includes('/favicon.ico');
  await check('no console errors or failed requests', async () => {
    // the deliberate 404 page is a document, so it is not counted
    const real = problems.filter((p) => !isFavicon(p));
    ensure(real.length === 0, real.slice(0, 5).join(' | '));
  });
  await check('no 404 for /favicon.ico (declare <link rel="icon"> or serve one)', async () => {
    const fav = problems.filter(isFavicon);
    ensure(fav.length === 0, fav[0]);
  });
} catch (e) {
  abort(e);
} finally {
  await browser.close();
}
finish(outDir);
