<?xml version="1.0" encoding="UTF-8"?>
<!--
  article.xsl: one article (page kind="article").

  Display strings (title, dates, reading time, tag links) come from <entry>;
  the body comes from <article>/<body>, the writer's markup. Below the body:
  the "Keep reading" nav (<nav-links>), related articles (<related>) and the
  link back to the listing. The date links to the month archive (<archive>).

  Parameter trusted-html: 'yes' copies the body as written; anything else
  (the default) copies it through the allowlist in mode="body", which lives
  in allowlist.xsl (shared with feed.xsl).
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

  <xsl:import href="layout.xsl"/>
  <xsl:import href="allowlist.xsl"/>

  <xsl:param name="trusted-html" select="'no'"/>

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
          <xsl:with-param name="archive" select="archive"/>
        </xsl:apply-templates>
        <xsl:apply-templates select="entry" mode="tags"/>
      </header>
      <xsl:apply-templates select="toc"/>
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
    <xsl:apply-templates select="nav-links[prev or next]"/>
    <xsl:apply-templates select="related[entry]"/>
    <xsl:if test="back/@href">
      <p class="back"><a href="{back/@href}">← All articles</a></p>
    </xsl:if>
  </xsl:template>

  <!-- The table of contents (three or more h2; the engine builds <toc>
       with an <item id text> per h2, its h3 nested).  A site that wants
       none overrides this template with an empty one. -->
  <xsl:template match="toc">
    <nav class="toc" aria-label="Contents">
      <p class="toc-title" aria-hidden="true">Contents</p>
      <ol>
        <xsl:apply-templates select="item" mode="toc"/>
      </ol>
    </nav>
  </xsl:template>

  <xsl:template match="item" mode="toc">
    <li>
      <a href="#{@id}"><xsl:value-of select="@text"/></a>
      <xsl:if test="item">
        <ol>
          <xsl:apply-templates select="item" mode="toc"/>
        </ol>
      </xsl:if>
    </li>
  </xsl:template>

  <!-- A heading of the body with its id (the engine gives every h2 and
       h3 one) and a link to itself, shown on hover and focus.  tabindex
       lets a contents link move keyboard focus to it. -->
  <xsl:template match="*[local-name() = 'h2' or local-name() = 'h3'][string(@id)]" mode="body">
    <xsl:element name="{local-name()}">
      <xsl:attribute name="id"><xsl:value-of select="@id"/></xsl:attribute>
      <xsl:attribute name="tabindex">-1</xsl:attribute>
      <xsl:apply-templates mode="body"/>
      <xsl:text> </xsl:text>
      <a class="heading-link" href="#{@id}" aria-label="Link to this section: {normalize-space(.)}">#</a>
    </xsl:element>
  </xsl:template>

  <!-- "Keep reading": the next older (rel=prev) and newer (rel=next) article. -->
  <xsl:template match="nav-links">
    <nav class="post-nav" aria-labelledby="keep-reading">
      <h2 id="keep-reading" class="section-title">Keep reading</h2>
      <ul>
        <xsl:if test="prev">
          <li class="post-nav-prev">
            <a rel="prev" href="{prev/@href}">
              <span class="post-nav-label"><span aria-hidden="true">← </span>Older<span class="visually-hidden">:</span></span>
              <xsl:text> </xsl:text>
              <span class="post-nav-title"><xsl:value-of select="prev/@title"/></span>
            </a>
          </li>
        </xsl:if>
        <xsl:if test="next">
          <li class="post-nav-next">
            <a rel="next" href="{next/@href}">
              <span class="post-nav-label">Newer<span class="visually-hidden">:</span><span aria-hidden="true"> →</span></span>
              <xsl:text> </xsl:text>
              <span class="post-nav-title"><xsl:value-of select="next/@title"/></span>
            </a>
          </li>
        </xsl:if>
      </ul>
    </nav>
  </xsl:template>

  <xsl:template match="related">
    <section class="related" aria-labelledby="related-title">
      <h2 id="related-title" class="section-title">Related articles</h2>
      <ul class="cards cards-sm">
        <xsl:apply-templates select="entry" mode="card">
          <xsl:with-param name="heading" select="'h3'"/>
          <xsl:with-param name="class" select="'card card-sm'"/>
          <xsl:with-param name="with-tags" select="false()"/>
        </xsl:apply-templates>
      </ul>
    </section>
  </xsl:template>

</xsl:stylesheet>
