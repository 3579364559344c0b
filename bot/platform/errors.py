"""Expected failures that stop the program with one clear line and no traceback."""


class FatalError(Exception):
    """What is wrong and how to fix it, in one line; the CLI prints it and exits non-zero."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
