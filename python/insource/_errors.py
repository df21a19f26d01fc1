"""The exceptions of the insource package.

Each carries what the CLI prints: `kind` (case, parse, plugin, rules, batch),
`message` (the CLI's message, position included) and `position` (where:
"file:line:column" for a rules or case file, "<dict>:1:35" for a case given
as a dict, "row 12" for a DataFrame row; "" when there is none).
"""


class Error(Exception):
    def __init__(self, kind, message, position=""):
        super().__init__(message)
        self.kind, self.message, self.position = kind, message, position

    def __reduce__(self):  # picklable, so that it crosses Dask and multiprocessing intact
        return (type(self), (self.kind, self.message, self.position))


class CaseError(Error, ValueError):
    """A case that does not fit the policy (kind "case"), or input that is not JSON (kind "parse")."""


class PluginFault(Error, RuntimeError):
    """A plugin failed on a case (kind "plugin")."""


class PolicyError(Error):
    """The rules or plugins cannot be loaded (kind "rules" or "plugin"); nothing was decided."""
