"""One module per FHIR resource type the rules read: each maps a resource to Patient Facts on a `Record`.

A mapper reads only what the rules need, records a value it cannot use as an UnusableValue, and raises only
InputError (a resource about another patient, a Patient that makes no sense).
"""
