"""Generators of files that jakcheck ships or publishes, run by `make docs`."""
