<?xml version="1.0" encoding="UTF-8"?>
<!--
  allowlist.xsl: the one copy of the article-body allowlist, imported by
  article.xsl (HTML page, elements in no namespace) and feed.xsl (Atom
  content type="xhtml", elements in the XHTML namespace).

  Apply templates in mode="body" to the children of <body>:
    - allowed elements are rebuilt in the namespace $allowlist-ns with the
      allowed attributes only (never copied with xsl:copy);
    - href/src values with a javascript:, vbscript: or data: scheme are
      dropped (any case, whitespace anywhere in the value ignored);
    - script and style are dropped with their content;
    - any other element is replaced by its text (mode="text");
    - comments and processing instructions are dropped.
  Nothing here uses disable-output-escaping.

  $allowlist-ns is the output namespace: '' here (no namespace); feed.xsl
  redefines the variable as the XHTML namespace (its import precedence wins).
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

  <xsl:variable name="allowlist-ns" select="''"/>

  <xsl:variable name="allowlist-upper" select="'ABCDEFGHIJKLMNOPQRSTUVWXYZ'"/>
  <xsl:variable name="allowlist-lower" select="'abcdefghijklmnopqrstuvwxyz'"/>

  <!-- Space-delimited allowlists, looked up with contains(' name '). -->
  <xsl:variable name="allowed-elements"
    select="' p h2 h3 h4 ul ol li pre code blockquote a em strong img figure figcaption table thead tbody tr th td hr br '"/>
  <xsl:variable name="dropped-elements" select="' script style '"/>
  <xsl:variable name="allowed-attributes"
    select="' a:href a:title img:src img:alt img:title img:width img:height img:loading img:decoding h2:id h3:id h4:id th:colspan th:rowspan td:colspan td:rowspan ol:start code:class pre:class '"/>
  <xsl:variable name="url-attributes" select="' a:href img:src '"/>

  <!-- ===== Allowlist copy of the body ===== -->

  <xsl:template match="*" mode="body">
    <xsl:variable name="name" select="concat(' ', local-name(), ' ')"/>
    <xsl:choose>
      <xsl:when test="contains($allowed-elements, $name)">
        <xsl:element name="{local-name()}" namespace="{$allowlist-ns}">
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
    <xsl:variable name="is-url" select="contains($url-attributes, $pair)"/>
    <!-- Browsers ignore leading spaces, and tabs or newlines inside a
         scheme: compare with all whitespace removed, in lower case. -->
    <xsl:variable name="url"
      select="translate(translate(., ' &#9;&#10;&#13;', ''), $allowlist-upper, $allowlist-lower)"/>
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
    <xsl:element name="div" namespace="{$allowlist-ns}">
      <xsl:attribute name="class">table-wrap</xsl:attribute>
      <xsl:element name="table" namespace="{$allowlist-ns}">
        <xsl:apply-templates mode="body"/>
      </xsl:element>
    </xsl:element>
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
