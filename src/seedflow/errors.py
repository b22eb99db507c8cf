"""Errors the workflow reports to users as one clear line."""


class SeedflowError(Exception):
    """A problem with the user's input or configuration (message names the file or key)."""


class DatasetError(SeedflowError):
    """A dataset file cannot be used: corrupt, truncated, or not in the expected layout."""

    def __init__(self, path, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem
