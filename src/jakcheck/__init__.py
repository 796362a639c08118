"""jakcheck: clinical decision support for JAK inhibitors from FHIR R4 records and a cited knowledge base."""
