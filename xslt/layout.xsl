<?xml version="1.0" encoding="UTF-8"?>
<!--
  layout.xsl: the page frame shared by every page kind.

  Each page stylesheet (listing.xsl, article.xsl, error.xsl) imports this file
  and overrides three named templates, all evaluated with the <page> element
  as the context node:

    page-title        text of <title> before " · <site name>"
    page-description  text of <meta name="description">
    content           everything inside <main>

  The input is the page document described in notes/page-document.md.
  No URL is built and no date is formatted here: the engine supplies them.
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
        <meta name="description">
          <xsl:attribute name="content">
            <xsl:call-template name="page-description"/>
          </xsl:attribute>
        </meta>
        <xsl:if test="canonical/@href">
          <link rel="canonical" href="{canonical/@href}"/>
        </xsl:if>
        <link rel="stylesheet" href="{site/stylesheet/@href}"/>
      </head>
      <body class="kind-{@kind}">
        <a class="skip-link" href="#main">Skip to main content</a>
        <header class="site-header">
          <nav class="wrap site-nav" aria-label="Site">
            <a class="brand" href="{site/home/@href}"><xsl:value-of select="site/name"/></a>
          </nav>
        </header>
        <main id="main" class="wrap" tabindex="-1">
          <xsl:call-template name="content"/>
        </main>
        <footer class="site-footer">
          <div class="wrap">
            <p>© <a href="{site/home/@href}"><xsl:value-of select="site/name"/></a> · Published with xsltpress</p>
          </div>
        </footer>
      </body>
    </html>
  </xsl:template>

  <!-- Defaults; every page stylesheet overrides them. -->
  <xsl:template name="page-title">
    <xsl:value-of select="site/heading"/>
  </xsl:template>

  <xsl:template name="page-description">
    <xsl:call-template name="site-intro"/>
  </xsl:template>

  <xsl:template name="content"/>

  <!-- "20 deep-dive articles on system design." -->
  <xsl:template name="site-intro">
    <xsl:value-of select="normalize-space(concat(site/article-count, ' ', site/intro))"/>
  </xsl:template>

  <!-- Meta line of an <entry>, shared by listing cards and the article
       header: date · reading time; with full=true() also the updated date
       and the author. -->
  <xsl:template match="entry" mode="meta">
    <xsl:param name="full" select="false()"/>
    <p class="meta">
      <time datetime="{published/@datetime}"><xsl:value-of select="published"/></time>
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

</xsl:stylesheet>
