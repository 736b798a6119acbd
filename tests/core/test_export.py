"""Exports end to end: every target x variant loads with `datasets` and matches its golden
file; determinism, splits, policies, Parquet, the CLI and the import round trip."""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from labeler.cli import main
from labeler.db import open_db, transaction
from labeler.exporters import TARGETS, ExportError, ExportOptions, export_project
from labeler.exporters.engine.options import Variant
from labeler.exporters.engine.policies import ConflictPolicy, SourceFilter
from labeler.store import add_items, insert_items, insert_labels, record_label
from labeler.store.meta import set_meta
from labeler.store.routes import write_routes
from labeler.types import (
    Action,
    AspectsValue,
    BinaryValue,
    Item,
    Label,
    Message,
    PairChoice,
    PairwiseValue,
    RankingValue,
    RatingValue,
    Response,
    Source,
)

GOLDEN = Path(__file__).parent / "golden" / "export"
UPDATE = os.environ.get("PREFMARK_UPDATE_GOLDEN") == "1"
CHAT = (Message("system", "Answer briefly."), Message("user", "Capital of France?"))


def _item(prompt: Any, *texts: str, **kw: Any) -> Item:
    return Item(prompt, tuple(Response(t, "gen-1") for t in texts), **kw)


def _human(item: Item, value: Any, who: str = "alice", **kw: Any) -> Label:
    return Label(item.id, value, Source.HUMAN, who, created_at="2025-01-01T00:00:00", **kw)


def build_project(path: Path) -> Any:
    """One item per label kind and outcome, a chat item, a conflict, a review, a model label."""
    db = open_db(path)
    items = {
        "pair_a": _item("2+2?", "4", "5", tags=("math",)),
        "pair_model": _item("Sky colour?", "green", "blue"),
        "tie": _item("Say hi.", "hi", "hello"),
        "both_bad": _item("Prime after 7?", "9", "10"),
        "ranking": _item("Sort words: b a c", "a b c", "c b a", "b a c"),
        "rating": _item("Rate a poem.", "great poem", "ok poem", "bad poem"),
        "thumbs": _item("Translate 'chat'.", "cat", "dog"),
        "aspects": _item("Explain gravity.", "Mass attracts mass.", "Things fall."),
        "chat": _item(CHAT, "Paris.", "Lyon."),
        "conflict": _item("Best pet?", "cat", "dog"),
        "reviewed": _item("3*3?", "6", "9", tags=("math",)),
        "unlabelled": _item("Nobody labels me.", "x", "y"),
    }
    with transaction(db.conn):
        insert_items(db.conn, items.values(), "fixture")
        insert_labels(
            db.conn,
            [
                _human(items["pair_a"], PairwiseValue(PairChoice.A, 2)),
                Label(
                    items["pair_model"].id,
                    PairwiseValue(PairChoice.B),
                    Source.MODEL,
                    "judge-a",
                    model_version="v1",
                    confidence=0.9,
                    created_at="2025-01-01T00:00:00",
                ),
                _human(items["tie"], PairwiseValue(PairChoice.TIE)),
                _human(items["both_bad"], PairwiseValue(PairChoice.BOTH_BAD)),
                _human(items["ranking"], RankingValue((1, 3, 2))),
                _human(items["rating"], RatingValue((5, 3, 1))),
                Label(
                    items["thumbs"].id,
                    BinaryValue((True, False)),
                    Source.IMPORTED,
                    "file",
                    created_at="2025-01-01T00:00:00",
                ),
                _human(items["aspects"], AspectsValue({"overall": -2, "helpfulness": -1})),
                _human(items["chat"], PairwiseValue(PairChoice.A, 1)),
                _human(items["conflict"], PairwiseValue(PairChoice.A), "alice"),
                _human(items["conflict"], PairwiseValue(PairChoice.B), "bob"),
                _human(items["conflict"], PairwiseValue(PairChoice.A), "carol"),
                _human(items["conflict"], PairwiseValue(PairChoice.B), "dan"),
            ],
        )
    model = record_label(
        db,
        Label(
            items["reviewed"].id,
            PairwiseValue(PairChoice.A),
            Source.MODEL,
            "judge-a",
            model_version="v1",
            confidence=0.6,
            created_at="2025-01-01T00:00:00",
        ),
    )
    record_label(
        db,
        Label(
            items["reviewed"].id,
            PairwiseValue(PairChoice.B),
            Source.HUMAN,
            "erin",
            action=Action.OVERRIDE,
            supersedes=model.id,
            created_at="2025-01-01T00:00:01",
        ),
    )
    # Routing accepted judge-a's label on the pair only it labelled.
    write_routes(
        db, [items["pair_model"].id], np.array([1]), np.zeros(1), np.ones(1, dtype=bool),
        strategy="margin", budget=0.5, seed=0, params={"ai": "judge-a"}, summary={},
    )  # fmt: skip
    set_meta(db, "license", "cc-by-4.0")
    return db


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Any]:
    db = build_project(tmp_path / "fixture.db")
    yield db
    db.conn.close()


@pytest.fixture
def offline_datasets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    datasets = pytest.importorskip("datasets")
    datasets.disable_progress_bars()
    cache = tmp_path / "hf-cache"

    class Offline:
        """``load_dataset`` with a cache of this test's own (no reuse across tests)."""

        @staticmethod
        def load_dataset(folder: str, config: str | None = None) -> Any:
            return datasets.load_dataset(folder, config, cache_dir=str(cache))

    return Offline


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _unwrap(text: Any) -> Any:
    """A standard record's one-turn prompt or completion without the HH separators."""
    if not isinstance(text, str):
        return text
    if text.startswith("\n\nHuman: ") and text.endswith("\n\nAssistant:"):
        inner = text[len("\n\nHuman: ") : -len("\n\nAssistant:")]
        return text if "\n\nAssistant: " in inner else inner
    return text.removeprefix(" ")


def _plain_records(path: Path) -> list[dict[str, Any]]:
    """Standard records with ``_unwrap`` applied to their text columns."""
    return [{k: _unwrap(v) for k, v in r.items()} for r in _read_jsonl(path)]


# ---- the table: every target x variant ---------------------------------------------------

TABLE = [(t, v) for t in TARGETS for v in (Variant.STANDARD, Variant.CONVERSATIONAL)]


def _check_documented_shape(target: str, variant: Variant, rec: dict[str, Any]) -> None:
    """The keys and value shapes each trainer documents (TRL dataset formats, OpenAI
    preference fine-tuning, LLaMA-Factory alpaca/sharegpt ranking, OpenRLHF keys)."""
    conv = variant is Variant.CONVERSATIONAL

    def text_or_messages(value: Any, role: str | None = None) -> None:
        if conv:
            assert isinstance(value, list)
            assert value
            assert all(set(m) == {"role", "content"} for m in value)
            if role:
                assert [m["role"] for m in value] == [role]
        else:
            assert isinstance(value, str)

    if target in ("trl-preference", "openrlhf"):
        text_or_messages(rec["prompt"])
        text_or_messages(rec["chosen"], "assistant")
        text_or_messages(rec["rejected"], "assistant")
        assert "margin" not in rec  # only with --margin
    elif target == "trl-unpaired":
        text_or_messages(rec["prompt"])
        text_or_messages(rec["completion"], "assistant")
        assert isinstance(rec["label"], bool)
    elif target == "ranked":
        text_or_messages(rec["prompt"])
        assert len(rec["completions"]) == len(rec["ranks"]) == len(rec["scores"])
        for c in rec["completions"]:
            text_or_messages(c, "assistant")
    elif target == "openai-preference":
        assert set(rec) == {"input", "preferred_output", "non_preferred_output"}
        assert all(set(m) == {"role", "content"} for m in rec["input"]["messages"])
        for key in ("preferred_output", "non_preferred_output"):
            assert [m["role"] for m in rec[key]] == ["assistant"]
    elif target == "llama-factory":
        if conv:
            assert all(set(t) == {"from", "value"} for t in rec["conversations"])
            assert rec["conversations"][-1]["from"] == "human"
            assert rec["chosen"]["from"] == rec["rejected"]["from"] == "gpt"
        else:
            assert {"instruction", "input", "chosen", "rejected"} <= set(rec)


@pytest.mark.parametrize(("target", "variant"), TABLE, ids=[f"{t}-{v}" for t, v in TABLE])
def test_every_target_loads_with_datasets_and_matches_golden(
    project: Any, tmp_path: Path, offline_datasets: Any, target: str, variant: Variant
) -> None:
    out = tmp_path / "out"
    report = export_project(
        project, out, ExportOptions(target=target, variant=variant, test_size=0.0)
    )
    records = _read_jsonl(out / "data" / "train.jsonl")
    assert report.records == len(records) > 0
    golden = GOLDEN / f"{target}.{variant.value}.jsonl"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes((out / "data" / "train.jsonl").read_bytes())
    assert records == _read_jsonl(golden)
    for rec in records:
        _check_documented_shape(target, variant, rec)
    loaded = offline_datasets.load_dataset(str(out), target)
    assert list(loaded) == ["train"]
    rows = loaded["train"].to_list()
    assert len(rows) == len(records)
    for row, rec in zip(rows, records, strict=True):
        assert {k: row[k] for k in rec} == rec
    if target == "llama-factory":
        info = json.loads((out / "dataset_info.json").read_text())
        (entry,) = info.values()
        assert entry["ranking"] is True
        assert entry["file_name"] == "data/train.jsonl"


# ---- what the fixture must come out as -----------------------------------------------------


def test_preference_export_applies_the_documented_rules(project: Any, tmp_path: Path) -> None:
    report = export_project(
        project,
        tmp_path / "o",
        ExportOptions(test_size=0.0, variant=Variant.STANDARD, margin=True),
    )
    recs = _plain_records(tmp_path / "o" / "data" / "train.jsonl")
    by_prompt: dict[str, list[dict[str, Any]]] = {}
    for r in recs:
        key = r["prompt"] if isinstance(r["prompt"], str) else r["prompt"][-1]["content"]
        by_prompt.setdefault(key, []).append(r)
    assert "Say hi." not in by_prompt
    assert "Prime after 7?" not in by_prompt
    assert "Nobody labels me." not in by_prompt
    assert [(r["chosen"], r["rejected"], r["margin"]) for r in by_prompt["2+2?"]] == [
        ("4", "5", 2.0)
    ]
    (sky,) = by_prompt["Sky colour?"]
    assert (sky["chosen"], sky["label_source"], sky["margin"]) == ("blue", "model", 0.0)
    assert [(r["chosen"], r["rejected"]) for r in by_prompt["Sort words: b a c"]] == [
        ("a b c", "b a c"),
        ("a b c", "c b a"),
        ("b a c", "c b a"),
    ]
    (review,) = by_prompt["3*3?"]
    assert (review["chosen"], review["label_action"], review["annotator"]) == (
        "9",
        "override",
        "erin",
    )
    (conflict,) = by_prompt["Best pet?"]  # 2 vs 2: the latest among the tied verdicts (dan: B)
    assert conflict["chosen"] == "dog"
    assert report.conflicts == 1
    assert report.dropped["items giving no record (ties, both bad, no order)"] == 2


def test_unpaired_rule_ties_and_both_bad(project: Any, tmp_path: Path) -> None:
    export_project(
        project,
        tmp_path / "o",
        ExportOptions(target="trl-unpaired", test_size=0, variant=Variant.STANDARD),
    )
    recs = _plain_records(tmp_path / "o" / "data" / "train.jsonl")
    got = {(r["prompt"], r["completion"]): r["label"] for r in recs}
    assert got[("Prime after 7?", "9")] is False
    assert got[("Prime after 7?", "10")] is False
    assert ("Say hi.", "hi") not in got
    assert got[("Rate a poem.", "great poem")] is True
    assert ("Rate a poem.", "ok poem") not in got
    export_project(
        project,
        tmp_path / "t",
        ExportOptions(
            target="trl-unpaired", test_size=0, keep_ties=True, variant=Variant.STANDARD
        ),
    )
    recs = _plain_records(tmp_path / "t" / "data" / "train.jsonl")
    assert [r["label"] for r in recs if r["prompt"] == "Say hi."] == [True, True]


def test_require_support_keeps_only_confirmed_winners(tmp_path: Path) -> None:
    db = open_db(tmp_path / "p.db")
    a, b = _item("Q1", "good", "bad"), _item("Q2", "good", "bad")
    with transaction(db.conn):
        insert_items(db.conn, [a, b])
        insert_labels(
            db.conn,
            [
                _human(a, PairwiseValue(PairChoice.A)),
                _human(b, PairwiseValue(PairChoice.A)),
                Label(a.id, PairwiseValue(PairChoice.A), Source.MODEL, "rm", confidence=0.8),
            ],
        )
    opts = ExportOptions(target="trl-unpaired", test_size=0, kto_require_support=True)
    export_project(db, tmp_path / "o", opts)
    recs = _plain_records(tmp_path / "o" / "data" / "train.jsonl")
    assert sorted((r["prompt"], r["completion"], r["label"]) for r in recs) == [
        ("Q1", "bad", False),
        ("Q1", "good", True),
        ("Q2", "bad", False),
    ]


@pytest.mark.parametrize(
    ("options", "prompts"),
    [
        (ExportOptions(source=SourceFilter.MODEL), {"Sky colour?"}),
        (ExportOptions(source=SourceFilter.REVIEWED), {"3*3?"}),
        (ExportOptions(tags=("math",)), {"2+2?", "3*3?"}),
        (ExportOptions(annotators=("bob",)), {"Best pet?"}),
        (ExportOptions(source=SourceFilter.MODEL, min_confidence=0.95), set()),
        (ExportOptions(conflicts=ConflictPolicy.DROP, tags=()), None),
    ],
)
def test_filters_and_policies(
    project: Any, tmp_path: Path, options: ExportOptions, prompts: set[str] | None
) -> None:
    from dataclasses import replace

    options = replace(options, test_size=0.0, variant=Variant.STANDARD)
    if prompts == set():
        with pytest.raises(ExportError, match="nothing to export"):
            export_project(project, tmp_path / "o", options)
        return
    export_project(project, tmp_path / "o", options)
    got = {r["prompt"] for r in _plain_records(tmp_path / "o" / "data" / "train.jsonl")}
    if prompts is None:  # drop: the conflicting item is gone, the rest stays
        assert "Best pet?" not in got
        assert "2+2?" in got
    else:
        assert got == prompts
    if options.annotators == ("bob",):
        (rec,) = _plain_records(tmp_path / "o" / "data" / "train.jsonl")
        assert rec["annotator"] == "bob"
        assert rec["chosen"] == "dog"


# ---- determinism, splits, formats ------------------------------------------------------------


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("parquet", [False, True])
def test_same_project_exported_twice_is_byte_identical(tmp_path: Path, parquet: bool) -> None:
    db = open_db(tmp_path / "p.db")
    items = [_item(f"Prompt {i % 40}", f"a{i}", f"b{i}") for i in range(400)]
    with transaction(db.conn):
        insert_items(db.conn, items)
        insert_labels(
            db.conn,
            [
                _human(it, PairwiseValue(PairChoice.A if i % 3 else PairChoice.B))
                for i, it in enumerate(items)
            ],
        )
    opts = ExportOptions(test_size=0.3, seed=7, parquet=parquet, chunk_size=64)
    export_project(db, tmp_path / "one", opts)
    first = _files(tmp_path / "one")
    export_project(db, tmp_path / "one", opts)  # again, into the same folder
    assert _files(tmp_path / "one") == first
    export_project(db, tmp_path / "two", opts)
    second = _files(tmp_path / "two")
    assert {k: v for k, v in second.items() if k.startswith("data")} == {
        k: v for k, v in first.items() if k.startswith("data")
    }
    ext = "parquet" if parquet else "jsonl"
    assert sorted(k for k in first if k.startswith("data")) == [
        f"data/test.{ext}",
        f"data/train.{ext}",
    ]


def test_no_prompt_in_both_splits(tmp_path: Path) -> None:
    db = open_db(tmp_path / "p.db")
    items = [_item(f"Prompt {i % 50}", f"a{i}", f"b{i}") for i in range(500)]
    with transaction(db.conn):
        insert_items(db.conn, items)
        insert_labels(db.conn, [_human(it, PairwiseValue(PairChoice.A)) for it in items])
    report = export_project(db, tmp_path / "o", ExportOptions(test_size=0.4, seed=3))
    train = {r["prompt"] for r in _read_jsonl(tmp_path / "o" / "data" / "train.jsonl")}
    test = {r["prompt"] for r in _read_jsonl(tmp_path / "o" / "data" / "test.jsonl")}
    assert train
    assert test
    assert not train & test
    assert len(train | test) == 50
    assert report.records == 500
    other = export_project(db, tmp_path / "s", ExportOptions(test_size=0.4, seed=4))
    assert [f.records for f in other.files] != [f.records for f in report.files]


def test_parquet_holds_the_same_records_as_jsonl(
    project: Any, tmp_path: Path, offline_datasets: Any
) -> None:
    from dataclasses import replace

    for target in ("trl-preference", "ranked", "llama-factory"):
        for variant in (Variant.STANDARD, Variant.CONVERSATIONAL):
            opts = ExportOptions(target=target, variant=variant, test_size=0)
            jsonl, parquet = tmp_path / f"{target}-{variant}", tmp_path / f"{target}-{variant}-pq"
            export_project(project, jsonl, opts)
            export_project(project, parquet, replace(opts, parquet=True))
            assert not list((parquet / "data").glob("*.jsonl"))  # never both
            want = _read_jsonl(jsonl / "data" / "train.jsonl")
            got = offline_datasets.load_dataset(str(parquet), target)["train"].to_list()
            assert [{k: g[k] for k in w} for g, w in zip(got, want, strict=True)] == want


def test_card_has_configs_counts_licence_routing_and_command(project: Any, tmp_path: Path) -> None:
    set_meta(project, "routing.budget", "0.2")
    set_meta(project, "routing.estimated_accuracy", "0.91")
    export_project(project, tmp_path / "o", ExportOptions(command="prefmark export x --out o"))
    card = (tmp_path / "o" / "README.md").read_text()
    head = card.split("---")[1]
    assert 'config_name: "trl-preference"' in head
    assert 'license: "cc-by-4.0"' in head
    assert "prefmark export x --out o" in card
    assert "human budget 0.2" in card
    assert "0.91" in card
    assert "| split | human | imported | model |" in card


def test_openai_is_jsonl_only_and_folder_must_be_ours(project: Any, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="JSONL only"):
        export_project(
            project, tmp_path / "o", ExportOptions(target="openai-preference", parquet=True)
        )
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match="not empty"):
        export_project(project, tmp_path / "busy", ExportOptions())
    assert (tmp_path / "busy" / "notes.txt").read_text() == "mine"


def test_vision_items_keep_images(tmp_path: Path, offline_datasets: Any) -> None:
    db = open_db(tmp_path / "p.db")
    img = tmp_path / "cat.png"
    img.write_bytes(b"\x89PNG fake")
    item = _item("What is shown?", "a cat", "a dog", images=(str(img),))
    with transaction(db.conn):
        insert_items(db.conn, [item])
        insert_labels(db.conn, [_human(item, PairwiseValue(PairChoice.A))])
    export_project(db, tmp_path / "o", ExportOptions(test_size=0))
    (rec,) = _read_jsonl(tmp_path / "o" / "data" / "train.jsonl")
    assert rec["images"] == ["../cat.png"]  # relative to the export: no local absolute path
    assert (tmp_path / "o" / rec["images"][0]).resolve() == img.resolve()
    assert offline_datasets.load_dataset(str(tmp_path / "o"))["train"][0]["images"] == [
        "../cat.png"
    ]
    assert str(tmp_path) not in "".join(
        p.read_text() for p in (tmp_path / "o").rglob("*") if p.suffix in (".json", ".md")
    )


# ---- CLI -----------------------------------------------------------------------------------


def test_cli_exports_and_explains_every_option(project: Any, tmp_path: Path) -> None:
    path = tmp_path / "fixture.db"
    runner = CliRunner()
    help_text = runner.invoke(main, ["export", "--help"]).output
    for flag in (
        "--format",
        "--out",
        "--variant",
        "--source",
        "--annotator",
        "--min-confidence",
        "--route",
        "--tag",
        "--keep-ties",
        "--conflicts",
        "--test-size",
        "--seed",
        "--bare",
        "--parquet",
        "--pairs",
    ):
        assert flag in help_text
    result = runner.invoke(
        main,
        [
            "export",
            str(path),
            "--format",
            "trl-unpaired",
            "--out",
            str(tmp_path / "o"),
            "--bare",
            "--test-size",
            "0",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "trl-unpaired records" in result.output
    rec = _read_jsonl(tmp_path / "o" / "data" / "train.jsonl")[0]
    assert set(rec) == {"prompt", "completion", "label"}
    card = (tmp_path / "o" / "README.md").read_text()
    assert f"prefmark export {path.name} --format trl-unpaired --out o" in card
    assert str(tmp_path) not in card


@pytest.mark.parametrize(
    "args",
    [
        ["export", "missing.db", "--out", "o"],
        ["export", "{db}", "--out", "{tmp}/o", "--format", "openai-preference", "--parquet"],
        ["export", "{db}", "--out", "{tmp}/o", "--source", "model", "--min-confidence", "0.99"],
    ],
)
def test_cli_errors_are_one_line_and_non_zero(
    project: Any, tmp_path: Path, args: list[str]
) -> None:
    args = [a.format(db=tmp_path / "fixture.db", tmp=tmp_path) for a in args]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1


# ---- round trip through the importers ------------------------------------------------------

HAVE_IMPORTERS = importlib.util.find_spec("labeler.importers") is not None


def _plain(prompt: Any) -> Any:
    """A one-user-message chat, its text and its text in the HH separators are the same
    prompt for a round trip."""
    if isinstance(prompt, tuple) and len(prompt) == 1 and prompt[0].role == "user":
        return prompt[0].content
    return _unwrap(prompt)


def _resolved(db: Any) -> dict[Any, Any]:
    from labeler.store import resolved_labels

    return {
        (_plain(r.item.prompt), tuple(_unwrap(x.text) for x in r.item.responses)): r.label.value
        for r in resolved_labels(db)
    }


def _preferences(db: Any) -> set[tuple[Any, str, str]]:
    from labeler.exporters.formats.pairs import preference_pairs
    from labeler.store import resolved_labels

    return {
        (
            _plain(r.item.prompt),
            _unwrap(r.item.responses[p.chosen].text),
            _unwrap(r.item.responses[p.rejected].text),
        )
        for r in resolved_labels(db)
        for p in preference_pairs(r.label.value)  # type: ignore[arg-type]
    }


@pytest.mark.skipif(not HAVE_IMPORTERS, reason="labeler.importers (import_files) not present")
@pytest.mark.parametrize(
    ("target", "variant"),
    [
        ("trl-preference", Variant.STANDARD),
        ("trl-preference", Variant.CONVERSATIONAL),
        ("trl-unpaired", Variant.STANDARD),
        ("trl-unpaired", Variant.CONVERSATIONAL),
        ("ranked", Variant.STANDARD),
        ("ranked", Variant.CONVERSATIONAL),
    ],
)
def test_export_imports_back_with_the_same_labels(
    tmp_path: Path, target: str, variant: Variant
) -> None:
    from labeler.importers import import_files

    db = open_db(tmp_path / "a.db")
    kinds = {
        "trl-preference": lambda i: PairwiseValue(PairChoice.A if i % 2 else PairChoice.B),
        "trl-unpaired": lambda i: BinaryValue((i % 2 == 0, True, False)),
        "ranked": lambda i: RankingValue(((1, 2, 3), (3, 1, 2), (2, 2, 1))[i % 3]),
    }
    conv = variant is Variant.CONVERSATIONAL
    items = [
        _item(
            (Message("system", "Be brief."), Message("user", f"Chat {i}?"))
            if conv and i % 4 == 0
            else f"Question {i}?",
            f"first {i}",
            f"second {i}",
            f"third {i}",
        )
        for i in range(12)
    ]
    if target == "trl-preference":
        items = [Item(it.prompt, it.responses[:2]) for it in items]
    with transaction(db.conn):
        insert_items(db.conn, items)
        insert_labels(db.conn, [_human(it, kinds[target](i)) for i, it in enumerate(items)])
    export_project(db, tmp_path / "o", ExportOptions(target=target, variant=variant))
    files = sorted((tmp_path / "o" / "data").glob("*.jsonl"))
    if target == "trl-unpaired":  # shuffled; the importer reads a prompt's records together
        for path in files:
            lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
            lines.sort(key=lambda line: json.dumps(json.loads(line)["prompt"]))
            path.write_text("".join(lines), encoding="utf-8")
    back = open_db(tmp_path / "b.db")
    import_files(back, files)
    if target == "trl-preference":
        assert _preferences(back) == _preferences(db)
    elif target == "trl-unpaired":  # records come shuffled: compare verdicts per response

        def verdicts(d: Any) -> set[tuple[Any, frozenset[Any]]]:
            return {
                (p, frozenset(zip(t, v.thumbs, strict=True))) for (p, t), v in _resolved(d).items()
            }

        assert verdicts(back) == verdicts(db)
    else:
        assert _resolved(back) == _resolved(db)


def test_the_finished_set_takes_routed_model_labels_and_undo_restores_labels(
    tmp_path: Path,
) -> None:
    db = open_db(tmp_path / "p.db")
    waiting, routed, relabelled = (_item(f"Q{i}", "yes", "no") for i in range(3))
    add_items(db, [waiting, routed, relabelled])
    for item in (waiting, routed):
        record_label(db, Label(item.id, PairwiseValue(PairChoice.A), Source.MODEL, "local"))
        record_label(db, Label(item.id, PairwiseValue(PairChoice.B), Source.MODEL, "judge"))
    # Routing trusted the judge on Q1 and sent Q0 to people (who have not labelled it yet).
    write_routes(
        db, [waiting.id, routed.id], np.array([0, 1]), np.zeros(2), np.ones(2, dtype=bool),
        strategy="learned", budget=0.5, seed=0, params={"ai": "judge"}, summary={},
    )  # fmt: skip
    first = record_label(db, _human(relabelled, PairwiseValue(PairChoice.A)))
    second = record_label(db, _human(relabelled, PairwiseValue(PairChoice.B), supersedes=first.id))
    record_label(
        db,
        Label(relabelled.id, None, Source.HUMAN, "alice", action=Action.RETRACT,
              supersedes=second.id),
    )  # fmt: skip

    def exported(source: SourceFilter) -> dict[str, tuple[str, str]]:
        out = tmp_path / source.value
        export_project(db, out, ExportOptions(source=source, test_size=0.0))
        rows = _plain_records(out / "data" / "train.jsonl")
        return {r["prompt"]: (r["chosen"], r["label_source"]) for r in rows}

    assert exported(SourceFilter.FINISHED) == {
        "Q1": ("no", "model"),  # the judge's label, which routing accepted
        "Q2": ("yes", "human"),  # the relabel was undone: the first label counts again
    }
    assert set(exported(SourceFilter.ALL)) == {"Q0", "Q1", "Q2"}
    assert set(exported(SourceFilter.MODEL)) == {"Q1"}


def test_the_card_names_the_ai_source_and_the_audit_estimate(tmp_path: Path) -> None:
    db = open_db(tmp_path / "p.db")
    items = [_item(f"Q{i}", "yes", "no") for i in range(6)]
    add_items(db, items)
    suggestions = [
        record_label(db, Label(it.id, PairwiseValue(PairChoice.A), Source.MODEL, "judge"))
        for it in items
    ]
    write_routes(
        db, [it.id for it in items], np.array([1, 1, 2, 2, 2, 2]), np.zeros(6),
        np.ones(6, dtype=bool), strategy="learned", budget=0.25, seed=0,
        params={"ai": "judge"}, summary={},
    )  # fmt: skip
    for n, model_label in enumerate(suggestions[2:]):  # people review the audit: 3 of 4 agree
        value = model_label.value if n < 3 else PairwiseValue(PairChoice.B)
        action = Action.ACCEPT if n < 3 else Action.OVERRIDE
        record_label(db, Label(model_label.item_id, value, Source.HUMAN, "rev", action=action,
                               supersedes=model_label.id))  # fmt: skip
    export_project(db, tmp_path / "out", ExportOptions(test_size=0.0))
    card = (tmp_path / "out" / "README.md").read_text()
    assert "strategy `learned`, human budget 0.25, AI labels from `judge`" in card
    assert "Estimated accuracy of the model-made labels: 0.75" in card
    assert "from 4 audited items" in card
    assert "Estimated accuracy of the whole data set" in card


def test_card_escapes_name_licence_and_folder(project: Any, tmp_path: Path) -> None:
    out = tmp_path / "o```\n# pwned"
    name = "# Heading <img src=/etc/passwd> [x](http://e.com)"
    licence = "mit` <script>alert(1)</script>\n## Extra"
    export_project(project, out, ExportOptions(name=name, license=licence))
    card = (out / "README.md").read_text()
    page = MarkdownIt("commonmark").render(card.split("---", 2)[2])
    assert "<img" not in page
    assert "<script" not in page
    assert "<a href" not in page
    assert page.count("<h1>") == 1
    assert "<h1># Heading &lt;img src=/etc/passwd&gt; [x](http://e.com)" in page
    assert "pwned</h1>" not in page
    assert "<h2>Extra" not in page
    assert str(tmp_path) not in card
