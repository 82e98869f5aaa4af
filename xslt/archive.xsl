<?xml version="1.0" encoding="UTF-8"?>
<!--
  archive.xsl: the archive index "/archive/" (page kind="archive"): per year
  (newest first) a heading linking the year's page, then its months with the
  number of articles in each.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

  <xsl:import href="layout.xsl"/>

  <xsl:template name="page-title">Archive</xsl:template>

  <xsl:template name="page-description">
    <xsl:text>Every article of </xsl:text>
    <xsl:value-of select="site/name"/>
    <xsl:text>, by month.</xsl:text>
  </xsl:template>

  <xsl:template name="content">
    <div class="page-intro">
      <h1>Archive</h1>
      <xsl:if test="archive-index/year and site/article-count &gt; 0">
        <p class="lead"><xsl:call-template name="site-intro"/></p>
      </xsl:if>
    </div>
    <xsl:choose>
      <xsl:when test="archive-index/year">
        <xsl:apply-templates select="archive-index/year"/>
      </xsl:when>
      <xsl:otherwise>
        <p class="empty">No articles yet.</p>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="year">
    <section class="archive-year" aria-labelledby="year-{generate-id()}">
      <h2 id="year-{generate-id()}" class="archive-year-title">
        <a href="{@href}"><xsl:value-of select="@value"/></a>
        <xsl:text> </xsl:text>
        <span class="count">
          <xsl:call-template name="articles">
            <xsl:with-param name="n" select="@count"/>
          </xsl:call-template>
        </span>
      </h2>
      <xsl:if test="month">
        <ul class="archive-months">
          <xsl:for-each select="month">
            <li>
              <a href="{@href}">
                <span class="month-name"><xsl:value-of select="."/></span>
                <xsl:text> </xsl:text>
                <span class="count">
                  <xsl:call-template name="articles">
                    <xsl:with-param name="n" select="@count"/>
                  </xsl:call-template>
                </span>
              </a>
            </li>
          </xsl:for-each>
        </ul>
      </xsl:if>
    </section>
  </xsl:template>

  <!-- "1 article", "14 articles" -->
  <xsl:template name="articles">
    <xsl:param name="n"/>
    <xsl:value-of select="$n"/>
    <xsl:choose>
      <xsl:when test="$n = 1"> article</xsl:when>
      <xsl:otherwise> articles</xsl:otherwise>
    </xsl:choose>
  </xsl:template>

</xsl:stylesheet>
