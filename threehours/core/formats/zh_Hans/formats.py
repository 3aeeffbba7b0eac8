"""How dates read in Chinese: the numeric forms the pages have always shown, and "12月8日" for
a day within the year. Templates and code name a format (`|date:"DATE_FORMAT"`,
`formats.date_format(day, "MONTH_DAY_FORMAT")`), never spell one out; names not set here fall
back to Django's own zh_Hans module. Machine forms (ISO dates in URLs and <input type="date">)
stay literal "Y-m-d"."""

DATE_FORMAT = "Y-m-d"  # 2026-12-08
DATETIME_FORMAT = "Y-m-d H:i"  # 2026-12-08 09:30
MONTH_DAY_FORMAT = "n月j日"  # 12月8日
SHORT_DATETIME_FORMAT = "m-d H:i"  # 12-08 09:30
