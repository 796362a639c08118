"""Errors a user can act on. Anything else that escapes is a bug."""

from __future__ import annotations


class JakcheckError(Exception):
    """Base of the errors that carry a message meant for the user."""

    exit_code = 1


class InputError(JakcheckError):
    """The input cannot be read as a patient record. The message names the file, line/column or resource,
    and the field."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 column: int | None = None, resource: str | None = None, field: str | None = None) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.resource = resource
        self.field = field
        where = []
        if file:
            where.append(file + (f":{line}" if line is not None else "") + (f":{column}" if column is not None else ""))
        if resource:
            where.append(resource)
        if field:
            where.append(f"field {field}")
        prefix = (", ".join(where) + ": ") if where else ""
        super().__init__(prefix + message)

    def for_field(self, field: str) -> InputError:
        """The same error naming the field as an entry point calls it (the engine names its own arguments,
        e.g. `indication`; the CLI calls it `--indication`)."""
        return InputError(self.message, file=self.file, line=self.line, column=self.column,
                          resource=self.resource, field=field)


class PatientDeceased(InputError):
    """The record says the patient has died: no assessment is made (exit code 2, HTTP 422, an information card
    in CDS Hooks). The message names the date of death when the record gives it."""

    def __init__(self, deceased_on: str | None) -> None:
        self.deceased_on = deceased_on
        when = f"on {deceased_on}" if deceased_on else "(no date of death recorded)"
        super().__init__(f"the record says the patient died {when}: no treatment assessment is made",
                         resource="Patient", field="deceased")


class KnowledgeError(JakcheckError):
    """A knowledge file does not validate; jakcheck refuses to start."""

    exit_code = 3


class ConfigError(JakcheckError):
    """A setting is invalid."""

    exit_code = 4
