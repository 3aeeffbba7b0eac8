"""How dates read in English ("Dec 8, 2026", "Dec 8"), with the 24-hour clock the activity
times use. The same format names as zh_Hans/formats.py; names not set here fall back to Django's
own en module."""

DATE_FORMAT = "M j, Y"  # Dec 8, 2026
DATETIME_FORMAT = "M j, Y, H:i"  # Dec 8, 2026, 09:30
MONTH_DAY_FORMAT = "M j"  # Dec 8
SHORT_DATETIME_FORMAT = "M j, H:i"  # Dec 8, 09:30
