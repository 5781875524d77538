"""English: day before month, the month in words, 24 hours ("4 December 2026",
"4 December 2026 14:30 CET"): no reader guesses between 4/12 and 12/4."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y H:i T"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
