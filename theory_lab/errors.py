class UserError(ValueError):
    """A user-input error: the CLI prints it as one line, exit code 2."""
