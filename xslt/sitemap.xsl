<?xml version="1.0" encoding="UTF-8"?>
<!--
  sitemap.xsl: sitemaps.org 0.9 (page kind="sitemap"): one <url> per <url
  loc=".." lastmod=".."/> of the page document, lastmod only when given.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">

  <xsl:output method="xml" encoding="UTF-8" indent="yes"/>

  <xsl:template match="/">
    <urlset>
      <xsl:for-each select="page/url[string(@loc)]">
        <url>
          <loc><xsl:value-of select="@loc"/></loc>
          <xsl:if test="string(@lastmod)">
            <lastmod><xsl:value-of select="@lastmod"/></lastmod>
          </xsl:if>
        </url>
      </xsl:for-each>
    </urlset>
  </xsl:template>

</xsl:stylesheet>
