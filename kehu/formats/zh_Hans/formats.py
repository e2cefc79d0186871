"""Number format for zh-hans pages (settings.FORMAT_MODULE_PATH; every other format is Django's).

Django's zh_Hans format groups nothing (12345), while kehu's money filter, the English pages and the
charts' axes (ECharts) write 12,345: the same figure looked different from page to page and between
a chart's labels and its axis. Chinese financial statements group by thousands with commas too, so
zh-hans pages do the same (static/kehu/kehu.js formats the charts' numbers to match)."""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
DECIMAL_SEPARATOR = "."
