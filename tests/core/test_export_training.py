"""Exports that trainers use correctly: properties checked on the written files.

KTO's record order, declared column types, ``margin`` only on request, alternating chats,
HH separators in the standard variant, and what the card says. ``datasets`` is the only
trainer-side library used; everything else is read straight from the files.
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from labeler.cli import main
from labeler.db import open_db, transaction
from labeler.exporters import ExportOptions, export_project
from labeler.exporters.engine.options import Variant
from labeler.importers import import_files
from labeler.store import insert_items, insert_labels
from labeler.store.routes import write_routes
from labeler.types import Item, Label, PairChoice, PairwiseValue, RankingValue, Response, Source

HH = "hh-rlhf/harmless-base/test.jsonl.gz"


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _card_yaml(folder: Path) -> str:
    text = (folder / "README.md").read_text(encoding="utf-8")
    return text.split("---\n")[1]


@pytest.fixture
def datasets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    module = pytest.importorskip("datasets")
    module.disable_progress_bars()
    return module


def _pairs_project(path: Path, n: int, *, human: bool = True) -> Any:
    """``n`` two-response items, each with a human pairwise label (stated strength on odd)."""
    db = open_db(path)
    items = [
        Item(f"Question {i}: why is {i} interesting?", (Response(f"A{i}"), Response(f"B{i}")))
        for i in range(n)
    ]
    with transaction(db.conn):
        insert_items(db.conn, items, "fixture")
        insert_labels(
            db.conn,
            [
                Label(
                    it.id,
                    PairwiseValue(PairChoice.A if i % 3 else PairChoice.B, 2 if i % 2 else None),
                    Source.HUMAN if human else Source.IMPORTED,
                    "alice",
                )
                for i, it in enumerate(items)
            ],
        )
    return db


# ---- 1. KTO: neighbours rarely share a prompt ----------------------------------------------


def _same_prompt_share(records: list[dict[str, Any]]) -> float:
    same = sum(a["prompt"] == b["prompt"] for a, b in itertools.pairwise(records))
    return same / (len(records) - 1)


def test_kto_records_are_shuffled_with_a_seed_and_rarely_share_a_prompt(tmp_path: Path) -> None:
    db = _pairs_project(tmp_path / "p.db", 1000)
    opts = ExportOptions(target="trl-unpaired", test_size=0.0)
    export_project(db, tmp_path / "a", opts)
    records = _jsonl(tmp_path / "a" / "data" / "train.jsonl")
    assert len(records) == 2000
    assert _same_prompt_share(records) < 0.02
    labels = [r["label"] for r in records]
    assert labels != sorted(labels)
    assert labels != sorted(labels, reverse=True)
    # stable across runs, and the same bytes from several processes
    export_project(db, tmp_path / "b", opts)
    export_project(db, tmp_path / "c", replace(opts, workers=2))
    first = (tmp_path / "a" / "data" / "train.jsonl").read_bytes()
    assert (tmp_path / "b" / "data" / "train.jsonl").read_bytes() == first
    assert (tmp_path / "c" / "data" / "train.jsonl").read_bytes() == first
    # another seed, another order (and the same records)
    export_project(db, tmp_path / "d", replace(opts, seed=7))
    other = (tmp_path / "d" / "data" / "train.jsonl").read_bytes()
    assert other != first
    assert sorted(other.splitlines()) == sorted(first.splitlines())
    card = (tmp_path / "a" / "README.md").read_text(encoding="utf-8")
    assert "seeded shuffled order" in card
    assert "rotating the completions by one within each batch" in card
    assert "BCO" not in card


# ---- 2. every column's type declared: a big mixed project loads ------------------------------


@pytest.mark.slow
def test_a_big_imported_project_with_a_few_judge_labels_loads(
    tmp_path: Path, datasets: Any
) -> None:
    # About 1 kB a record, like HH: the file is bigger than the block ``datasets`` infers
    # column types from, and the judge's records come after it.
    records = [
        {
            "prompt": f"Question {i}: " + "explain the reasoning step by step " * 10,
            "chosen": f"Answer {i} " + "with a careful argument " * 12,
            "rejected": f"Reply {i} " + "that misses the point " * 12,
        }
        for i in range(12_000)
    ]
    db = open_db(tmp_path / "p.db")
    report = import_files(db, [_write_jsonl(tmp_path / "pairs.jsonl", records)])
    assert report.labels == 12_000
    judged = [Item(f"Judged {i}?", (Response(f"yes {i}"), Response(f"no {i}"))) for i in range(40)]
    with transaction(db.conn):
        insert_items(db.conn, judged, "judge-file")
        insert_labels(
            db.conn,
            [
                Label(
                    it.id,
                    PairwiseValue(PairChoice.B),
                    Source.MODEL,
                    "judge",
                    model_version="gpt-4",
                    confidence=0.75,
                )
                for it in judged
            ],
        )
    ids = [it.id for it in judged]
    n = len(ids)
    write_routes(
        db, ids, np.ones(n, dtype=int), np.zeros(n), np.ones(n, dtype=bool),
        strategy="margin", budget=0.0, seed=0, params={"ai": "judge"}, summary={},
    )  # fmt: skip
    out = tmp_path / "out"
    export_project(db, out, ExportOptions(test_size=0.0))
    rows = _jsonl(out / "data" / "train.jsonl")
    assert rows[0]["model_version"] is None
    assert rows[-1]["model_version"] == "gpt-4"
    assert (out / "data" / "train.jsonl").stat().st_size > 11 * 2**20
    for ds in (datasets.load_dataset(str(out)), datasets.load_dataset(str(out), "trl-preference")):
        train = ds["train"]
        assert len(train) == 12_040
        assert train[-1]["model_version"] == "gpt-4"
        assert train.features["confidence"] == datasets.Value("float64")


def _declared(folder: Path, datasets: Any) -> Any:
    import yaml

    header = yaml.safe_load(_card_yaml(folder))
    (info,) = header["dataset_info"]
    assert info["config_name"] == header["configs"][0]["config_name"]
    return datasets.Features._from_yaml_list(info["features"])


@pytest.mark.parametrize(
    "target",
    ["trl-preference", "trl-unpaired", "ranked", "openai-preference", "llama-factory", "openrlhf"],
)
@pytest.mark.parametrize("variant", [Variant.STANDARD, Variant.CONVERSATIONAL])
def test_the_card_declares_every_column_as_loaded(
    tmp_path: Path, datasets: Any, target: str, variant: Variant
) -> None:
    db = open_db(tmp_path / "p.db")
    items = [
        Item(f"Q{i}?", (Response(f"a{i}"), Response(f"b{i}"), Response(f"c{i}")), images=())
        for i in range(4)
    ]
    with transaction(db.conn):
        insert_items(db.conn, items, "fixture")
        insert_labels(
            db.conn,
            [Label(it.id, RankingValue((1, 2, 3)), Source.HUMAN, "alice") for it in items],
        )
    out = tmp_path / "o"
    export_project(db, out, ExportOptions(target=target, variant=variant, test_size=0.0))
    declared = _declared(out, datasets)
    loaded = datasets.load_dataset(str(out))["train"]
    assert loaded.features == declared
    assert list(declared) == list(_jsonl(out / "data" / "train.jsonl")[0])


# ---- 3. margin only when asked, only from what people stated --------------------------------


def test_margin_is_written_only_when_asked_and_only_from_stated_strengths(
    tmp_path: Path,
) -> None:
    db = _pairs_project(tmp_path / "p.db", 6)
    for target in ("trl-preference", "openrlhf"):
        export_project(db, tmp_path / target, ExportOptions(target=target, test_size=0.0))
        assert all("margin" not in r for r in _jsonl(tmp_path / target / "data/train.jsonl"))
    assert "No `margin` column" in (tmp_path / "trl-preference" / "README.md").read_text()
    result = CliRunner().invoke(
        main,
        ["export", str(tmp_path / "p.db"), "--out", str(tmp_path / "m"), "--test-size", "0",
         "--margin"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = _jsonl(tmp_path / "m" / "data" / "train.jsonl")
    by_question = {int(re.findall(r"Question (\d+)", r["prompt"])[0]): r["margin"] for r in rows}
    assert by_question == {i: 2.0 if i % 2 else 0.0 for i in range(6)}
    card = (tmp_path / "m" / "README.md").read_text(encoding="utf-8")
    assert "--margin" in card
    assert "-logsigmoid(r_chosen - r_rejected - margin)" in card
    imported = _pairs_project(tmp_path / "i.db", 4, human=False)
    rank = Item("Rank these", (Response("x"), Response("y"), Response("z")))
    with transaction(imported.conn):
        insert_items(imported.conn, [rank], "fixture")
        insert_labels(imported.conn, [Label(rank.id, RankingValue((3, 2, 1)), Source.HUMAN, "b")])
    export_project(imported, tmp_path / "i", ExportOptions(test_size=0.0, margin=True))
    margins = {r["margin"] for r in _jsonl(tmp_path / "i" / "data" / "train.jsonl")}
    assert margins == {0.0, 2.0}  # stated strengths only; the ranking's gaps give 0


# ---- 4. and 5. HH: alternating chats, clean separators -------------------------------------


def _alternates(messages: list[dict[str, str]]) -> bool:
    roles = [m["role"] for m in messages]
    if roles and roles[0] == "system":
        roles = roles[1:]
    return all(r == ("user", "assistant")[i % 2] for i, r in enumerate(roles))


def _raw_hh(shared_data: Path) -> list[dict[str, str]]:
    with gzip.open(shared_data / HH, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _same_role_in_a_row(transcript: str) -> bool:
    """A raw HH transcript's prompt (up to the last ``Assistant:``) has two turns of one
    role in a row."""
    prompt = transcript[: transcript.rindex("\n\nAssistant:")]
    roles = re.findall(r"\n\n(Human|Assistant):", prompt)
    return any(a == b for a, b in itertools.pairwise(roles))


@pytest.fixture(scope="module")
def hh_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """HH imported once for the module (exports only read the project)."""
    raw = Path(
        os.environ.get("PREFMARK_SHARED_DATA", Path(__file__).parents[3] / "shared" / "data")
    )
    if not (raw / "raw" / HH).is_file():
        pytest.skip(f"shared data not found at {raw}")
    db = open_db(tmp_path_factory.mktemp("hh") / "hh.db")
    import_files(db, [raw / "raw" / HH])
    yield db
    db.conn.close()


@pytest.mark.parametrize("target", ["trl-preference", "trl-unpaired", "openai-preference"])
def test_hh_chats_always_alternate_and_end_on_a_user_turn(
    hh_project: Any, tmp_path: Path, shared_data: Path, target: str
) -> None:
    out = tmp_path / "o"
    report = export_project(
        hh_project,
        out,
        ExportOptions(target=target, variant=Variant.CONVERSATIONAL, test_size=0.0),
    )
    rows = _jsonl(out / "data" / "train.jsonl")
    prompts = [
        r["input"]["messages"] if target == "openai-preference" else r["prompt"] for r in rows
    ]
    assert len(prompts) > 2000
    for messages in prompts:
        assert _alternates(messages)
        assert messages[-1]["role"] == "user"
    expected = sum(_same_role_in_a_row(r["chosen"]) for r in _raw_hh(shared_data))
    assert expected > 0  # the real data has such transcripts
    assert report.normalised == expected
    card = (out / "README.md").read_text(encoding="utf-8")
    assert f"{expected:,} chats with turns of one role in a row, merged" in card


def test_hh_standard_text_keeps_the_hh_separators(
    hh_project: Any, tmp_path: Path, shared_data: Path
) -> None:
    out = tmp_path / "o"
    export_project(hh_project, out, ExportOptions(variant=Variant.STANDARD, test_size=0.0))
    rows = _jsonl(out / "data" / "train.jsonl")
    for r in rows:
        assert r["prompt"].startswith("\n\nHuman: ")
        assert r["prompt"].endswith("\n\nAssistant:")
        assert "user: " not in r["prompt"]
        assert "assistant: " not in r["prompt"]
        for key in ("chosen", "rejected"):
            assert r[key][:1].isspace()
    # prompt + chosen is the very transcript HH ships (up to surrounding whitespace)
    raw = {" ".join(x["chosen"].split()) for x in _raw_hh(shared_data)}
    joined = [" ".join((r["prompt"] + r["chosen"]).split()) for r in rows]
    assert sum(j in raw for j in joined) / len(joined) > 0.95
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "`\\n\\nAssistant:`" in card
    assert "starts with a space" in card


# ---- 6. what the card and the records say ---------------------------------------------------


def test_openrlhf_card_names_the_current_flags(tmp_path: Path) -> None:
    db = _pairs_project(tmp_path / "p.db", 3)
    export_project(db, tmp_path / "o", ExportOptions(target="openrlhf", test_size=0.0))
    card = (tmp_path / "o" / "README.md").read_text(encoding="utf-8")
    for flag in ("--data.prompt_key", "--data.chosen_key", "--data.rejected_key",
                 "--data.dataset"):  # fmt: skip
        assert flag in card
    assert not re.search(r"(?<![.\w])--(prompt_key|chosen_key|input_template|dataset)\b", card)


def test_ranked_export_keeps_imported_judge_scores(tmp_path: Path) -> None:
    records = [
        {"prompt": "Best answer?", "responses": ["a", "b", "c"], "scores": [9, 7.5, 2],
         "ranks": [1, 2, 3]},
        {"prompt": "No scores?", "responses": ["x", "y"], "ranks": [2, 1]},
    ]  # fmt: skip
    db = open_db(tmp_path / "p.db")
    import_files(db, [_write_jsonl(tmp_path / "r.jsonl", records)])
    export_project(db, tmp_path / "o", ExportOptions(target="ranked", test_size=0.0))
    got = {r["prompt"]: r["scores"] for r in _jsonl(tmp_path / "o" / "data" / "train.jsonl")}
    assert got == {
        "\n\nHuman: Best answer?\n\nAssistant:": [9.0, 7.5, 2.0],
        "\n\nHuman: No scores?\n\nAssistant:": [0.0, 1.0],
    }


def test_a_majority_vote_lists_every_voter(tmp_path: Path) -> None:
    db = open_db(tmp_path / "p.db")
    item = Item("Best pet?", (Response("cat"), Response("dog")))
    with transaction(db.conn):
        insert_items(db.conn, [item], "fixture")
        insert_labels(
            db.conn,
            [
                Label(item.id, PairwiseValue(choice), Source.HUMAN, who)
                for who, choice in (("ann", PairChoice.A), ("bo", PairChoice.B),
                                    ("cy", PairChoice.A))
            ],
        )  # fmt: skip
    export_project(db, tmp_path / "o", ExportOptions(test_size=0.0))
    (rec,) = _jsonl(tmp_path / "o" / "data" / "train.jsonl")
    assert rec["chosen"] == " cat"
    assert rec["annotator"] == "cy"
    assert rec["annotators"] == ["ann", "bo", "cy"]


def test_openai_export_leaves_out_and_counts_empty_replies(tmp_path: Path) -> None:
    db = open_db(tmp_path / "p.db")
    items = [
        Item("Fine?", (Response("yes"), Response("no"))),
        Item("Empty?", (Response("  "), Response("something"))),
    ]
    with transaction(db.conn):
        insert_items(db.conn, items, "fixture")
        insert_labels(
            db.conn, [Label(it.id, PairwiseValue(PairChoice.A), Source.HUMAN, "a") for it in items]
        )
    out = tmp_path / "o"
    report = export_project(db, out, ExportOptions(target="openai-preference", test_size=0.0))
    rows = _jsonl(out / "data" / "train.jsonl")
    assert [r["input"]["messages"][0]["content"] for r in rows] == ["Fine?"]
    for r in rows:
        for key in ("preferred_output", "non_preferred_output"):
            assert r[key][0]["content"].strip()
    reason = "pairs with an empty reply (OpenAI refuses them)"
    assert report.dropped[reason] == 1
    assert f"1 {reason}" in (out / "README.md").read_text(encoding="utf-8")
    assert f"1 {reason}" in report.summary()


def test_readme_and_cli_help_name_no_bco_trainer() -> None:
    """README and CLI name only trainers that exist (TRL 1.16 has no BCOTrainer)."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    help_text = CliRunner().invoke(main, ["export", "--help"]).output
    assert "BCO" not in readme
    assert "BCO" not in help_text
