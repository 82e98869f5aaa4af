// Browser checks of the reader features (tags, search, article, dark mode)
// with headless Chromium.
//
//   node reader.mjs BASE_URL [OUT_DIR]
//
// run.sh starts the stack and calls this after listing.mjs. Screenshots go
// to OUT_DIR (default ../out): tag.png, search.png, article-dark.png
// (article-phone.png is listing.mjs's). Prints one line per check, then
// "N passed, N failed"; exits 1 if anything failed.
import { chromium } from 'playwright-core';
import { join } from 'node:path';
import { ARGS, CHROMIUM, checker, cli, ensure, watch } from './common.mjs';

const { base, outDir } = cli('reader.mjs');
const { check, abort, finish } = checker();

// console errors, page errors and failed sub-requests, per page
const problems = [];
let label = '';
const watchPage = (page) => watch(page, problems, () => label);
async function noProblems(lbl) {
  const mine = problems.filter((p) => p.startsWith(lbl + ':'));
  ensure(mine.length === 0, mine.slice(0, 4).join(' | '));
}

async function cards(page) {
  return page.evaluate(() => [...document.querySelectorAll('main .card')]
    .filter((c) => !c.parentElement.closest('.card'))
    .map((c) => {
      const a = c.querySelector('a[href*="/articles/"]');
      const r = c.getBoundingClientRect();
      return { title: a ? a.textContent.replace(/\s+/g, ' ').trim() : null,
        href: a ? a.getAttribute('href') : null, visible: r.width > 0 && r.height > 0 };
    }));
}

// Tab to the skip link, press Enter: focus must land on <main id="main">.
async function skipLink(page) {
  await page.evaluate(() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); });
  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => ({ tag: document.activeElement.tagName,
    href: document.activeElement.getAttribute('href'),
    text: (document.activeElement.textContent || '').trim() }));
  ensure(first.tag === 'A' && first.href === '#main',
    `first Tab focuses <${first.tag.toLowerCase()}> "${first.text}" href=${first.href}, want the skip link to #main`);
  await page.keyboard.press('Enter');
  await page.waitForTimeout(100);
  const id = await page.evaluate(() => document.activeElement.id);
  ensure(id === 'main', `after Enter document.activeElement.id is "${id}", want "main"`);
}

async function noHorizontalScroll(page, what) {
  const { sw, cw } = await page.evaluate(() => ({
    sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
  ensure(sw <= cw + 1, `${what}: ${sw}px wide in a ${cw}px viewport`);
}

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = watchPage(await ctx.newPage());

  // ---------------------------------------------------------------- a tag
  // the tag of the first card's first chip, reached by clicking it
  let tagPath = null;
  label = 'tag';
  await check('tag: a chip on a card opens the tag page', async () => {
    await page.goto(base + '/');
    const chip = page.locator('main .card a[href^="/tags/"]').first();
    ensure(await chip.count() === 1, 'no tag link on the listing cards');
    const name = (await chip.innerText()).replace(/^#/, '').trim();
    await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/tags/')), chip.click()]);
    tagPath = new URL(page.url()).pathname;
    const h1 = (await page.locator('h1').innerText()).trim();
    ensure(h1.includes(name), `h1 "${h1}" does not name the tag "${name}"`);
    const cs = await cards(page);
    ensure(cs.length > 0 && cs.every((c) => c.visible && c.title), `${cs.length} cards, some invisible or untitled`);
  });
  await page.screenshot({ path: join(outDir, 'tag.png'), fullPage: true });
  await check('tag: no console errors or failed requests', () => noProblems('tag'));
  await check('tag: Tab, Enter on the skip link focuses main', () => skipLink(page));

  // ------------------------------------------------------------- search
  label = 'search';
  await check('search: typing in the header form and pressing Enter shows results', async () => {
    await page.goto(base + '/');
    const input = page.locator('header input[name="q"]');
    ensure(await input.count() === 1, `${await input.count()} search inputs in the header`);
    await input.fill('kafka');
    await Promise.all([page.waitForURL((u) => u.pathname === '/search/'), input.press('Enter')]);
    const u = new URL(page.url());
    ensure(u.searchParams.get('q') === 'kafka', `at ${page.url()}`);
    const cs = await cards(page);
    ensure(cs.length > 0, 'no result cards');
    ensure(/kafka/i.test(cs[0].title), `first result "${cs[0].title}" has no "Kafka" in its title`);
    const status = (await page.locator('.search-status').innerText()).trim();
    ensure(/\d+ results? for “kafka”/.test(status), `status "${status}"`);
    const value = await page.locator('main input[name="q"]').inputValue();
    ensure(value === 'kafka', `the results page's search box holds "${value}"`);
  });
  await page.screenshot({ path: join(outDir, 'search.png'), fullPage: true });
  await check('search: no console errors or failed requests', () => noProblems('search'));
  await check('search: Tab, Enter on the skip link focuses main', () => skipLink(page));
  await check('search: a hostile query is shown as text, runs no script', async () => {
    let dialog = null;
    page.once('dialog', async (d) => { dialog = d.message(); await d.dismiss(); });
    const q = '"><img src=x onerror=alert(1)><script>alert(2)</script>';
    const r = await page.goto(base + '/search/?q=' + encodeURIComponent(q));
    ensure(r.status() < 500, `status ${r.status()}`);
    await page.waitForTimeout(200);
    ensure(dialog === null, `a dialog opened: ${dialog}`);
    ensure(await page.locator('main img[src="x"]').count() === 0, 'an injected <img> exists');
    ensure((await page.locator('main').innerText()).includes('<script>'), 'the query text is not shown');
  });

  // ------------------------------------------------------------ article
  label = 'article';
  let articleHref = null;
  await check('article: opens from a search result, skip link focuses main', async () => {
    await page.goto(base + '/search/?q=kafka');
    const a = page.locator('main .card a[href^="/articles/"]').first();
    articleHref = await a.getAttribute('href');
    await Promise.all([page.waitForURL((u) => u.pathname === articleHref), a.click()]);
    await skipLink(page);
  });
  await check('article: "Keep reading" and related links are visible', async () => {
    ensure(await page.locator('a[rel~="prev"], a[rel~="next"]').count() >= 1, 'no older/newer link');
    const rel = page.locator('.related .card');
    const n = await rel.count();
    ensure(n >= 1 && n <= 3, `${n} related cards`);
    ensure(await rel.first().isVisible(), 'related cards not visible');
  });
  await check('article: no console errors or failed requests', () => noProblems('article'));

  await check('article: phone width, no horizontal scroll', async () => {
    ensure(articleHref, 'no article found');
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const pp = watchPage(await phone.newPage());
    label = 'phone';
    const r = await pp.goto(base + articleHref);
    ensure(r.status() === 200, `status ${r.status()}`);
    await noHorizontalScroll(pp, articleHref);
    await phone.close();
    await noProblems('phone');
  });

  // ---------------------------------------------------------- dark mode
  await check('article-dark: dark background, light text, no console errors', async () => {
    ensure(articleHref, 'no article found');
    const dark = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'dark' });
    const dp = watchPage(await dark.newPage());
    label = 'dark';
    const r = await dp.goto(base + articleHref);
    ensure(r.status() === 200, `status ${r.status()}`);
    const c = await dp.evaluate(() => {
      const bg = (el) => { while (el) { const v = getComputedStyle(el).backgroundColor;
        if (v && v !== 'rgba(0, 0, 0, 0)' && v !== 'transparent') return v; el = el.parentElement; }
        return 'rgb(255, 255, 255)'; };
      const p = document.querySelector('main .prose p') || document.querySelector('main p');
      const pre = document.querySelector('main pre');
      return { bg: bg(p), fg: getComputedStyle(p).color, preBg: pre ? bg(pre) : null,
        preFg: pre ? getComputedStyle(pre).color : null };
    });
    const lum = (css) => {
      const m = css && css.match(/rgba?\(([^)]+)\)/);
      if (!m) return null;
      const [r0, g0, b0] = m[1].split(/[,\s/]+/).filter(Boolean).map(Number);
      const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * lin(r0) + 0.7152 * lin(g0) + 0.0722 * lin(b0);
    };
    const contrast = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    ensure(lum(c.bg) < 0.2, `background ${c.bg} is not dark`);
    ensure(contrast(lum(c.fg), lum(c.bg)) >= 4.5, `text ${c.fg} on ${c.bg} below 4.5:1`);
    if (c.preBg) {
      ensure(contrast(lum(c.preFg), lum(c.preBg)) >= 4.5, `code ${c.preFg} on ${c.preBg} below 4.5:1`);
    }
    await dp.screenshot({ path: join(outDir, 'article-dark.png') });
    await dark.close();
    await noProblems('dark');
  });
  await ctx.close();
} catch (e) {
  abort(e);
} finally {
  await browser.close();
}
finish(outDir);
