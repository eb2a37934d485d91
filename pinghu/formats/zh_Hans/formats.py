"""Chinese number formats: thousands grouped with commas, as the bulletins print them (50,000), not Django's 万 grouping without a separator."""

# Read where grouping is asked for (floatformat's "g", intcomma), as in English. USE_THOUSAND_SEPARATOR stays
# off, so years, keys and the values in form inputs are never grouped, in either language.
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
