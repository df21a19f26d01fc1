"""insource: sourcing decisions (insource, outsource, hybrid ...) from Python.

The engine itself is the C++ extension `insource._engine`, built from the same
libraries as the `insource` command: an Engine loads a policy exactly as the
CLI does (rules, plugins, pins, isolation) and decides through the same code,
so its records are the CLI's records. This file adds only the pandas glue
(decide_frame): a DataFrame goes in as CSV with dotted column names, the
format `insource batch` reads, and the compact batch records come back as
columns.

    import insource
    engine = insource.Engine()                     # the default rules and plugins
    engine.decide({"id": "x", "facts": {"cost": {"hours": 100, "internal_rate": 50, "external_rate": 40}}})
    insource.decide_frame(df)                      # a DataFrame of verdicts
"""
from ._errors import Error, CaseError, PolicyError, PluginFault  # noqa: F401  (before _engine, which raises them)
from ._engine import __version__  # noqa: F401
from ._engine_api import Engine  # noqa: F401
from ._frame import decide_frame  # noqa: F401

__all__ = ["Engine", "Error", "CaseError", "PolicyError", "PluginFault", "decide_frame", "__version__"]
