"""insource.Engine: the C++ engine (insource._engine.Engine) with the Python side
of its API: dicts in and out, and streams of them.

The C++ class takes and gives JSON text (the CLI's own readers and writers
do the work, so a record is the CLI's record byte for byte); this class only
turns dicts into JSON text and back, and cuts streams into chunks.
"""
import itertools
import json
import math

from . import _engine
from ._errors import CaseError


def _non_finite(value, path=""):
    """The dotted name of the first NaN or infinity in a case's facts, or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return path
    if isinstance(value, dict):
        for k, v in value.items():
            found = _non_finite(v, f"{path}.{k}" if path else str(k))
            if found is not None:
                return found
    return None


def _dumps(case):
    # JSON has no NaN or infinity, and the engine reads JSON strictly: name
    # the fact here, as the engine names a fact that is not a finite number.
    bad = _non_finite(case.get("facts")) if isinstance(case, dict) else None
    if bad is not None:
        raise CaseError("case", f"case {case.get('id', '?')}: fact {bad} must be a finite number", "")
    return json.dumps(case, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class Engine(_engine.Engine):
    """A loaded policy: rules bound to their plugins, as the `insource` command loads them.

    Engine(rules=None, plugins=(), isolate=False, no_default_plugins=False,
           allow_writable_plugins=False, plugin_timeout_ms=None, isolate_memory_mib=None)

    rules: a rules file (None: the built-in default policy); plugins: folders
    searched before INSOURCE_PLUGIN_PATH and the installed plugins; pins in
    the rules (criteria.<name>.sha256) and their isolate keys apply as in the
    CLI. Raises PolicyError (kind "rules" or "plugin") when the policy does not
    load. Thread-safe: calls from several threads decide at the same time.
    """

    def __init__(self, rules=None, plugins=(), isolate=False, no_default_plugins=False,
                 allow_writable_plugins=False, plugin_timeout_ms=None, isolate_memory_mib=None):
        if isinstance(plugins, str):
            plugins = [plugins]
        super().__init__("" if rules is None else str(rules), [str(p) for p in plugins], bool(isolate),
                         bool(no_default_plugins), bool(allow_writable_plugins),
                         0 if plugin_timeout_ms is None else int(plugin_timeout_ms),
                         -1 if isolate_memory_mib is None else int(isolate_memory_mib))

    def decide(self, case):
        """The decision record of one case (a dict {"id", "facts"}), as `decide --format json` writes it.

        Raises CaseError (with the CLI's message and position) for a case that
        does not fit the policy, PluginFault when a plugin fails on it."""
        if not isinstance(case, dict):
            raise TypeError(f"a case is a dict {{'id': ..., 'facts': {{...}}}}, not {type(case).__name__}")
        try:
            text = _dumps(case)
        except CaseError:
            raise
        except (TypeError, ValueError) as e:
            raise CaseError("case", f"the case cannot be written as JSON: {e}", "") from e
        return json.loads(self._decide_json(text))

    def decide_many(self, cases, jobs=0, chunk=10_000):
        """Decision records of an iterable of case dicts, yielded in input order.

        Cases are decided `chunk` at a time through the batch pipeline on
        `jobs` threads (0: all cores); a case that cannot be read or decided
        yields an error record {"id"?, "line", "error": {"kind", "message"}}
        in its place (line: its position in the input, from 1), exactly as
        `insource batch --detail` writes them. Nothing is lost or reordered."""
        if chunk < 1:
            raise ValueError("chunk must be at least 1")
        it = iter(cases)
        line = 1
        while True:
            block = list(itertools.islice(it, chunk))
            if not block:
                return
            texts = []
            for case in block:
                try:
                    texts.append(_dumps(case))
                except (TypeError, ValueError) as e:
                    # Not JSON at all: a line the reader refuses, so that the error record stays in place.
                    texts.append("\x01 " + str(e).replace("\n", " "))
            data = ("\n".join(texts) + "\n").encode()
            yield from self.decide_jsonl(data, jobs=jobs, detail=True, first_line=line, as_list=True)
            line += len(block)

    def decide_jsonl(self, data, jobs=0, detail=False, first_line=1, as_list=False):
        """`insource batch` on JSON Lines bytes: the records as bytes (one line per input line), or a list of dicts.

        jobs: worker threads (0: all cores); detail: full records (`batch --detail`);
        first_line: the line number of the first line (for a part of a larger file)."""
        out = self._batch(data, "jsonl", jobs, detail, first_line)
        return [json.loads(line) for line in out.splitlines()] if as_list else out

    def decide_csv(self, data, jobs=0, detail=False):
        """`insource batch` on CSV bytes (a header of id and dotted fact names): the records as bytes."""
        return self._batch(data, "csv", jobs, detail, 1)

    def decide_frame(self, df, jobs=0, errors="raise"):
        """insource.decide_frame(df, engine=self)."""
        from ._frame import decide_frame
        return decide_frame(df, engine=self, jobs=jobs, errors=errors)

    def __repr__(self):
        return f"<insource.Engine revision {self.revision[:12]}, criteria {', '.join(self.criteria)}>"
