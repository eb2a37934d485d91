"""Locale formats that differ from Django's (FORMAT_MODULE_PATH); the rest are Django's own."""
