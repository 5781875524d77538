"""Swedish: "4 december 2026", "4 december 2026 14:30 CET"."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y H:i T"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "j b Y"  # "4 dec 2026": "M" would capitalise it
SHORT_DATETIME_FORMAT = "j b Y H:i"
FIRST_DAY_OF_WEEK = 1  # måndag
