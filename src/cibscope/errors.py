"""Typed exceptions. Library code raises these; the CLI turns them into one line and a non-zero exit."""

from __future__ import annotations


class CibscopeError(Exception):
    """Base class of every error cibscope raises on purpose."""

    exit_code = 1
    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class InputError(CibscopeError, ValueError):
    """Bad input data: names the file (and the line, where there is one)."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        where = ""
        if file is not None:
            where = f"{file}:{line}: " if line is not None else f"{file}: "
        super().__init__(f"{where}{message}", hint=hint)


class MissingColumnsError(InputError):
    """A file lacks columns its format requires."""

    def __init__(self, file: str, missing: list[str], fmt: str, *, hint: str | None = None) -> None:
        self.missing = missing
        self.format = fmt
        super().__init__(
            f"missing required column(s) for format {fmt!r}: {', '.join(missing)}",
            file=file,
            hint=hint or "check the header row; use --format to force another format",
        )


class UnknownFormatError(InputError):
    """No reader recognises a file."""


class EmptyFileError(InputError):
    """A file with no bytes (or only blanks) where data was expected."""


class StrictModeError(InputError):
    """--strict was given and some rows were quarantined."""


class SchemaError(CibscopeError):
    """A case database of another schema version, or not a cibscope case at all."""


class ParameterError(CibscopeError, ValueError):
    """A parameter outside its documented range."""


class CaseStateError(CibscopeError):
    """A step was asked for before the step it needs (e.g. explain before detect)."""


class BackendError(CibscopeError):
    """The execution engine (DuckDB or Spark) is missing or failed."""


class UnknownAccountError(CibscopeError, LookupError):
    """An account id that is not in the case (e.g. `cibscope explain` of a typo)."""
