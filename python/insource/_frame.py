"""pandas in, pandas out: insource.decide_frame(df).

No decision logic here: the frame is written as CSV (the `insource batch` CSV
input: an `id` column and one column per dotted fact name, an empty cell for
a fact not given) and decided by Engine.decide_csv through the batch
pipeline; its compact records become the columns of the result.
"""
import io
import json

_engines = {}


def _default_engine():
    # One default Engine per process: loading a policy opens the plugin files.
    if None not in _engines:
        from ._engine_api import Engine
        _engines[None] = Engine()
    return _engines[None]


def decide_frame(df, engine=None, jobs=0, errors="raise"):
    """Decide every row of `df`; returns a DataFrame with one row per input row.

    `df` has an `id` column (optional: without it the ids are the row numbers)
    and one column per fact, named as in the rules (`cost.hours`,
    `control.core_competence`, ...); NaN or None leaves a fact out. Columns
    `title` and `description` are ignored. The result, indexed like `df`, has
    `id`, `verdict`, `total`, `rule` (the deciding override, or None) and one
    column per criterion of the policy with its score (NaN where it abstained),
    total and scores to 12 decimals as in `insource batch` records.

    errors="raise" (the default) raises insource.CaseError (or PluginFault) for
    the first row that cannot be decided, naming the row; errors="record"
    keeps going and adds an `error` column (None where the row was decided).
    """
    import pandas as pd

    if errors not in ("raise", "record"):
        raise ValueError("errors must be 'raise' or 'record'")
    engine = engine or _default_engine()
    frame = df
    if "id" not in frame.columns:
        frame = frame.copy()
        frame.insert(0, "id", [str(i) for i in range(len(frame))])
    for name in frame.columns:
        if not isinstance(name, str):
            raise TypeError(f"column names must be fact names (strings), not {name!r}")
    # Booleans in an object column (because of a missing value) are written
    # True/False; the CSV reader takes both spellings.
    text = frame.to_csv(index=False, lineterminator="\n", na_rep="").encode()
    records = engine.decide_csv(text, jobs=jobs)
    criteria = engine.criteria
    rows = []
    error_col = []
    for i, line in enumerate(records.splitlines()):
        rec = json.loads(line)
        if "error" in rec:
            if errors == "raise":
                from ._errors import CaseError, PluginFault
                err = rec["error"]
                cls = PluginFault if err["kind"] == "plugin" else CaseError
                raise cls(err["kind"], f"row {i} (case {rec.get('id', '?')}): {err['message']}",
                          f"row {i}")
            rows.append((rec.get("id"), None, float("nan"), None) + (float("nan"),) * len(criteria))
            error_col.append(f"{rec['error']['kind']}: {rec['error']['message']}")
            continue
        scores = rec["scores"]
        rows.append((rec["id"], rec["verdict"], rec["total"], rec["rule"])
                    + tuple(float("nan") if scores.get(c) is None else scores[c] for c in criteria))
        error_col.append(None)
    if len(rows) != len(frame):
        raise RuntimeError(f"insource: {len(frame)} rows in, {len(rows)} records out")
    out = pd.DataFrame.from_records(rows, columns=["id", "verdict", "total", "rule"] + list(criteria),
                                    index=df.index)
    if errors == "record":
        out["error"] = error_col
    return out
