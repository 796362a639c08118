"""Imported once by the screen's fork server (population/workers.py): the worker processes forked
from it start with the screen's modules imported and the knowledge release loaded and validated. The fork server
ends with the screen that started it (and its workers with it), however the screen ends."""

from jakcheck.knowledge.loader import default_knowledge
from jakcheck.population.local import die_with_parent

die_with_parent()
default_knowledge()
