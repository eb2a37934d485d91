"""Thin views, by area: each asks selectors for its data and services for its writes."""
