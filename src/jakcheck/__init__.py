"""jakcheck: clinical decision support for JAK inhibitors from FHIR R4 records and a cited knowledge base."""

from jakcheck import native as _native

_native.install()  # compiled hot paths, only when they match these sources (jakcheck/native.py)
