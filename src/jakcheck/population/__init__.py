"""Population screening (`jakcheck screen`): the whole review of an export in one command.

Every patient of a FHIR Bulk Data export or a folder of Bundles is read into Patient Facts, put into cohorts
(on a JAK inhibitor, candidate, neither) and, when in the chosen cohort, assessed by the same engine the CLI
and the service use. Two engines produce the same rows: `local` (partition on disk, worker processes) and
`spark` (PySpark). See docs/scaling.md.
"""
