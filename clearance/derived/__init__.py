"""Tables derived from the records (the monthly rollup, the site tree), kept by the write path in the same transaction."""
