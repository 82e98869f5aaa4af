<?php
/*
 * bench/peers/php/index.php - the comparison peer for `make bench`: the same
 * listing and article pages as xsltpress, built the way a shared-hosting PHP
 * site would build them.
 *
 *   - every request scans the articles folder and parses every article file
 *     (SimpleXML) to learn titles, dates, tags: no APCu, no index on disk;
 *   - every request loads and compiles the stylesheet (XSLTProcessor);
 *   - the page document is the engine's shape (cgi-src/page.c page_doc_new,
 *     page-listing.c, page-article.c): <page kind path> with <site>,
 *     <canonical>, <meta>, <listing>/<entry>... or <entry>, <article>,
 *     <back>, <nav-links>, <related>, <archive>; simplified where the
 *     stylesheets do not care (no favicon fingerprint, no JSON-LD escaping
 *     subtleties).
 *
 * Environment (php-fpm pool env[]):  XP_ROOT (repository), XP_ARTICLES_DIR,
 * XP_BASE_URL.  The site texts come from XP_ROOT/conf/xsltpress.conf.
 *
 * Routes: "/", "/page/N/", "/articles/SLUG/"; anything else is a plain 404.
 */

const SLUG_RE = '/^[a-z0-9]+(-[a-z0-9]+)*$/';
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July',
    'August', 'September', 'October', 'November', 'December'];

function fail(int $status, string $msg): void
{
    http_response_code($status);
    header('Content-Type: text/plain; charset=utf-8');
    echo $msg, "\n";
    exit;
}

function load_config(string $root): array
{
    $cfg = ['site_name' => '', 'listing_heading' => 'Blog', 'listing_intro' => '',
        'lang' => 'en', 'per_page' => '10', 'base_path' => '/', 'xslt_dir' => 'xslt',
        'trusted_html' => 'no'];
    foreach (@file("$root/conf/xsltpress.conf", FILE_IGNORE_NEW_LINES) ?: [] as $line) {
        $line = trim($line);
        if ($line === '' || $line[0] === '#' || !str_contains($line, '=')) {
            continue;
        }
        [$k, $v] = array_map('trim', explode('=', $line, 2));
        $cfg[$k] = $v;
    }
    $cfg['base_url'] = getenv('XP_BASE_URL') ?: ($cfg['base_url'] ?? '');
    $cfg['per_page'] = max(1, (int)$cfg['per_page']);
    return $cfg;
}

/* "2026-03-14" or RFC 3339 -> [instant, shown, machine] */
function parse_date(string $s): ?array
{
    $s = trim($s);
    if (preg_match('/^(\d{4})-(\d{2})-(\d{2})$/', $s, $m)) {
        $t = gmmktime(0, 0, 0, (int)$m[2], (int)$m[3], (int)$m[1]);
        return [$t, MONTHS[(int)$m[2] - 1] . ' ' . (int)$m[3] . ', ' . $m[1], $s];
    }
    if (preg_match('/^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/', $s, $m)) {
        $d = DateTime::createFromFormat(DateTime::RFC3339, preg_replace('/\.\d+/', '', $s));
        if ($d === false) {
            return null;
        }
        return [$d->getTimestamp(), MONTHS[(int)$m[2] - 1] . ' ' . (int)$m[3] . ', ' . $m[1], $s];
    }
    return null;
}

/* Every published article, parsed from its file, in listing order. */
function load_articles(string $dir, int $now): array
{
    $list = [];
    foreach (scandir($dir) as $name) {
        if (!str_ends_with($name, '.xml')) {
            continue;
        }
        $slug = substr($name, 0, -4);
        if (strlen($slug) > 100 || !preg_match(SLUG_RE, $slug)) {
            continue;
        }
        $src = @file_get_contents("$dir/$name");
        if ($src === false || stripos($src, '<!DOCTYPE') !== false) {
            continue;
        }
        $x = @simplexml_load_string($src, 'SimpleXMLElement', LIBXML_NONET);
        if ($x === false || $x->getName() !== 'article' || isset($x->draft)) {
            continue;
        }
        $pub = parse_date((string)$x->published);
        if ($pub === null || !isset($x->title, $x->summary, $x->body) || $pub[0] > $now) {
            continue;
        }
        $tags = [];
        foreach ($x->tags->tag ?? [] as $t) {
            $tags[] = (string)$t;
        }
        $minutes = (int)($x->{'reading-minutes'} ?? 0);
        if ($minutes <= 0) {
            $words = preg_match_all('/[A-Za-z0-9\x80-\xff]+/', strip_tags($x->body->asXML()));
            $minutes = max(1, intdiv($words + 229, 230));
        }
        $list[] = [
            'slug' => $slug, 'file' => "$dir/$name",
            'title' => (string)$x->title, 'summary' => (string)$x->summary,
            'published' => $pub, 'updated' => isset($x->updated) ? parse_date((string)$x->updated) : null,
            'author' => isset($x->author) ? (string)$x->author : null,
            'tags' => $tags, 'minutes' => $minutes,
        ];
    }
    usort($list, fn($a, $b) => $b['published'][0] <=> $a['published'][0] ?: strcmp($a['slug'], $b['slug']));
    return $list;
}

function el(DOMNode $parent, string $name, ?string $text = null, array $attrs = []): DOMElement
{
    $doc = $parent instanceof DOMDocument ? $parent : $parent->ownerDocument;
    $e = $doc->createElement($name);
    if ($text !== null) {
        $e->appendChild($doc->createTextNode($text));
    }
    foreach ($attrs as $k => $v) {
        $e->setAttribute($k, $v);
    }
    $parent->appendChild($e);
    return $e;
}

function abs_url(array $cfg, string $path): string
{
    return rtrim($cfg['base_url'] ?: 'http://localhost', '/') . $cfg['base_path'] . $path;
}

/* page_doc_new: <page kind path> with <site> and <canonical> */
function page_doc(array $cfg, string $kind, string $path, ?int $count): array
{
    $doc = new DOMDocument('1.0', 'UTF-8');
    $page = el($doc, 'page', null, ['kind' => $kind, 'path' => $path]);
    $bp = $cfg['base_path'];
    $site = el($page, 'site');
    el($site, 'name', $cfg['site_name']);
    el($site, 'home', null, ['href' => $bp]);
    el($site, 'stylesheet', null, ['href' => $bp . 'style.css?v=' .
        substr(md5_file($cfg['xslt_path'] . '/style.css'), 0, 8)]);
    el($site, 'base-url', $cfg['base_url']);
    el($site, 'heading', $cfg['listing_heading']);
    el($site, 'intro', $cfg['listing_intro']);
    if ($count !== null) {
        el($site, 'article-count', (string)$count);
    }
    el($site, 'lang', $cfg['lang']);
    el($site, 'feed', null, ['href' => $bp . 'feed.xml', 'abs' => abs_url($cfg, 'feed.xml')]);
    el($site, 'search', null, ['href' => $bp . 'search/']);
    el($site, 'tags-index', null, ['href' => $bp . 'tags/']);
    el($site, 'archive-index', null, ['href' => $bp . 'archive/']);
    el($site, 'icon', null, ['href' => $bp . 'favicon.svg']);
    el($page, 'canonical', null, ['href' => abs_url($cfg, ltrim($path, '/'))]);
    return [$doc, $page];
}

function add_meta(DOMElement $root, string $description, string $og, ?string $ld): void
{
    $m = el($root, 'meta');
    el($m, 'description', $description);
    el($m, 'og-type', $og);
    if ($ld !== null) {
        el($m, 'json-ld', $ld);
    }
}

function date_el(DOMElement $parent, string $name, array $d): void
{
    el($parent, $name, $d[1], ['datetime' => $d[2]]);
}

/* page_add_entry */
function add_entry(array $cfg, DOMElement $parent, array $a): DOMElement
{
    $bp = $cfg['base_path'];
    $e = el($parent, 'entry', null, ['slug' => $a['slug'], 'href' => $bp . "articles/{$a['slug']}/"]);
    el($e, 'title', $a['title']);
    el($e, 'summary', $a['summary']);
    date_el($e, 'published', $a['published']);
    if ($a['updated'] !== null) {
        date_el($e, 'updated', $a['updated']);
    }
    if ($a['author'] !== null) {
        el($e, 'author', $a['author']);
    }
    el($e, 'reading-minutes', (string)$a['minutes']);
    if ($a['tags']) {
        $tags = el($e, 'tags');
        foreach ($a['tags'] as $t) {
            el($tags, 'tag', $t, ['href' => $bp . "tags/$t/"]);
        }
    }
    return $e;
}

function render(array $cfg, string $sheet, DOMDocument $doc): void
{
    $xsl = new DOMDocument();
    $xsl->load($cfg['xslt_path'] . "/$sheet", LIBXML_NONET | LIBXML_NOCDATA);
    $proc = new XSLTProcessor();
    $proc->importStylesheet($xsl);
    $proc->setParameter('', 'trusted-html', $cfg['trusted_html'] === 'yes' ? 'yes' : 'no');
    $out = $proc->transformToXml($doc);
    if ($out === false || $out === null) {
        fail(500, 'The page could not be rendered.');
    }
    header('Content-Type: text/html; charset=utf-8');
    header('Cache-Control: public, max-age=60');
    echo $out;
}

function page_listing(array $cfg, array $all, int $number): void
{
    $per = $cfg['per_page'];
    $total = count($all);
    $pages = max(1, intdiv($total + $per - 1, $per));
    if ($number > $pages) {
        fail(404, 'There is no such page: the listing is shorter.');
    }
    $path = $number === 1 ? '/' : "/page/$number/";
    [$doc, $root] = page_doc($cfg, 'listing', $path, $total);
    $l = el($root, 'listing', null, ['filter' => 'all', 'page' => (string)$number,
        'pages' => (string)$pages, 'per-page' => (string)$per, 'total' => (string)$total]);
    el($l, 'heading', $cfg['listing_heading']);
    $intro = "$total {$cfg['listing_intro']}";
    el($l, 'intro', $intro);
    $bp = $cfg['base_path'];
    if ($number > 1) {
        el($l, 'prev', null, ['href' => $number === 2 ? $bp : $bp . 'page/' . ($number - 1) . '/']);
    }
    if ($number < $pages) {
        el($l, 'next', null, ['href' => $bp . 'page/' . ($number + 1) . '/']);
    }
    foreach (array_slice($all, ($number - 1) * $per, $per) as $a) {
        add_entry($cfg, $l, $a);
    }
    add_meta($root, $intro, 'website', null);
    render($cfg, 'listing.xsl', $doc);
}

function page_article(array $cfg, array $all, string $slug): void
{
    $pos = null;
    foreach ($all as $i => $a) {
        if ($a['slug'] === $slug) {
            $pos = $i;
            break;
        }
    }
    if ($pos === null) {
        fail(404, 'There is no article at this address.');
    }
    $a = $all[$pos];
    $bp = $cfg['base_path'];
    [$doc, $root] = page_doc($cfg, 'article', "/articles/$slug/", null);
    add_entry($cfg, $root, $a);
    // the article itself, re-read from its file, under <page>
    $src = new DOMDocument();
    $src->loadXML(file_get_contents($a['file']), LIBXML_NONET);
    $root->appendChild($doc->importNode($src->documentElement, true));
    el($root, 'back', null, ['href' => $bp]);
    $nav = el($root, 'nav-links');
    if (isset($all[$pos + 1])) {
        $o = $all[$pos + 1];
        el($nav, 'prev', null, ['href' => $bp . "articles/{$o['slug']}/", 'title' => $o['title']]);
    }
    if ($pos > 0) {
        $n = $all[$pos - 1];
        el($nav, 'next', null, ['href' => $bp . "articles/{$n['slug']}/", 'title' => $n['title']]);
    }
    // related: most shared tags among the newest 200 of each tag, newest first
    $scores = [];
    foreach ($a['tags'] as $t) {
        $seen = 0;
        foreach ($all as $i => $b) {
            if ($seen >= 200) {
                break;
            }
            if (!in_array($t, $b['tags'], true)) {
                continue;
            }
            $seen++;
            if ($i !== $pos && !isset($scores[$i])) {
                $scores[$i] = count(array_intersect($a['tags'], $b['tags']));
            }
        }
    }
    uksort($scores, fn($x, $y) => $scores[$y] <=> $scores[$x] ?: $x <=> $y);
    $rel = array_slice(array_keys($scores), 0, 3);
    if ($rel) {
        $r = el($root, 'related');
        foreach ($rel as $i) {
            add_entry($cfg, $r, $all[$i]);
        }
    }
    [$y, $m] = array_map('intval', explode('-', substr($a['published'][2], 0, 7)));
    el($root, 'archive', MONTHS[$m - 1] . sprintf(' %04d', $y), ['href' => $bp . sprintf('archive/%04d/%02d/', $y, $m)]);
    $url = abs_url($cfg, "articles/$slug/");
    $ld = json_encode(['@context' => 'https://schema.org', '@type' => 'BlogPosting',
        'headline' => $a['title'], 'description' => $a['summary'],
        'datePublished' => $a['published'][2],
        'dateModified' => ($a['updated'] ?? $a['published'])[2],
        'url' => $url, 'mainEntityOfPage' => $url,
        'author' => ['@type' => 'Person', 'name' => $a['author'] ?? $cfg['site_name']],
        'publisher' => ['@type' => 'Organization', 'name' => $cfg['site_name']],
        'keywords' => implode(', ', $a['tags'])],
        JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_HEX_TAG | JSON_HEX_AMP);
    add_meta($root, $a['summary'], 'article', $ld);
    render($cfg, 'article.xsl', $doc);
}

$root = getenv('XP_ROOT') ?: dirname(__DIR__, 3);
$cfg = load_config($root);
$cfg['xslt_path'] = str_starts_with($cfg['xslt_dir'], '/') ? $cfg['xslt_dir'] : "$root/{$cfg['xslt_dir']}";
$dir = getenv('XP_ARTICLES_DIR') ?: "$root/articles";
$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/';

if ($path === '/') {
    page_listing($cfg, load_articles($dir, time()), 1);
} elseif (preg_match('#^/page/([1-9][0-9]{0,8})/$#', $path, $m)) {
    page_listing($cfg, load_articles($dir, time()), (int)$m[1]);
} elseif (preg_match('#^/articles/([a-z0-9-]{1,100})/$#', $path, $m)) {
    page_article($cfg, load_articles($dir, time()), $m[1]);
} else {
    fail(404, 'Not found.');
}
