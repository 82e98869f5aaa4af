<?xml version="1.0" encoding="UTF-8"?>
<!--
  article.xsl: one article (page kind="article").

  Display strings (title, dates, reading time, tag links) come from <entry>;
  the body comes from <article>/<body>, the writer's markup.

  Parameter trusted-html: 'yes' copies the body as written; anything else
  (the default) copies it through the allowlist in mode="body":
    - allowed elements are rebuilt in no namespace with allowed attributes;
    - href/src values with a javascript:, vbscript: or data: scheme are dropped;
    - script and style are dropped with their content;
    - any other element is replaced by its text (mode="text").
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

  <xsl:import href="layout.xsl"/>

  <xsl:param name="trusted-html" select="'no'"/>

  <xsl:variable name="upper" select="'ABCDEFGHIJKLMNOPQRSTUVWXYZ'"/>
  <xsl:variable name="lower" select="'abcdefghijklmnopqrstuvwxyz'"/>

  <!-- Space-delimited allowlists, looked up with contains(' name '). -->
  <xsl:variable name="allowed-elements"
    select="' p h2 h3 h4 ul ol li pre code blockquote a em strong img figure figcaption table thead tbody tr th td hr br '"/>
  <xsl:variable name="dropped-elements" select="' script style '"/>
  <xsl:variable name="allowed-attributes"
    select="' a:href a:title img:src img:alt img:title img:width img:height th:colspan th:rowspan td:colspan td:rowspan ol:start code:class pre:class '"/>

  <xsl:template name="page-title">
    <xsl:value-of select="entry/title"/>
  </xsl:template>

  <xsl:template name="page-description">
    <xsl:value-of select="normalize-space(entry/summary)"/>
  </xsl:template>

  <xsl:template name="content">
    <article class="post">
      <header class="post-header">
        <h1><xsl:value-of select="entry/title"/></h1>
        <xsl:apply-templates select="entry" mode="meta">
          <xsl:with-param name="full" select="true()"/>
        </xsl:apply-templates>
        <xsl:if test="entry/tags/tag">
          <ul class="tags" aria-label="Tags">
            <xsl:for-each select="entry/tags/tag">
              <li><a href="{@href}">#<xsl:value-of select="."/></a></li>
            </xsl:for-each>
          </ul>
        </xsl:if>
      </header>
      <div class="prose">
        <xsl:choose>
          <xsl:when test="$trusted-html = 'yes'">
            <xsl:copy-of select="article/body/node()"/>
          </xsl:when>
          <xsl:otherwise>
            <xsl:apply-templates select="article/body/node()" mode="body"/>
          </xsl:otherwise>
        </xsl:choose>
      </div>
    </article>
    <xsl:if test="back/@href">
      <p class="back"><a href="{back/@href}">← All articles</a></p>
    </xsl:if>
  </xsl:template>

  <!-- ===== Allowlist copy of the body ===== -->

  <xsl:template match="*" mode="body">
    <xsl:variable name="name" select="concat(' ', local-name(), ' ')"/>
    <xsl:choose>
      <xsl:when test="contains($allowed-elements, $name)">
        <xsl:element name="{local-name()}">
          <xsl:apply-templates select="@*" mode="body"/>
          <xsl:apply-templates mode="body"/>
        </xsl:element>
      </xsl:when>
      <xsl:when test="contains($dropped-elements, $name)"/>
      <xsl:otherwise>
        <xsl:apply-templates mode="text"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="text()" mode="body">
    <xsl:value-of select="."/>
  </xsl:template>

  <!-- Comments and processing instructions are not copied. -->
  <xsl:template match="comment() | processing-instruction()" mode="body"/>

  <!-- Attributes: only the pairs listed in $allowed-attributes, in no
       namespace; a URL attribute also needs a safe scheme. -->
  <xsl:template match="@*" mode="body">
    <xsl:variable name="pair" select="concat(' ', local-name(..), ':', local-name(), ' ')"/>
    <xsl:variable name="is-url" select="contains(' a:href img:src ', $pair)"/>
    <!-- Browsers ignore leading spaces, and tabs or newlines inside a
         scheme: compare with all whitespace removed, in lower case. -->
    <xsl:variable name="url"
      select="translate(translate(., ' &#9;&#10;&#13;', ''), $upper, $lower)"/>
    <xsl:if test="namespace-uri() = ''
                  and contains($allowed-attributes, $pair)
                  and not($is-url and (starts-with($url, 'javascript:')
                                       or starts-with($url, 'vbscript:')
                                       or starts-with($url, 'data:')))">
      <xsl:attribute name="{local-name()}"><xsl:value-of select="."/></xsl:attribute>
    </xsl:if>
  </xsl:template>

  <!-- A table scrolls sideways inside its own box on narrow screens. -->
  <xsl:template match="*[local-name() = 'table']" mode="body">
    <div class="table-wrap">
      <table>
        <xsl:apply-templates mode="body"/>
      </table>
    </div>
  </xsl:template>

  <!-- ===== Text of a disallowed element ===== -->

  <xsl:template match="text()" mode="text">
    <xsl:value-of select="."/>
  </xsl:template>

  <xsl:template match="*" mode="text">
    <xsl:if test="not(contains($dropped-elements, concat(' ', local-name(), ' ')))">
      <xsl:apply-templates mode="text"/>
    </xsl:if>
  </xsl:template>

  <xsl:template match="comment() | processing-instruction()" mode="text"/>

</xsl:stylesheet>
