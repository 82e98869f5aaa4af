<?xml version="1.0" encoding="UTF-8"?>
<!--
  feed-json.xsl: the JSON Feed 1.1 (https://jsonfeed.org/version/1.1) of
  the site or of one tag, from the same page document as feed.xsl (page
  kind="feed"). Every URL and timestamp comes from the engine.

  content_html is the article body after the allowlist (allowlist.xsl, the
  same one the pages and the Atom feed use), serialized here as HTML text:
  text and attribute values HTML-escaped, then everything JSON-escaped.
  XML text holds no control characters but tab, newline and carriage
  return, so these and the quote and backslash are all JSON needs escaped.

  The escaping is done by the engine's xp:json-escape and xp:html-escape
  (linear in the text, in C) when they are available; the templates below
  them are the portable fallback for other XSLT processors, correct but
  slow on long texts full of quotes and backslashes.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:exsl="http://exslt.org/common"
    xmlns:xp="urn:x-xsltpress:functions"
    exclude-result-prefixes="exsl xp">

  <xsl:import href="allowlist.xsl"/>

  <xsl:output method="text" encoding="UTF-8" media-type="application/feed+json"/>

  <!-- Accepted for symmetry with article.xsl; the feed ignores it. -->
  <xsl:param name="trusted-html" select="'no'"/>

  <!-- Elements HTML writes without an end tag. -->
  <xsl:variable name="void-elements" select="' br hr img '"/>

  <xsl:template match="/">
    <xsl:apply-templates select="page"/>
  </xsl:template>

  <xsl:template match="page">
    <xsl:variable name="f" select="feed"/>
    <xsl:text>{"version":"https://jsonfeed.org/version/1.1","title":</xsl:text>
    <xsl:call-template name="json-string">
      <xsl:with-param name="s">
        <xsl:choose>
          <xsl:when test="string($f/@title)"><xsl:value-of select="$f/@title"/></xsl:when>
          <xsl:otherwise><xsl:value-of select="site/name"/></xsl:otherwise>
        </xsl:choose>
      </xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="json-member">
      <xsl:with-param name="name" select="'home_page_url'"/>
      <xsl:with-param name="s" select="$f/@alternate"/>
    </xsl:call-template>
    <xsl:call-template name="json-member">
      <xsl:with-param name="name" select="'feed_url'"/>
      <xsl:with-param name="s" select="$f/@self"/>
    </xsl:call-template>
    <xsl:call-template name="json-member">
      <xsl:with-param name="name" select="'description'"/>
      <xsl:with-param name="s" select="$f/@subtitle"/>
    </xsl:call-template>
    <xsl:call-template name="json-member">
      <xsl:with-param name="name" select="'language'"/>
      <xsl:with-param name="s" select="site/lang"/>
    </xsl:call-template>
    <xsl:text>,"authors":[{"name":</xsl:text>
    <xsl:call-template name="json-string">
      <xsl:with-param name="s" select="site/name"/>
    </xsl:call-template>
    <xsl:text>}],"items":[</xsl:text>
    <xsl:for-each select="entry">
      <xsl:if test="position() > 1">,</xsl:if>
      <xsl:apply-templates select="."/>
    </xsl:for-each>
    <xsl:text>]}&#10;</xsl:text>
  </xsl:template>

  <xsl:template match="entry">
    <xsl:text>{"id":</xsl:text>
    <xsl:call-template name="json-string">
      <xsl:with-param name="s" select="@id"/>
    </xsl:call-template>
    <xsl:call-template name="json-member">
      <xsl:with-param name="name" select="'url'"/>
      <xsl:with-param name="s" select="@abs"/>
    </xsl:call-template>
    <xsl:call-template name="json-member">
      <xsl:with-param name="name" select="'title'"/>
      <xsl:with-param name="s" select="title"/>
    </xsl:call-template>
    <xsl:call-template name="json-member">
      <xsl:with-param name="name" select="'summary'"/>
      <xsl:with-param name="s" select="summary"/>
    </xsl:call-template>
    <xsl:if test="string(@image)">
      <xsl:call-template name="json-member">
        <xsl:with-param name="name" select="'image'"/>
        <xsl:with-param name="s" select="@image"/>
      </xsl:call-template>
    </xsl:if>
    <xsl:if test="article/body">
      <xsl:variable name="clean">
        <xsl:apply-templates select="article/body/node()" mode="body"/>
      </xsl:variable>
      <xsl:text>,"content_html":"</xsl:text>
      <xsl:apply-templates select="exsl:node-set($clean)/node()" mode="html"/>
      <xsl:text>"</xsl:text>
    </xsl:if>
    <xsl:call-template name="json-member">
      <xsl:with-param name="name" select="'date_published'"/>
      <xsl:with-param name="s" select="@published-iso"/>
    </xsl:call-template>
    <xsl:call-template name="json-member">
      <xsl:with-param name="name" select="'date_modified'"/>
      <xsl:with-param name="s" select="@updated-iso"/>
    </xsl:call-template>
    <xsl:text>,"authors":[{"name":</xsl:text>
    <xsl:call-template name="json-string">
      <xsl:with-param name="s">
        <xsl:choose>
          <xsl:when test="string(author)"><xsl:value-of select="author"/></xsl:when>
          <xsl:otherwise><xsl:value-of select="/page/site/name"/></xsl:otherwise>
        </xsl:choose>
      </xsl:with-param>
    </xsl:call-template>
    <xsl:text>}]</xsl:text>
    <xsl:if test="tags/tag">
      <xsl:text>,"tags":[</xsl:text>
      <xsl:for-each select="tags/tag">
        <xsl:if test="position() > 1">,</xsl:if>
        <xsl:call-template name="json-string">
          <xsl:with-param name="s" select="."/>
        </xsl:call-template>
      </xsl:for-each>
      <xsl:text>]</xsl:text>
    </xsl:if>
    <xsl:text>}</xsl:text>
  </xsl:template>

  <!-- ===== The sanitized body as HTML text, JSON-escaped ===== -->

  <xsl:template match="*" mode="html">
    <xsl:text>&lt;</xsl:text>
    <xsl:value-of select="local-name()"/>
    <xsl:for-each select="@*">
      <xsl:text> </xsl:text>
      <xsl:value-of select="local-name()"/>
      <xsl:text>=\"</xsl:text>
      <xsl:choose>
        <xsl:when test="function-available('xp:json-escape')">
          <xsl:value-of select="xp:json-escape(xp:html-escape(., true()))"/>
        </xsl:when>
        <xsl:otherwise>
          <xsl:call-template name="json-escape">
            <xsl:with-param name="s">
              <xsl:call-template name="html-escape">
                <xsl:with-param name="s" select="."/>
                <xsl:with-param name="attribute" select="true()"/>
              </xsl:call-template>
            </xsl:with-param>
          </xsl:call-template>
        </xsl:otherwise>
      </xsl:choose>
      <xsl:text>\"</xsl:text>
    </xsl:for-each>
    <xsl:text>&gt;</xsl:text>
    <xsl:if test="not(contains($void-elements, concat(' ', local-name(), ' ')))">
      <xsl:apply-templates mode="html"/>
      <xsl:text>&lt;/</xsl:text>
      <xsl:value-of select="local-name()"/>
      <xsl:text>&gt;</xsl:text>
    </xsl:if>
  </xsl:template>

  <!-- With the engine's functions, straight into the output: a text
       escaped through a template parameter would be written into a
       temporary tree first, and libxslt measures the whole output again
       each time it comes back to it. -->
  <xsl:template match="text()" mode="html">
    <xsl:choose>
      <xsl:when test="function-available('xp:json-escape')">
        <xsl:value-of select="xp:json-escape(xp:html-escape(.))"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:call-template name="json-escape">
          <xsl:with-param name="s">
            <xsl:call-template name="html-escape">
              <xsl:with-param name="s" select="."/>
            </xsl:call-template>
          </xsl:with-param>
        </xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- ===== Escaping ===== -->

  <!-- ,"NAME":"S" when S is not empty. -->
  <xsl:template name="json-member">
    <xsl:param name="name"/>
    <xsl:param name="s"/>
    <xsl:if test="string($s)">
      <xsl:text>,"</xsl:text>
      <xsl:value-of select="$name"/>
      <xsl:text>":</xsl:text>
      <xsl:call-template name="json-string">
        <xsl:with-param name="s" select="$s"/>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>

  <xsl:template name="json-string">
    <xsl:param name="s"/>
    <xsl:text>"</xsl:text>
    <xsl:call-template name="json-escape">
      <xsl:with-param name="s" select="string($s)"/>
    </xsl:call-template>
    <xsl:text>"</xsl:text>
  </xsl:template>

  <xsl:template name="json-escape">
    <xsl:param name="s"/>
    <xsl:choose>
      <xsl:when test="function-available('xp:json-escape')">
        <xsl:value-of select="xp:json-escape(string($s))"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:call-template name="json-escape-portable">
          <xsl:with-param name="s" select="$s"/>
        </xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="json-escape-portable">
    <xsl:param name="s"/>
    <xsl:call-template name="replace">
      <xsl:with-param name="char" select="'&#9;'"/>
      <xsl:with-param name="with" select="'\t'"/>
      <xsl:with-param name="s">
        <xsl:call-template name="replace">
          <xsl:with-param name="char" select="'&#13;'"/>
          <xsl:with-param name="with" select="'\r'"/>
          <xsl:with-param name="s">
            <xsl:call-template name="replace">
              <xsl:with-param name="char" select="'&#10;'"/>
              <xsl:with-param name="with" select="'\n'"/>
              <xsl:with-param name="s">
                <xsl:call-template name="replace">
                  <xsl:with-param name="char" select="'&quot;'"/>
                  <xsl:with-param name="with" select="'\&quot;'"/>
                  <xsl:with-param name="s">
                    <xsl:call-template name="replace">
                      <xsl:with-param name="char" select="'\'"/>
                      <xsl:with-param name="with" select="'\\'"/>
                      <xsl:with-param name="s" select="$s"/>
                    </xsl:call-template>
                  </xsl:with-param>
                </xsl:call-template>
              </xsl:with-param>
            </xsl:call-template>
          </xsl:with-param>
        </xsl:call-template>
      </xsl:with-param>
    </xsl:call-template>
  </xsl:template>

  <xsl:template name="html-escape">
    <xsl:param name="s"/>
    <xsl:param name="attribute" select="false()"/>
    <xsl:choose>
      <xsl:when test="function-available('xp:html-escape')">
        <xsl:value-of select="xp:html-escape(string($s), $attribute)"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:call-template name="html-escape-portable">
          <xsl:with-param name="s" select="$s"/>
          <xsl:with-param name="attribute" select="$attribute"/>
        </xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="html-escape-portable">
    <xsl:param name="s"/>
    <xsl:param name="attribute" select="false()"/>
    <xsl:variable name="text">
      <xsl:call-template name="replace">
        <xsl:with-param name="char" select="'&gt;'"/>
        <xsl:with-param name="with" select="'&amp;gt;'"/>
        <xsl:with-param name="s">
          <xsl:call-template name="replace">
            <xsl:with-param name="char" select="'&lt;'"/>
            <xsl:with-param name="with" select="'&amp;lt;'"/>
            <xsl:with-param name="s">
              <xsl:call-template name="replace">
                <xsl:with-param name="char" select="'&amp;'"/>
                <xsl:with-param name="with" select="'&amp;amp;'"/>
                <xsl:with-param name="s" select="string($s)"/>
              </xsl:call-template>
            </xsl:with-param>
          </xsl:call-template>
        </xsl:with-param>
      </xsl:call-template>
    </xsl:variable>
    <xsl:choose>
      <xsl:when test="$attribute">
        <xsl:call-template name="replace">
          <xsl:with-param name="char" select="'&quot;'"/>
          <xsl:with-param name="with" select="'&amp;quot;'"/>
          <xsl:with-param name="s" select="$text"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$text"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- Replaces every CHAR (one character) in S with WITH.  Long strings are
       halved first, which a one-character pattern allows anywhere: the
       recursion stays shallow whatever the text, far under libxslt's
       template depth limit. -->
  <xsl:template name="replace">
    <xsl:param name="s"/>
    <xsl:param name="char"/>
    <xsl:param name="with"/>
    <xsl:variable name="len" select="string-length($s)"/>
    <xsl:choose>
      <xsl:when test="not(contains($s, $char))">
        <xsl:value-of select="$s"/>
      </xsl:when>
      <xsl:when test="$len > 64">
        <xsl:variable name="half" select="floor($len div 2)"/>
        <xsl:call-template name="replace">
          <xsl:with-param name="s" select="substring($s, 1, $half)"/>
          <xsl:with-param name="char" select="$char"/>
          <xsl:with-param name="with" select="$with"/>
        </xsl:call-template>
        <xsl:call-template name="replace">
          <xsl:with-param name="s" select="substring($s, $half + 1)"/>
          <xsl:with-param name="char" select="$char"/>
          <xsl:with-param name="with" select="$with"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <xsl:value-of select="substring-before($s, $char)"/>
        <xsl:value-of select="$with"/>
        <xsl:call-template name="replace">
          <xsl:with-param name="s" select="substring-after($s, $char)"/>
          <xsl:with-param name="char" select="$char"/>
          <xsl:with-param name="with" select="$with"/>
        </xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

</xsl:stylesheet>
