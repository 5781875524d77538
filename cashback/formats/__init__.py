"""One way to write a date per language, in the portal, the admin and the
e-mails (issue 28): settings.FORMAT_MODULE_PATH points here, and templates and
code name these formats ("DATE_FORMAT", "DATETIME_FORMAT", ...) instead of
writing a pattern of their own. What is not set here (input formats, number
separators) comes from Django's own locale."""
