<?xml version="1.0" encoding="UTF-8"?>
<!--
  layout.xsl: the page frame shared by every HTML page kind.

  Each page stylesheet (listing.xsl, article.xsl, error.xsl, tags.xsl,
  archive.xsl) imports this file and overrides three named templates, all
  evaluated with the <page> element as the context node:

    page-title        text of <title> before " · <site name>"
    page-description  text of <meta name="description"> when the page has
                      no <meta><description>
    content           everything inside <main>

  A page may also override head-extra (more elements at the end of <head>).

  The input is the page document described in notes/page-document.md.
  No URL is built and no date is formatted here: the engine supplies them.
  No JavaScript is emitted; the only <script> is the JSON-LD data block of
  article pages, whose text is the engine's and is re-escaped here anyway.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

  <xsl:output method="html" encoding="UTF-8" indent="no"
              doctype-system="about:legacy-compat"/>

  <xsl:template match="/">
    <xsl:apply-templates select="page"/>
  </xsl:template>

  <xsl:template match="page">
    <html>
      <xsl:if test="string(site/lang)">
        <xsl:attribute name="lang"><xsl:value-of select="site/lang"/></xsl:attribute>
      </xsl:if>
      <head>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <meta name="color-scheme" content="light dark"/>
        <title>
          <xsl:call-template name="page-title"/>
          <xsl:text> · </xsl:text>
          <xsl:value-of select="site/name"/>
        </title>
        <xsl:call-template name="head-meta"/>
        <link rel="stylesheet" href="{site/stylesheet/@href}"/>
        <xsl:if test="string(site/icon/@href)">
          <link rel="icon" type="image/svg+xml" href="{site/icon/@href}"/>
        </xsl:if>
        <xsl:if test="string(site/feed/@href)">
          <link rel="alternate" type="application/atom+xml"
                title="{site/name}" href="{site/feed/@href}"/>
        </xsl:if>
        <xsl:if test="string(site/json-feed/@href)">
          <link rel="alternate" type="application/feed+json"
                title="{site/name}" href="{site/json-feed/@href}"/>
        </xsl:if>
        <xsl:call-template name="head-extra"/>
      </head>
      <body class="kind-{@kind}">
        <a class="skip-link" href="#main">Skip to main content</a>
        <header class="site-header">
          <div class="wrap site-bar">
            <nav class="site-nav" aria-label="Site">
              <a class="brand" href="{site/home/@href}"><xsl:value-of select="site/name"/></a>
              <xsl:if test="site/tags-index/@href or site/archive-index/@href">
                <ul class="nav-links">
                  <xsl:if test="site/tags-index/@href">
                    <li>
                      <a href="{site/tags-index/@href}">
                        <xsl:if test="@kind = 'tags'">
                          <xsl:attribute name="class">is-current</xsl:attribute>
                        </xsl:if>
                        <xsl:text>Tags</xsl:text>
                        <xsl:if test="@kind = 'tags'">
                          <span class="visually-hidden"> (current page)</span>
                        </xsl:if>
                      </a>
                    </li>
                  </xsl:if>
                  <xsl:if test="site/archive-index/@href">
                    <li>
                      <a href="{site/archive-index/@href}">
                        <xsl:if test="@kind = 'archive'">
                          <xsl:attribute name="class">is-current</xsl:attribute>
                        </xsl:if>
                        <xsl:text>Archive</xsl:text>
                        <xsl:if test="@kind = 'archive'">
                          <span class="visually-hidden"> (current page)</span>
                        </xsl:if>
                      </a>
                    </li>
                  </xsl:if>
                </ul>
              </xsl:if>
            </nav>
            <xsl:if test="site/search/@href">
              <xsl:call-template name="search-form">
                <xsl:with-param name="id" select="'site-search-q'"/>
                <xsl:with-param name="class" select="'site-search'"/>
                <xsl:with-param name="label" select="'Search'"/>
                <xsl:with-param name="landmark" select="'Site search'"/>
              </xsl:call-template>
            </xsl:if>
          </div>
        </header>
        <main id="main" class="wrap" tabindex="-1">
          <xsl:call-template name="content"/>
        </main>
        <footer class="site-footer">
          <div class="wrap">
            <p>
              <xsl:text>© </xsl:text>
              <a href="{site/home/@href}"><xsl:value-of select="site/name"/></a>
              <xsl:text> · Published with xsltpress</xsl:text>
              <xsl:if test="string(site/feed/@href)">
                <xsl:text> · </xsl:text>
                <a href="{site/feed/@href}" type="application/atom+xml">Atom feed</a>
              </xsl:if>
              <xsl:if test="string(site/json-feed/@href)">
                <xsl:text> · </xsl:text>
                <a href="{site/json-feed/@href}" type="application/feed+json">JSON Feed</a>
              </xsl:if>
            </p>
          </div>
        </footer>
      </body>
    </html>
  </xsl:template>

  <!-- ===== Head: description, canonical, Open Graph, Twitter, JSON-LD ===== -->

  <xsl:template name="head-meta">
    <xsl:variable name="title">
      <xsl:call-template name="page-title"/>
    </xsl:variable>
    <xsl:variable name="description">
      <xsl:choose>
        <xsl:when test="meta/description">
          <xsl:value-of select="normalize-space(meta/description)"/>
        </xsl:when>
        <xsl:otherwise>
          <xsl:call-template name="page-description"/>
        </xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:if test="string($description)">
      <meta name="description" content="{$description}"/>
    </xsl:if>
    <xsl:if test="canonical/@href">
      <link rel="canonical" href="{canonical/@href}"/>
    </xsl:if>
    <xsl:if test="meta">
      <meta property="og:title" content="{normalize-space($title)}"/>
      <xsl:if test="string($description)">
        <meta property="og:description" content="{$description}"/>
      </xsl:if>
      <meta property="og:type" content="website">
        <xsl:if test="meta/og-type = 'article'">
          <xsl:attribute name="content">article</xsl:attribute>
        </xsl:if>
      </meta>
      <xsl:if test="canonical/@href">
        <meta property="og:url" content="{canonical/@href}"/>
      </xsl:if>
      <meta property="og:site_name" content="{site/name}"/>
      <xsl:if test="string(meta/image/@href)">
        <meta property="og:image" content="{meta/image/@href}"/>
        <xsl:if test="string(meta/image/@width)">
          <meta property="og:image:width" content="{meta/image/@width}"/>
          <meta property="og:image:height" content="{meta/image/@height}"/>
        </xsl:if>
      </xsl:if>
      <!-- With a picture, link previews show it large. -->
      <meta name="twitter:card" content="summary">
        <xsl:if test="string(meta/image/@href)">
          <xsl:attribute name="content">summary_large_image</xsl:attribute>
        </xsl:if>
      </meta>
      <meta name="twitter:title" content="{normalize-space($title)}"/>
      <xsl:if test="string($description)">
        <meta name="twitter:description" content="{$description}"/>
      </xsl:if>
      <xsl:if test="string(meta/image/@href)">
        <meta name="twitter:image" content="{meta/image/@href}"/>
      </xsl:if>
      <xsl:if test="@kind = 'article' and string(meta/json-ld)">
        <!-- method="html" writes script text unescaped, so "<" and ">"
             (never present in the engine's JSON) become \u003c and \u003e,
             and "&" becomes \u0026: the same JSON, unable to end the element. -->
        <script type="application/ld+json">
          <xsl:call-template name="json-script-safe">
            <xsl:with-param name="s" select="string(meta/json-ld)"/>
          </xsl:call-template>
        </script>
      </xsl:if>
    </xsl:if>
  </xsl:template>

  <xsl:template name="json-script-safe">
    <xsl:param name="s"/>
    <xsl:choose>
      <xsl:when test="contains($s, '&lt;') or contains($s, '&gt;') or contains($s, '&amp;')">
        <xsl:variable name="c" select="substring(translate($s, translate($s, '&lt;&gt;&amp;', ''), ''), 1, 1)"/>
        <xsl:value-of select="substring-before($s, $c)"/>
        <xsl:choose>
          <xsl:when test="$c = '&lt;'">\u003c</xsl:when>
          <xsl:when test="$c = '&gt;'">\u003e</xsl:when>
          <xsl:otherwise>\u0026</xsl:otherwise>
        </xsl:choose>
        <xsl:call-template name="json-script-safe">
          <xsl:with-param name="s" select="substring-after($s, $c)"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <xsl:value-of select="$s"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- ===== Search form: in the header of every page, and atop search results ===== -->

  <xsl:template name="search-form">
    <xsl:param name="id"/>
    <xsl:param name="class"/>
    <xsl:param name="label"/>
    <xsl:param name="landmark"/>
    <xsl:param name="value" select="''"/>
    <form class="search-form {$class}" role="search" aria-label="{$landmark}"
          action="{site/search/@href}" method="get">
      <label for="{$id}"><xsl:value-of select="$label"/></label>
      <span class="search-row">
        <input type="search" id="{$id}" name="q" autocomplete="off">
          <xsl:if test="string($value)">
            <xsl:attribute name="value"><xsl:value-of select="$value"/></xsl:attribute>
          </xsl:if>
        </input>
        <button type="submit">Search</button>
      </span>
    </form>
  </xsl:template>

  <!-- Defaults; every page stylesheet overrides them. -->
  <xsl:template name="page-title">
    <xsl:value-of select="site/heading"/>
  </xsl:template>

  <xsl:template name="page-description">
    <xsl:call-template name="site-intro"/>
  </xsl:template>

  <xsl:template name="head-extra"/>

  <xsl:template name="content"/>

  <!-- "20 deep-dive articles on system design." -->
  <xsl:template name="site-intro">
    <xsl:value-of select="normalize-space(concat(site/article-count, ' ', site/intro))"/>
  </xsl:template>

  <!-- Meta line of an <entry>, shared by listing cards and the article
       header: date · reading time; with full=true() also the updated date
       and the author. With an archive element (<archive href="…">February
       2026</archive>) the date links to that month's archive. -->
  <xsl:template match="entry" mode="meta">
    <xsl:param name="full" select="false()"/>
    <xsl:param name="archive" select="/.."/>
    <p class="meta">
      <xsl:choose>
        <xsl:when test="string($archive/@href)">
          <a class="date-link" href="{$archive/@href}" title="More from {normalize-space($archive)}">
            <time datetime="{published/@datetime}"><xsl:value-of select="published"/></time>
          </a>
        </xsl:when>
        <xsl:otherwise>
          <time datetime="{published/@datetime}"><xsl:value-of select="published"/></time>
        </xsl:otherwise>
      </xsl:choose>
      <xsl:if test="$full and updated">
        <span class="sep" aria-hidden="true"> · </span>
        <span>Updated <time datetime="{updated/@datetime}"><xsl:value-of select="updated"/></time></span>
      </xsl:if>
      <xsl:if test="$full and string(author)">
        <span class="sep" aria-hidden="true"> · </span>
        <span class="author">By <xsl:value-of select="author"/></span>
      </xsl:if>
      <xsl:if test="string(reading-minutes)">
        <span class="sep" aria-hidden="true"> · </span>
        <span class="reading-time"><xsl:value-of select="reading-minutes"/> min read</span>
      </xsl:if>
    </p>
  </xsl:template>

  <!-- Tag chips of an <entry>; class "tags" (article header) or
       "tags tags-sm" (cards). -->
  <xsl:template match="entry" mode="tags">
    <xsl:param name="class" select="'tags'"/>
    <xsl:if test="tags/tag">
      <ul class="{$class}" aria-label="Tags">
        <xsl:for-each select="tags/tag">
          <li><a href="{@href}">#<xsl:value-of select="."/></a></li>
        </xsl:for-each>
      </ul>
    </xsl:if>
  </xsl:template>

  <!-- A listing card: title, summary, tags, meta line. -->
  <xsl:template match="entry" mode="card">
    <xsl:param name="heading" select="'h2'"/>
    <xsl:param name="class" select="'card'"/>
    <xsl:param name="with-tags" select="true()"/>
    <li>
      <article class="{$class}">
        <xsl:element name="{$heading}">
          <xsl:attribute name="class">card-title</xsl:attribute>
          <a href="{@href}"><xsl:value-of select="title"/></a>
        </xsl:element>
        <xsl:if test="string(summary)">
          <p class="card-summary"><xsl:value-of select="summary"/></p>
        </xsl:if>
        <!-- search results: where the words matched (listing.xsl) -->
        <xsl:apply-templates select="excerpt"/>
        <xsl:if test="$with-tags">
          <xsl:apply-templates select="." mode="tags">
            <xsl:with-param name="class" select="'tags tags-sm'"/>
          </xsl:apply-templates>
        </xsl:if>
        <xsl:apply-templates select="." mode="meta"/>
      </article>
    </li>
  </xsl:template>

</xsl:stylesheet>
