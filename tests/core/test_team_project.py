"""A team's project end to end: agreement, annotator quality and label errors in
``prefmark stats``, and the ``dawid-skene`` conflict policy in settings and exports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from labeler.cli import main
from labeler.db import open_db, transaction
from labeler.exporters import ExportOptions, export_project
from labeler.resolution import ConflictPolicy
from labeler.store import insert_items, insert_labels
from labeler.store.embeddings import write_embeddings
from labeler.store.meta import get_conflict_policy
from labeler.store.resolved import resolved_label
from labeler.team import label_quality
from labeler.types import Item, Label, PairChoice, PairwiseValue, Response, Source

VALUE = {1: PairwiseValue(PairChoice.A), 2: PairwiseValue(PairChoice.B),
         0: PairwiseValue(PairChoice.TIE)}  # fmt: skip
A, B = VALUE[1], VALUE[2]
REFERENCE = json.loads((Path(__file__).parent / "golden" / "pandalm_agreement.json").read_text())


def pandalm_project(path: Path, shared_data: Path) -> Any:
    """PandaLM's 999 items with their three people's labels and the two AI judges'."""
    base = shared_data / "PandaLM" / "data"
    test = json.loads((base / "testset-v1.json").read_text())
    gpt = json.loads((base / "gpt-3.5-turbo-testset-v1.json").read_text())
    judge = {"1": 1, "2": 2, "Tie": 0}
    db = open_db(path)
    items, labels = [], []
    for r, g in zip(test, gpt, strict=True):
        item = Item(f"{r['instruction']}\n{r['input']}#{r['idx']}",
                    (Response(r["response1"]), Response(r["response2"])))  # fmt: skip
        items.append(item)
        for k in (1, 2, 3):
            labels.append(Label(item.id, VALUE[r[f"annotator{k}"]], Source.HUMAN, f"ann{k}"))
        if g["gpt_result"] in judge:
            labels.append(Label(item.id, VALUE[judge[g["gpt_result"]]], Source.MODEL, "gpt-3.5"))
    with transaction(db.conn):
        insert_items(db.conn, items, "pandalm")
        insert_labels(db.conn, labels)
    return db


def test_stats_on_pandalm_match_the_reference_implementations(
    tmp_path: Path, shared_data: Path
) -> None:
    path = tmp_path / "pandalm.db"
    pandalm_project(path, shared_data).conn.close()
    result = CliRunner().invoke(main, ["stats", str(path), "--json"])
    assert result.exit_code == 0, result.output
    team = json.loads(result.output)["team"]
    overall = {e["name"]: e for e in team["agreement"]["overall"]}
    fleiss = overall["Fleiss' kappa"]
    assert fleiss["value"] == pytest.approx(REFERENCE["fleiss"], abs=1e-9)
    assert fleiss["items"] == 999
    assert fleiss["low"] < fleiss["value"] < fleiss["high"]
    assert overall["Krippendorff's alpha (ordinal: A < tie < B)"]["value"] == pytest.approx(
        REFERENCE["alpha_ordinal"], abs=1e-9
    )
    kappas = {
        tuple(p["annotators"]): p["cohen_kappa"]["value"] for p in team["agreement"]["pairs"]
    }
    assert kappas[("ann1", "ann2")] == pytest.approx(REFERENCE["cohen_01"], abs=1e-9)
    assert kappas[("ann2", "ann3")] == pytest.approx(REFERENCE["cohen_12"], abs=1e-9)
    # People agree far more than GPT-3.5 agrees with them (0.70 on the majority).
    accuracy = team["annotator_accuracy"]
    assert min(accuracy[f"ann{k}"] for k in (1, 2, 3)) > accuracy["gpt-3.5"] + 0.1
    errors = team["label_errors"]
    assert errors["labels_checked"] == 2997
    assert errors["checked_by"] == "the AI judges"  # no embeddings in this project
    share = errors["estimated_share"]
    assert 0 <= share["low"] <= share["value"] <= share["high"] < 0.5
    queue = [s["p_wrong"] for s in errors["review_queue"]]
    assert queue == sorted(queue, reverse=True)
    text = CliRunner().invoke(main, ["stats", str(path)]).output
    assert "Fleiss' kappa" in text
    assert "on 999 items" in text
    assert "Cohen's kappa, ann1 vs ann2" in text
    assert "estimated accuracy per annotator (Dawid-Skene" in text
    assert "people's labels are confidently disputed by the AI judges" in text
    assert "estimated share of wrong labels" in text


def trust_project(path: Path) -> tuple[Any, Item, Item]:
    """alice is always right; bob and carol are careless (each right 70% of the time, on
    their own). On ``split`` bob and carol outvote alice; ``plain`` has one label by alice."""
    db = open_db(path)
    rng = np.random.default_rng(0)
    items, labels = [], []
    for i in range(150):
        item = Item(f"q{i}", (Response("x"), Response("y")))
        items.append(item)
        truth = A if rng.random() < 0.5 else B
        wrong = B if truth is A else A
        labels.append(Label(item.id, truth, Source.HUMAN, "alice"))
        for name in ("bob", "carol"):
            answer = truth if rng.random() < 0.7 else wrong
            labels.append(Label(item.id, answer, Source.HUMAN, name))
    split = Item("split", (Response("x"), Response("y")))
    plain = Item("plain", (Response("x"), Response("y")))
    labels += [
        Label(split.id, A, Source.HUMAN, "alice"),
        Label(split.id, B, Source.HUMAN, "bob"),
        Label(split.id, B, Source.HUMAN, "carol"),
        Label(plain.id, B, Source.HUMAN, "alice"),
    ]
    with transaction(db.conn):
        insert_items(db.conn, [*items, split, plain], "test")
        insert_labels(db.conn, labels)
    return db, split, plain


def _records(out: Path) -> dict[str, dict[str, Any]]:
    lines = [
        json.loads(line)
        for path in sorted((out / "data").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    return {r["item_id"]: r for r in lines}


def test_dawid_skene_policy_trusts_the_reliable_annotator(tmp_path: Path) -> None:
    path = tmp_path / "team.db"
    db, split, plain = trust_project(path)
    majority = resolved_label(db, split.id, ConflictPolicy.MAJORITY)
    assert majority is not None
    assert majority.value == B
    weighed = resolved_label(db, split.id, ConflictPolicy.DAWID_SKENE)
    assert weighed is not None
    assert weighed.annotator == "alice"
    assert weighed.value == A

    export_project(db, tmp_path / "m", ExportOptions(test_size=0.0))
    by_majority = _records(tmp_path / "m")
    assert by_majority[split.id]["chosen"].strip() == "y"
    assert by_majority[plain.id]["confidence"] is None
    export_project(
        db, tmp_path / "ds", ExportOptions(test_size=0.0, conflicts=ConflictPolicy.DAWID_SKENE)
    )
    by_ds = _records(tmp_path / "ds")
    card = (tmp_path / "ds" / "README.md").read_text(encoding="utf-8")
    assert "Dawid-Skene probability that the label's verdict is right" in card
    assert "Dawid-Skene" not in (tmp_path / "m" / "README.md").read_text(encoding="utf-8")
    assert by_ds[split.id]["chosen"].strip() == "x"
    assert 0.5 < by_ds[split.id]["confidence"] < 1.0
    # Every person's label carries the model's confidence, a lone reliable label included.
    assert by_ds[plain.id]["confidence"] > 0.9
    assert len(by_ds) == len(by_majority) == 152


def test_settings_and_export_accept_the_policy(tmp_path: Path) -> None:
    path = tmp_path / "team.db"
    db, split, _plain = trust_project(path)
    db.conn.close()
    runner = CliRunner()
    result = runner.invoke(main, ["settings", str(path), "--conflicts", "dawid-skene"])
    assert result.exit_code == 0, result.output
    assert "dawid-skene" in result.output
    assert get_conflict_policy(open_db(path)) is ConflictPolicy.DAWID_SKENE
    stats = runner.invoke(main, ["stats", str(path)]).output
    assert "conflicting labels: dawid-skene" in stats
    out = tmp_path / "out"
    result = runner.invoke(main, ["export", str(path), "--out", str(out), "--test-size", "0"])
    assert result.exit_code == 0, result.output
    assert _records(out)[split.id]["chosen"].strip() == "x"


def test_label_errors_use_the_out_of_fold_model_when_items_have_embeddings(
    tmp_path: Path,
) -> None:
    """One annotator, wrong on every tenth item, no AI judge: only the model (a head on the
    stored response embeddings, scored out of fold) can dispute the wrong labels."""
    db = open_db(tmp_path / "emb.db")
    rng = np.random.default_rng(5)
    items, labels, flipped = [], [], set()
    keys, vectors = [], []
    for i in range(200):
        item = Item(f"e{i}", (Response("x"), Response("y")))
        items.append(item)
        b_better = rng.random() < 0.5
        truth, wrong = (B, A) if b_better else (A, B)
        if i % 10 == 0:
            flipped.add(item.id)
        labels.append(Label(item.id, wrong if i % 10 == 0 else truth, Source.HUMAN, "solo"))
        quality = rng.normal(size=(2, 40))
        quality[int(b_better), 0] += 2.5  # the better response stands out on one axis
        keys += [(item.id, 0), (item.id, 1)]
        vectors += [quality[0], quality[1]]
    with transaction(db.conn):
        insert_items(db.conn, items, "test")
        insert_labels(db.conn, labels)
    write_embeddings(db, "test-encoder", keys, np.array(vectors), np.zeros((len(keys), 1)))
    quality = label_quality(db)
    assert quality.used_model
    assert quality.evidence == "the model"
    assert quality.share is None  # one label per item: nothing to compare the sources on
    assert quality.labels == 200
    top = [s.item_id for s in quality.queue[:10]]
    assert len(set(top) & flipped) >= 7
