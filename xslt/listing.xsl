<?xml version="1.0" encoding="UTF-8"?>
<!--
  listing.xsl: the home page and /page/N/ (page kind="listing").
  One card per <entry>, then the pager. See notes/page-document.md.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

  <xsl:import href="layout.xsl"/>

  <xsl:template name="page-title">
    <xsl:value-of select="site/heading"/>
    <xsl:if test="listing/@page &gt; 1">
      <xsl:text> (page </xsl:text>
      <xsl:value-of select="listing/@page"/>
      <xsl:text> of </xsl:text>
      <xsl:value-of select="listing/@pages"/>
      <xsl:text>)</xsl:text>
    </xsl:if>
  </xsl:template>

  <xsl:template name="content">
    <div class="page-intro">
      <h1><xsl:value-of select="site/heading"/></h1>
      <xsl:if test="site/article-count &gt; 0">
        <p class="lead"><xsl:call-template name="site-intro"/></p>
      </xsl:if>
    </div>
    <xsl:apply-templates select="listing"/>
  </xsl:template>

  <xsl:template match="listing">
    <xsl:choose>
      <xsl:when test="entry">
        <ol class="cards">
          <xsl:apply-templates select="entry"/>
        </ol>
      </xsl:when>
      <xsl:otherwise>
        <p class="empty">No articles yet.</p>
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
    <li>
      <article class="card">
        <h2 class="card-title"><a href="{@href}"><xsl:value-of select="title"/></a></h2>
        <p class="card-summary"><xsl:value-of select="summary"/></p>
        <xsl:apply-templates select="." mode="meta"/>
      </article>
    </li>
  </xsl:template>

</xsl:stylesheet>
