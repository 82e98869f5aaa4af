#!/home/you/xsltpress/xsltpress
articles_dir = ../../xsltpress/site/articles
xslt_dir = ../../xsltpress/site/xslt
