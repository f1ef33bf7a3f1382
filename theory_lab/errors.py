"""The lab's one base class for errors in what a user gave it."""


class UserError(ValueError):
    """A user-input error: the CLI prints it as one line, exit code 2."""
