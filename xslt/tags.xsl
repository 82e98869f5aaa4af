<?xml version="1.0" encoding="UTF-8"?>
<!--
  tags.xsl: the tag index "/tags/" (page kind="tags"): every tag, as the
  engine sorted it, with the number of articles carrying it.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

  <xsl:import href="layout.xsl"/>

  <xsl:template name="page-title">Tags</xsl:template>

  <xsl:template name="page-description">
    <xsl:text>All tags of </xsl:text>
    <xsl:value-of select="site/name"/>
    <xsl:text>.</xsl:text>
  </xsl:template>

  <xsl:template name="content">
    <div class="page-intro">
      <h1>Tags</h1>
      <xsl:if test="tags-index/tag">
        <p class="lead">
          <xsl:variable name="n" select="count(tags-index/tag)"/>
          <xsl:value-of select="$n"/>
          <xsl:choose>
            <xsl:when test="$n = 1"> topic</xsl:when>
            <xsl:otherwise> topics</xsl:otherwise>
          </xsl:choose>
          <xsl:text> across </xsl:text>
          <xsl:value-of select="site/article-count"/>
          <xsl:choose>
            <xsl:when test="site/article-count = 1"> article.</xsl:when>
            <xsl:otherwise> articles.</xsl:otherwise>
          </xsl:choose>
        </p>
      </xsl:if>
    </div>
    <xsl:choose>
      <xsl:when test="tags-index/tag">
        <ul class="tag-cloud">
          <xsl:for-each select="tags-index/tag">
            <li>
              <a href="{@href}">
                <span class="tag-name">#<xsl:value-of select="."/></span>
                <xsl:text> </xsl:text>
                <span class="count">
                  <xsl:value-of select="@count"/>
                  <span class="visually-hidden">
                    <xsl:choose>
                      <xsl:when test="@count = 1"> article</xsl:when>
                      <xsl:otherwise> articles</xsl:otherwise>
                    </xsl:choose>
                  </span>
                </span>
              </a>
            </li>
          </xsl:for-each>
        </ul>
      </xsl:when>
      <xsl:otherwise>
        <p class="empty">No tags yet.</p>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

</xsl:stylesheet>
