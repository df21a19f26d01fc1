"""insource.Engine against the CLI: the same policy, the same records."""
import hashlib
import json
import os
import threading
import time

import pytest

import insource
from conftest import BAD_CASE, SOURCE_DIR, cli, generated

DEFAULT_RULES = os.path.join(SOURCE_DIR, "rules", "default.yaml")
CANDY = os.path.join(SOURCE_DIR, "examples", "cases", "candy-launch.yaml")


def test_default_policy_and_plugins(engine):
    # The built-in default policy is rules/default.yaml: the same revision as that file's.
    assert len(engine.revision) == 64 and int(engine.revision, 16) >= 0
    assert engine.revision == insource.Engine(rules=DEFAULT_RULES).revision
    criteria = {p["criterion"] for p in engine.plugins}
    assert criteria == {"cost", "control", "security", "legal", "training"}
    assert engine.criteria == ["cost", "control", "security", "legal", "training"]
    for p in engine.plugins:
        with open(p["file"], "rb") as f:
            assert p["sha256"] == hashlib.sha256(f.read()).hexdigest()
        assert p["name"] and p["version"]


def test_rules_file_revision(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(open(DEFAULT_RULES).read().replace("outsource: -0.20}", "outsource: -0.70}"))
    e = insource.Engine(rules=str(rules))
    assert len(e.revision) == 64 and e.revision != insource.Engine().revision
    case = {"id": "office-catering", "facts": {"cost": {"hours": 2000, "internal_rate": 40, "external_rate": 25},
                                               "control": {"institutional_knowledge": "low", "core_competence": False}}}
    assert e.decide(case)["verdict"] == "hybrid"
    assert insource.Engine().decide(case)["verdict"] == "outsource"


def test_decide_is_the_decide_json_record(tmp_path, engine):
    data = generated(300, seed=9)
    path = tmp_path / "cases.jsonl"
    path.write_bytes(data)
    status, out, err = cli("decide", "--format", "json", str(path))
    assert status == 0, err
    expected = [json.loads(line) for line in out.splitlines()]
    got = [engine.decide(json.loads(line)) for line in data.splitlines()]
    assert got == expected
    # The same text, too (key order included).
    assert [json.dumps(r) for r in got] == [json.dumps(r) for r in expected]


def test_decide_jsonl_is_batch_on_100000_cases(corpus, engine):
    status, expected, err = cli("batch", "--quiet", "--jobs", "1", str(corpus))
    assert status == 1, err  # two error records
    data = corpus.read_bytes()
    assert engine.decide_jsonl(data) == expected
    assert engine.decide_jsonl(data, jobs=2) == expected
    lines = expected.splitlines()
    assert len(lines) == 100_000
    assert json.loads(lines[10_000])["error"]["kind"] == "case"
    broken = json.loads(lines[70_000])  # a line that is not JSON: the default id, its line, the error
    assert broken == {"id": "line-70001", "line": 70_001, "error": broken["error"]}
    # The generator's malformed cases (ids "bad-...") are exactly the other error records.
    records = [json.loads(line) for line in lines]
    bad_inputs = sum(b'"bad-' in line for line in data.splitlines())
    assert bad_inputs > 100
    assert sum("error" in r for r in records) == bad_inputs + 2
    assert not any("error" in r for r in records if r.get("id", "").startswith("case-"))
    assert engine.decide_jsonl(data[:200_000], as_list=True) == [json.loads(x) for x in
                                                                   engine.decide_jsonl(data[:200_000]).splitlines()]


def test_decide_jsonl_detail_and_first_line(corpus, engine):
    head = b"".join(corpus.read_bytes().splitlines(keepends=True)[9_990:10_010])
    status, expected, err = cli("batch", "--quiet", "--detail", "-", stdin=head)
    assert status == 1, err
    assert engine.decide_jsonl(head, detail=True) == expected
    # first_line: the line numbers of a part of a bigger file (examples/dask).
    moved = engine.decide_jsonl(head, first_line=9_991).splitlines()
    assert json.loads(moved[10])["line"] == 10_001


def test_decide_many_streams_in_order_with_error_records(engine):
    cases = [json.loads(line) for line in generated(2_500, seed=4).splitlines()]
    cases[1_234] = BAD_CASE
    cases[2_000] = {"id": "not-a-case", "facts": [1, 2]}
    jsonl = b"".join(json.dumps(c).encode() + b"\n" for c in cases)
    status, out, _ = cli("batch", "--quiet", "--detail", "-", stdin=jsonl)
    assert status == 1
    expected = [json.loads(line) for line in out.splitlines()]
    stream = engine.decide_many(iter(cases), jobs=2, chunk=1_000)
    assert not isinstance(stream, list)  # a generator: records come as chunks are decided
    got = list(stream)
    assert got == expected
    assert got[1_234]["error"]["kind"] == "case" and got[1_234]["line"] == 1_235
    assert got[2_000]["error"]["kind"] == "case"
    assert sum("error" in r for r in got) == 2


def test_bad_case_raises_like_the_cli(tmp_path, engine):
    case = {"id": "typo", "facts": {"cost": {"horus": 10}}}
    with pytest.raises(insource.CaseError) as info:
        engine.decide(case)
    e = info.value
    assert e.kind == "case"
    assert "case typo: unknown fact 'cost.horus' (did you mean 'cost.hours'?)" in e.message
    # The CLI reading the same JSON text says the same, at the same position.
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case, separators=(",", ":")))
    status, _, err = cli("decide", str(path))
    assert status == 1
    assert e.message.split(": ", 1)[1] in err
    assert e.position == e.message.split(": ", 1)[0]
    assert e.position == "<dict>:1"  # JSON errors name the line
    assert isinstance(e, insource.Error) and isinstance(e, ValueError)


@pytest.mark.parametrize("facts, fragment", [
    ({"cost": {"hours": float("nan"), "internal_rate": 1, "external_rate": 1}}, "cost.hours"),
    ({"cost": {"hours": "12", "internal_rate": 1, "external_rate": 1}}, "must be a number"),
    ({"cost": {"hours": -5, "internal_rate": 1, "external_rate": 1}}, "must be > 0"),
    ({"control": {"institutional_knowledge": "huge"}}, "institutional_knowledge"),
    ({"cost": None}, "cost"),
])
def test_bad_facts(engine, facts, fragment):
    with pytest.raises(insource.CaseError) as info:
        engine.decide({"id": "bad", "facts": facts})
    assert fragment in info.value.message
    assert info.value.kind == "case"


def test_bad_arguments(engine):
    with pytest.raises(TypeError):
        engine.decide("not a dict")
    with pytest.raises(TypeError):
        engine.decide_jsonl("text, not bytes")
    with pytest.raises(ValueError):
        engine.decide_jsonl(b"", jobs=-1)
    assert engine.decide_jsonl(b"") == b""


def test_bad_policy_raises_like_the_cli(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(open(DEFAULT_RULES).read().replace("outsource: -0.20}", "outsourse: -0.70}"))
    with pytest.raises(insource.PolicyError) as info:
        insource.Engine(rules=str(rules))
    assert info.value.kind == "rules"
    assert "unknown key 'outsourse' in the thresholds (did you mean 'outsource'?)" in info.value.message
    status, _, err = cli("decide", "--rules", str(rules), CANDY)
    assert status == 2
    assert info.value.message.splitlines()[0] in err
    assert info.value.position == f"{rules}:15:30"
    with pytest.raises(insource.PolicyError) as info:
        insource.Engine(rules=str(tmp_path / "missing.yaml"))
    assert "missing.yaml" in info.value.message
    with pytest.raises(insource.PolicyError) as info:
        insource.Engine(plugins=[str(tmp_path)], no_default_plugins=True)
    assert info.value.kind in ("rules", "plugin")


def test_pins_are_checked(tmp_path, engine):
    # A pin that matches no plugin file: the policy does not load, as in the CLI.
    text = open(DEFAULT_RULES).read()
    pinned = tmp_path / "pinned.yaml"
    pinned.write_text(text.replace("cost:     {weight: 0.30,", 'cost:     {weight: 0.30, sha256: "%s",' % ("0" * 64)))
    assert pinned.read_text() != text
    status, _, err = cli("decide", "--rules", str(pinned), CANDY)
    with pytest.raises(insource.Error) as info:
        insource.Engine(rules=str(pinned))
    assert status == 2
    assert info.value.message.splitlines()[0] in err


def test_plugin_isolation_option():
    e = insource.Engine(isolate=True)
    case = {"id": "x", "facts": {"cost": {"hours": 100, "internal_rate": 50, "external_rate": 40}}}
    assert e.decide(case) == insource.Engine().decide(case)


def test_the_gil_is_released(corpus, engine):
    data = corpus.read_bytes()
    gaps, done = [], threading.Event()

    def decide():
        engine.decide_jsonl(data, jobs=1)
        done.set()
    t0 = time.monotonic()
    thread = threading.Thread(target=decide)
    thread.start()
    last = time.monotonic()
    while not done.is_set():
        now = time.monotonic()
        gaps.append(now - last)
        last = now
    thread.join()
    took = time.monotonic() - t0
    # Holding the GIL for the whole call would stop this loop for about that long.
    assert took > 0.05
    assert max(gaps) < took / 2
    assert len(gaps) > 1000
