"""Errors the workflow reports to users as one clear line."""


class SeedflowError(Exception):
    """A problem with the user's input or configuration (message names the file or key)."""


class DatasetError(SeedflowError):
    """A dataset file cannot be used: corrupt, truncated, or not in the expected layout.

    ``key``: the config key that would change the outcome, named at the end of the message
    (``seedflow predict``, whose user cannot set config keys, names the training run's
    setting or its command-line option instead).
    """

    def __init__(self, path, problem: str, key: str | None = None):
        super().__init__(f"{path}: {problem}" + (f" (config key {key})" if key else ""))
        self.path = path
        self.problem = problem
        self.key = key
