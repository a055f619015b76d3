"""The project's own error types.

Every failure a user can cause (bad input file, existing output, bad flag) raises a subclass of
`DuetgraphError` whose message is one sentence naming the file, the problem and the fix. The CLI
prints that sentence and exits with status 2; anything else is a bug.
"""


class DuetgraphError(Exception):
    """Base class of every error duetgraph raises on purpose."""


class InputError(DuetgraphError):
    """The user's input (file, array, option) cannot be used as given."""


class OutputError(DuetgraphError):
    """An output cannot be written (exists without --overwrite, read-only or full location)."""
