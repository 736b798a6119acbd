"""The record browser: every item in a table, filtered and sorted, opened to relabel."""
