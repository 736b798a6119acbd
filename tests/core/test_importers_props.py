"""Properties: valid records round-trip byte for byte; malformed ones are refused with their
line and leave the project exactly as it was; a record gives the same row and labels whether
the per-file fast path or the general path reads it."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labeler.importers import FieldMapping, ImportFailed, import_files, shapes
from labeler.importers.fast import fast_shape
from labeler.importers.fields import PROMPT_KEYS
from labeler.importers.shapes import (
    LIST_KEYS,
    PAIR_KEYS,
    PAIR_MODEL_KEYS,
    READ_FIELDS,
    Context,
    Parsed,
    Recogniser,
)
from labeler.store import count_items, iter_items, memory_db
from labeler.types import Message, Response, content_hash

text = st.text(min_size=0, max_size=60)  # any unicode, including newlines and quotes
model = st.none() | st.text(min_size=1, max_size=12)
responses = st.lists(st.tuples(text, model), min_size=2, max_size=5)
messages = st.lists(
    st.builds(Message, st.sampled_from(["system", "user", "assistant"]), text),
    min_size=1,
    max_size=4,
).map(tuple)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    shape = draw(st.sampled_from(["list", "pair", "objects"]))
    prompt = draw(text)
    pair = draw(responses)
    if shape == "pair":
        (a, ma), (b, mb) = pair[:2]
        return {"prompt": prompt, "response_a": a, "response_b": b, "model_a": ma, "model_b": mb}
    if shape == "objects":
        return {"prompt": prompt, "responses": [{"text": t, "model": m} for t, m in pair]}
    return {"prompt": prompt, "responses": [t for t, _ in pair]}


def expected_texts(rec: dict[str, Any]) -> tuple[str, list[str]]:
    if "response_a" in rec:
        return rec["prompt"], [rec["response_a"], rec["response_b"]]
    return rec["prompt"], [r if isinstance(r, str) else r["text"] for r in rec["responses"]]


SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(st.lists(records(), min_size=1, max_size=8))
def test_valid_records_round_trip(recs: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
        db = memory_db()
        report = import_files(db, [path])
        stored = {i.id: i for i in iter_items(db)}
        assert report.items == len(stored)
        for rec in recs:
            prompt, texts = expected_texts(rec)
            item_id = content_hash(prompt, [Response(t) for t in texts])
            assert stored[item_id].prompt == prompt
            assert [r.text for r in stored[item_id].responses] == texts


malformed = st.sampled_from(
    [
        ('{"prompt": "x", "responses": ["only one"]}', "responses"),
        ('{"prompt": 5, "responses": ["a", "b"]}', "prompt"),
        ('{"responses": ["a", "b"]}', "prompt"),
        ('{"prompt": "x", "response_a": "a"}', "response_b"),
        (
            '{"prompt": "x", "response_a": "a", "response_b": null, "model_a": "m", '
            '"model_b": null}',
            "response_b",
        ),
        (
            '{"prompt": ["x"], "response_a": "a", "response_b": "b", "model_a": null, '
            '"model_b": "m"}',
            "prompt",
        ),
        ('{"prompt": "x", "responses": "ab"}', "responses"),
        ('{"prompt": "x", "responses": ["a", "b"], "ranks": [1]}', "ranks"),
        ('{"prompt": "x", "chosen": "a"', None),
        ("[1, 2]", None),
    ]
)


@SETTINGS
@given(st.lists(records(), min_size=0, max_size=6), malformed, st.data())
def test_malformed_record_is_refused_with_its_line(
    good: list[dict[str, Any]], bad: tuple[str, str | None], data: st.DataObject
) -> None:
    at = data.draw(st.integers(0, len(good)))
    lines = [json.dumps(r) for r in good]
    lines.insert(at, bad[0])
    with tempfile.TemporaryDirectory() as tmp:
        before = Path(tmp) / "before.jsonl"
        before.write_text('{"prompt": "kept", "responses": ["1", "2"]}\n')
        path = Path(tmp) / "data.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        db = memory_db()
        import_files(db, [before])
        snapshot = list(db.conn.iterdump())
        with pytest.raises(ImportFailed) as err:
            import_files(db, [path])
        assert str(err.value).startswith(f"{path}:{at + 1}: ")
        assert err.value.field == bad[1]
        assert list(db.conn.iterdump()) == snapshot
        assert count_items(db) == 1


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**62), 2**62) | st.floats() | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)
odd = (
    st.none()
    | st.integers()
    | messages.map(lambda ms: [{"role": m.role, "content": m.content} for m in ms])
)


def mostly(draw: st.DrawFn, usual: st.SearchStrategy[Any], other: st.SearchStrategy[Any]) -> Any:
    """Usually a value the fast path takes, now and then one it must leave to the general."""
    return draw(other if draw(st.integers(0, 15)) == 0 else usual)


@st.composite
def plain_records(draw: st.DrawFn) -> dict[str, Any]:
    """Records of the shapes ``fast`` handles (with extra fields), in any field order."""
    rec: dict[str, Any] = {draw(st.sampled_from(PROMPT_KEYS)): mostly(draw, text, odd)}
    shape = draw(st.sampled_from(["pair", "list", "dpo"]))
    if shape == "pair":
        keys = draw(st.sampled_from(PAIR_KEYS))
        rec.update({k: mostly(draw, text, odd) for k in keys})
        mkeys = draw(st.none() | st.sampled_from(PAIR_MODEL_KEYS))
        rec.update({k: mostly(draw, model, st.integers() | st.just("")) for k in mkeys or ()})
    elif shape == "list":
        n = draw(st.integers(1, 4))
        items = st.one_of(
            text,
            st.builds(lambda t: {"text": t}, text),
            st.builds(lambda t, m: {"text": t, "model": m}, text, model | st.just("")),
        )
        rec[draw(st.sampled_from(LIST_KEYS))] = [
            mostly(draw, items, odd | st.builds(lambda t: {"text": t, "score": 1}, text))
            for _ in range(n)
        ]
    else:
        rec["chosen"] = mostly(draw, text, odd)
        same = draw(st.booleans())
        rec["rejected"] = rec["chosen"] if same else mostly(draw, text, odd)
    extra = st.text(min_size=1, max_size=8).filter(lambda k: k not in READ_FIELDS and k not in rec)
    rec.update(draw(st.dictionaries(extra, json_values, max_size=3)))
    return dict(draw(st.permutations(list(rec.items()))))


@settings(max_examples=400, deadline=None)
@given(plain_records())
def test_fast_rows_equal_the_general_path(rec: dict[str, Any]) -> None:
    ctx = Context(Path("/data"), "file.jsonl", FieldMapping())
    shape = fast_shape(rec, ctx)
    assert shape is not None
    assert shape.keys == frozenset(rec)
    try:
        built = shape.build(rec)
    except (TypeError, ValueError):
        built = None
    if built is None:
        return  # not plain text: the general path takes (or refuses) it
    parsed = Recogniser(ctx).parse(rec)
    assert isinstance(parsed, Parsed)
    assert built == (parsed.row, parsed.labels)
    assert built[0][0] == parsed.item.id


class _Recording(dict[str, Any]):
    """A record that notes every field name a parser looks up, present or not."""

    def __init__(self, data: dict[str, Any], seen: set[str]) -> None:
        super().__init__(data)
        self.seen = seen

    def get(self, key: str, default: Any = None) -> Any:
        self.seen.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.seen.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.seen.add(str(key))
        return super().__contains__(key)


USER = [{"role": "user", "content": "u"}]
EVERY_BRANCH = [
    {"prompt": "p", "response_a": "a", "response_b": "b"},
    {"prompt": "p", "response_a": "a", "response_b": "b", "model_a": "x", "winner": "model_a"},
    {"instruction": "i", "input": "x", "output_1": "a", "output_2": "b", "generator_1": "g"},
    {"question": "q", "response1": {"text": "a", "model_id": "m"}, "response2": 42},
    {"messages": [*USER, {"role": "assistant", "content": "r"}], "responses": ["a", "b"],
     "scores": [1, 2], "ranks": [2, 1], "models": ["m", "n"]},
    {"query": "q", "completions": [{"text": "a", "score": 1, "rank": 1},
                                   {"content": "b", "generator": "g"}]},
    {"prompt": "p", "chosen": "a", "rejected": "b"},
    {"chosen": "\n\nHuman: hi\n\nAssistant: a", "rejected": "\n\nHuman: hi\n\nAssistant: b"},
    {"prompt": USER, "chosen": [{"role": "assistant", "content": "a"}],
     "rejected": [{"role": "assistant", "content": "b"}]},
    {"chosen": [*USER, {"role": "assistant", "content": "a"}],
     "rejected": [*USER, {"role": "assistant", "content": "b"}]},
    {"prompt": "p", "completion": "a", "label": True},
    {"prompt": "p", "responses": ["a", "b"], "tags": ["t"], "metadata": {"k": 1},
     "image": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4"
              "nGNgYGAAAAAEAAH2FzhVAAAAAElFTkSuQmCC"},
]  # fmt: skip


@pytest.mark.parametrize("record", EVERY_BRANCH)
def test_parsers_look_only_at_fields_outside_the_metadata(
    record: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path keeps a record's other fields as metadata only when no parser could
    read them: ``READ_FIELDS`` must name every field any parser looks at."""
    seen: set[str] = set()
    fields = shapes.Fields
    monkeypatch.setattr(shapes, "Fields", lambda data: fields(_Recording(data, seen)))
    Recogniser(Context(Path("/data"), "file.jsonl", FieldMapping())).parse(record)
    assert seen
    assert seen <= READ_FIELDS


def test_a_text_json_cannot_encode_is_refused_with_its_line(tmp_path: Path) -> None:
    """A JSON array may escape a lone surrogate, which no UTF-8 file or database can hold."""
    good = {"prompt": "p", "response_a": "a", "response_b": "b"}
    path = tmp_path / "data.json"
    path.write_text(
        "[\n"
        + json.dumps(good)
        + ',\n{"prompt": "p", "response_a": "\\ud800", "response_b": "b"}\n]'
    )
    db = memory_db()
    with pytest.raises(ImportFailed, match=r"data\.json:3: .*surrogate"):
        import_files(db, [path])
    assert count_items(db) == 0
