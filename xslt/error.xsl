<?xml version="1.0" encoding="UTF-8"?>
<!--
  error.xsl: an error page (page kind="error"), e.g. 404 Not Found.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

  <xsl:import href="layout.xsl"/>

  <xsl:template name="page-title">
    <xsl:value-of select="concat(error/@status, ' — ', error/@reason)"/>
  </xsl:template>

  <xsl:template name="page-description">
    <xsl:value-of select="normalize-space(error/message)"/>
  </xsl:template>

  <xsl:template name="content">
    <div class="error-page">
      <h1><xsl:value-of select="concat(error/@status, ' — ', error/@reason)"/></h1>
      <p class="lead"><xsl:value-of select="error/message"/></p>
      <p class="back">
        <a class="button" href="{back/@href}">
          <xsl:if test="not(back/@href)">
            <xsl:attribute name="href"><xsl:value-of select="site/home/@href"/></xsl:attribute>
          </xsl:if>
          <xsl:text>← Back to the home page</xsl:text>
        </a>
      </p>
    </div>
  </xsl:template>

</xsl:stylesheet>
