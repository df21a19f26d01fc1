"""insource.decide_frame: a DataFrame of cases in, a DataFrame of verdicts out."""
import json
import math

import pandas as pd
import pytest

import insource
from conftest import BAD_CASE, cli, generated


def flat_frame(cases):
    # One column per dotted fact name, plus id: what a data team's table looks like.
    return pd.json_normalize(cases, sep=".").rename(columns=lambda c: c[len("facts."):] if c.startswith("facts.") else c)


@pytest.fixture(scope="module")
def cases():
    return [json.loads(line) for line in generated(20_000, seed=6).splitlines()]


def test_round_trip_matches_batch(cases, engine):
    df = flat_frame(cases)
    assert "cost.hours" in df.columns and "id" in df.columns
    out = insource.decide_frame(df, engine=engine)
    status, records, err = cli("batch", "--quiet", "--jobs", "1", "-",
                               stdin=b"".join(json.dumps(c).encode() + b"\n" for c in cases))
    assert status == 0, err
    expected = [json.loads(line) for line in records.splitlines()]
    assert list(out.columns) == ["id", "verdict", "total", "rule", "cost", "control", "security", "legal", "training"]
    assert len(out) == len(df) and (out.index == df.index).all()
    assert list(out["id"]) == [r["id"] for r in expected]
    assert list(out["verdict"]) == [r["verdict"] for r in expected]
    assert list(out["total"]) == [r["total"] for r in expected]
    assert list(out["rule"]) == [r["rule"] for r in expected]
    for c in engine.criteria:
        got = out[c].tolist()
        want = [r["scores"][c] for r in expected]
        assert all((w is None and math.isnan(g)) or g == w for g, w in zip(got, want)), c


def test_default_engine_and_index_kept(cases):
    df = flat_frame(cases[:50])
    df.index = [f"row{i}" for i in range(50)]
    out = insource.decide_frame(df)
    assert list(out.index) == list(df.index)
    assert out["verdict"].isin(["insource", "outsource", "hybrid", "outsource-then-insource"]).all()


def test_without_id_column(cases):
    df = flat_frame(cases[:10]).drop(columns=["id"])
    out = insource.decide_frame(df)
    assert list(out["id"]) == [str(i) for i in range(10)]


def test_bad_row_raises_naming_the_row(cases, engine):
    df = flat_frame(cases[:100] + [BAD_CASE] + cases[100:200])
    with pytest.raises(insource.CaseError) as info:
        insource.decide_frame(df, engine=engine)
    assert info.value.kind == "case"
    assert "row 100" in str(info.value) and "cost.hours must be > 0" in str(info.value)
    out = insource.decide_frame(df, engine=engine, errors="record")
    assert len(out) == 201
    assert out["error"].notna().sum() == 1
    assert "cost.hours must be > 0" in out["error"][100]
    assert pd.isna(out["verdict"][100]) and out["id"][100] == "broken"


def test_unknown_column_raises(engine):
    df = pd.DataFrame({"id": ["a"], "cost.horus": [10]})
    with pytest.raises(insource.Error) as info:
        insource.decide_frame(df, engine=engine)
    assert "cost.horus" in info.value.message and "cost.hours" in info.value.message


def test_wrong_type_in_a_column(engine):
    df = pd.DataFrame({"id": ["a"], "cost.hours": ["lots"], "cost.internal_rate": [1.0], "cost.external_rate": [2.0]})
    with pytest.raises(insource.CaseError) as info:
        insource.decide_frame(df, engine=engine)
    assert "cost.hours must be a number" in info.value.message
