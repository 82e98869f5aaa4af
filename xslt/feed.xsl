<?xml version="1.0" encoding="UTF-8"?>
<!--
  feed.xsl: the Atom 1.0 feed (RFC 4287) of the site or of one tag
  (page kind="feed"). Every URL and timestamp comes from the engine
  (<feed> and <entry> attributes); the stylesheet formats nothing.

  Entry content is type="xhtml": the article body goes through the same
  allowlist as article.xsl (allowlist.xsl), with its elements created in
  the XHTML namespace. The feed always uses the allowlist, whatever
  trusted-html says: feed readers get the same sanitized markup as a page.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="http://www.w3.org/2005/Atom">

  <xsl:import href="allowlist.xsl"/>

  <xsl:output method="xml" encoding="UTF-8" indent="no"
              media-type="application/atom+xml"/>

  <!-- Accepted for symmetry with article.xsl; the feed ignores it. -->
  <xsl:param name="trusted-html" select="'no'"/>

  <!-- allowlist.xsl builds the body in this namespace. -->
  <xsl:variable name="allowlist-ns" select="'http://www.w3.org/1999/xhtml'"/>

  <xsl:template match="/">
    <xsl:apply-templates select="page"/>
  </xsl:template>

  <xsl:template match="page">
    <xsl:variable name="f" select="feed"/>
    <feed>
      <xsl:if test="string(site/lang)">
        <xsl:attribute name="xml:lang"><xsl:value-of select="site/lang"/></xsl:attribute>
      </xsl:if>
      <title type="text">
        <xsl:choose>
          <xsl:when test="string($f/@title)"><xsl:value-of select="$f/@title"/></xsl:when>
          <xsl:otherwise><xsl:value-of select="site/name"/></xsl:otherwise>
        </xsl:choose>
      </title>
      <xsl:if test="string($f/@subtitle)">
        <subtitle type="text"><xsl:value-of select="$f/@subtitle"/></subtitle>
      </xsl:if>
      <id><xsl:value-of select="$f/@id"/></id>
      <updated><xsl:value-of select="$f/@updated"/></updated>
      <xsl:if test="string($f/@self)">
        <link rel="self" type="application/atom+xml" href="{$f/@self}"/>
      </xsl:if>
      <xsl:if test="string($f/@alternate)">
        <link rel="alternate" type="text/html" href="{$f/@alternate}"/>
      </xsl:if>
      <author>
        <name><xsl:value-of select="site/name"/></name>
      </author>
      <generator>xsltpress</generator>
      <xsl:apply-templates select="entry"/>
    </feed>
  </xsl:template>

  <xsl:template match="entry">
    <entry>
      <title type="text"><xsl:value-of select="title"/></title>
      <id><xsl:value-of select="@id"/></id>
      <link rel="alternate" type="text/html" href="{@abs}"/>
      <xsl:if test="string(@published-iso)">
        <published><xsl:value-of select="@published-iso"/></published>
      </xsl:if>
      <updated>
        <xsl:choose>
          <xsl:when test="string(@updated-iso)"><xsl:value-of select="@updated-iso"/></xsl:when>
          <xsl:otherwise><xsl:value-of select="@published-iso"/></xsl:otherwise>
        </xsl:choose>
      </updated>
      <author>
        <name>
          <xsl:choose>
            <xsl:when test="string(author)"><xsl:value-of select="author"/></xsl:when>
            <xsl:otherwise><xsl:value-of select="/page/site/name"/></xsl:otherwise>
          </xsl:choose>
        </name>
      </author>
      <xsl:for-each select="tags/tag">
        <category term="{.}"/>
      </xsl:for-each>
      <xsl:if test="string(summary)">
        <summary type="text"><xsl:value-of select="summary"/></summary>
      </xsl:if>
      <!-- The article's picture (absolute), as Media RSS readers show it. -->
      <xsl:if test="string(@image)">
        <media:thumbnail xmlns:media="http://search.yahoo.com/mrss/" url="{@image}"/>
      </xsl:if>
      <xsl:if test="article/body">
        <content type="xhtml">
          <xsl:if test="string(@abs)">
            <xsl:attribute name="xml:base"><xsl:value-of select="@abs"/></xsl:attribute>
          </xsl:if>
          <div xmlns="http://www.w3.org/1999/xhtml">
            <xsl:apply-templates select="article/body/node()" mode="body"/>
          </div>
        </content>
      </xsl:if>
    </entry>
  </xsl:template>

</xsl:stylesheet>
