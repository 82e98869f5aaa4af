<?xml version="1.0" encoding="UTF-8"?>
<!--
  listing.xsl: every list of articles (page kind="listing"): the home page and
  /page/N/ (filter="all"), a tag (filter="tag"), a year or a month of the
  archive (filter="year", "month") and search results (filter="search").
  One card per <entry>, then the pager. See notes/page-document.md.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

  <xsl:import href="layout.xsl"/>

  <!-- "all" when the engine gives no filter (the original contract). -->
  <xsl:variable name="filter">
    <xsl:choose>
      <xsl:when test="string(/page/listing/@filter)">
        <xsl:value-of select="/page/listing/@filter"/>
      </xsl:when>
      <xsl:otherwise>all</xsl:otherwise>
    </xsl:choose>
  </xsl:variable>

  <xsl:template name="heading">
    <xsl:choose>
      <xsl:when test="string(listing/heading)">
        <xsl:value-of select="listing/heading"/>
      </xsl:when>
      <xsl:when test="$filter = 'search'">Search</xsl:when>
      <xsl:otherwise>
        <xsl:value-of select="site/heading"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="page-title">
    <xsl:call-template name="heading"/>
    <xsl:if test="$filter = 'search' and string(listing/query)">
      <xsl:text>: “</xsl:text>
      <xsl:value-of select="listing/query"/>
      <xsl:text>”</xsl:text>
    </xsl:if>
    <xsl:if test="listing/@page &gt; 1">
      <xsl:text> (page </xsl:text>
      <xsl:value-of select="listing/@page"/>
      <xsl:text> of </xsl:text>
      <xsl:value-of select="listing/@pages"/>
      <xsl:text>)</xsl:text>
    </xsl:if>
  </xsl:template>

  <xsl:template name="page-description">
    <xsl:choose>
      <xsl:when test="$filter = 'search'">
        <xsl:call-template name="search-status"/>
      </xsl:when>
      <xsl:when test="string(listing/intro)">
        <xsl:value-of select="normalize-space(listing/intro)"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:call-template name="site-intro"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- A tag listing also advertises the tag's own feed. -->
  <xsl:template name="head-extra">
    <xsl:if test="$filter = 'tag' and string(listing/feed/@href)">
      <link rel="alternate" type="application/atom+xml"
            title="{site/name}: {listing/heading}" href="{listing/feed/@href}"/>
    </xsl:if>
    <xsl:if test="$filter = 'tag' and string(listing/json-feed/@href)">
      <link rel="alternate" type="application/feed+json"
            title="{site/name}: {listing/heading}" href="{listing/json-feed/@href}"/>
    </xsl:if>
  </xsl:template>

  <xsl:template name="content">
    <div class="page-intro">
      <xsl:choose>
        <xsl:when test="$filter = 'tag' and site/tags-index/@href">
          <p class="kicker"><a href="{site/tags-index/@href}">Tags</a></p>
        </xsl:when>
        <xsl:when test="($filter = 'year' or $filter = 'month') and site/archive-index/@href">
          <p class="kicker"><a href="{site/archive-index/@href}">Archive</a></p>
        </xsl:when>
      </xsl:choose>
      <h1><xsl:call-template name="heading"/></h1>
      <xsl:choose>
        <xsl:when test="$filter = 'search'">
          <xsl:if test="site/search/@href">
            <xsl:call-template name="search-form">
              <xsl:with-param name="id" select="'search-q'"/>
              <xsl:with-param name="class" select="'page-search'"/>
              <xsl:with-param name="label" select="'Search the articles'"/>
              <xsl:with-param name="landmark" select="'Search the articles'"/>
              <xsl:with-param name="value" select="string(listing/query)"/>
            </xsl:call-template>
          </xsl:if>
          <p class="lead search-status"><xsl:call-template name="search-status"/></p>
          <p class="search-help">Words are all required; <kbd>"two words"</kbd> finds the phrase, <kbd>kube*</kbd> words that start so, <kbd>-word</kbd> leaves it out.</p>
        </xsl:when>
        <xsl:when test="string(listing/intro)">
          <p class="lead"><xsl:value-of select="listing/intro"/></p>
        </xsl:when>
        <xsl:when test="$filter = 'all' and site/article-count &gt; 0">
          <p class="lead"><xsl:call-template name="site-intro"/></p>
        </xsl:when>
      </xsl:choose>
      <xsl:if test="$filter = 'tag' and string(listing/feed/@href)">
        <p class="feed-link">
          <a href="{listing/feed/@href}" type="application/atom+xml">
            <xsl:text>Atom feed for </xsl:text>
            <xsl:value-of select="listing/heading"/>
          </a>
        </p>
      </xsl:if>
    </div>
    <xsl:apply-templates select="listing"/>
  </xsl:template>

  <!-- "3 results for “kafka”", "No articles match “kafka”.",
       "Type a word to search the articles." -->
  <xsl:template name="search-status">
    <xsl:variable name="q" select="normalize-space(listing/query)"/>
    <xsl:choose>
      <xsl:when test="$q = ''">Type a word to search the articles.</xsl:when>
      <xsl:when test="not(listing/@total &gt; 0)">
        <xsl:text>No articles match “</xsl:text>
        <xsl:value-of select="$q"/>
        <xsl:text>”.</xsl:text>
      </xsl:when>
      <xsl:otherwise>
        <xsl:value-of select="listing/@total"/>
        <xsl:choose>
          <xsl:when test="listing/@total = 1"> result for “</xsl:when>
          <xsl:otherwise> results for “</xsl:otherwise>
        </xsl:choose>
        <xsl:value-of select="$q"/>
        <xsl:text>”</xsl:text>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- A search result's excerpt: the engine marks the matched words. -->
  <xsl:template match="excerpt">
    <p class="card-excerpt"><xsl:apply-templates/></p>
  </xsl:template>

  <xsl:template match="excerpt/mark">
    <mark><xsl:value-of select="."/></mark>
  </xsl:template>

  <xsl:template match="listing">
    <xsl:choose>
      <xsl:when test="entry">
        <ol class="cards">
          <xsl:apply-templates select="entry"/>
        </ol>
      </xsl:when>
      <!-- The search status above already says there is nothing. -->
      <xsl:when test="$filter = 'search'"/>
      <xsl:when test="$filter = 'all'">
        <p class="empty">No articles yet.</p>
      </xsl:when>
      <xsl:otherwise>
        <p class="empty">No articles here yet.</p>
      </xsl:otherwise>
    </xsl:choose>
    <xsl:if test="prev or next">
      <nav class="pager" aria-label="Pagination">
        <xsl:if test="prev">
          <a class="pager-prev" rel="prev" href="{prev/@href}">← Previous</a>
        </xsl:if>
        <span class="pager-status">Page <xsl:value-of select="@page"/> of <xsl:value-of select="@pages"/></span>
        <xsl:if test="next">
          <a class="pager-next" rel="next" href="{next/@href}">Next →</a>
        </xsl:if>
      </nav>
    </xsl:if>
  </xsl:template>

  <xsl:template match="entry">
    <xsl:apply-templates select="." mode="card"/>
  </xsl:template>

</xsl:stylesheet>
