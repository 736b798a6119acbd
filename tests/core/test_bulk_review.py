"""On the demo project routed with its judge: bulk review (GPT-3.5's verdicts state no
confidence, so no threshold admits them; the reviewer accepts them knowingly, each stored as a
review of its own with a rationale that says so) and the export's counts against Done."""

from __future__ import annotations

from pathlib import Path

from labeler.bulk_review import accept_model_labels, review_candidates
from labeler.demo import JUDGE, add_bundled_labels, create_demo_project
from labeler.exporters import ExportOptions, export_project
from labeler.exporters.engine.policies import UNFINISHED
from labeler.progress import run_steps
from labeler.store import live_labels
from labeler.store.items import item_state
from labeler.store.labels import model_label
from labeler.store.routes import queue_counts
from labeler.types import Action, Source, Status
from labeler.workflows.routing import route

UNRATED = "which states no confidence"


def routed_demo(path: Path):  # type: ignore[no-untyped-def]
    """The demo with its bundled votes and verdicts, routed with a tenth audited by review."""
    db = create_demo_project(path)
    add_bundled_labels(db)
    report = run_steps(route(db, budget=0.25, audit=0.1))
    assert report.ai_source == JUDGE
    assert report.review > 0
    return db


def test_judge_verdicts_are_accepted_only_when_asked_for(tmp_path: Path) -> None:
    db = routed_demo(tmp_path / "demo.db")
    found = review_candidates(db, 0.5)
    waiting = db.conn.execute(
        "SELECT id FROM items WHERE status = 'todo' AND route = 'review' ORDER BY seq"
    ).fetchall()
    assert found.waiting == len(waiting) > 0
    assert found.sure == []  # a judge states no confidence: no threshold admits it
    assert found.unrated == [i for (i,) in waiting]
    assert accept_model_labels(db, found.unrated, "ana", 0.5) == []
    accepted = accept_model_labels(db, found.unrated, "ana", 0.5, unrated=True)
    assert len(accepted) == found.waiting
    for item_id in found.unrated:
        assert item_state(db, item_id)[0] is Status.DONE
        (review,) = live_labels(db, item_id)
        judged = model_label(db, item_id)
        assert judged is not None
        assert judged.annotator == JUDGE
        assert (review.action, review.source, review.annotator) == (
            Action.ACCEPT, Source.HUMAN, "ana")  # fmt: skip
        assert (review.supersedes, review.value) == (judged.id, judged.value)
        assert review.rationale == f"accepted in bulk: {JUDGE}'s verdict, {UNRATED}"
    assert review_candidates(db, 0.5).waiting == 0


def test_the_export_summary_accounts_for_every_item_with_a_label(tmp_path: Path) -> None:
    """The default export counts items with any label (the model scored none here, the judge
    voted on every pair); what it leaves out says why it is not the sidebar's Done."""
    db = routed_demo(tmp_path / "demo.db")
    counts = queue_counts(db)
    report = export_project(db, tmp_path / "out", ExportOptions())
    with_label = db.conn.execute("SELECT count(DISTINCT item_id) FROM labels").fetchone()[0]
    assert report.items_labelled == with_label > counts.done
    unfinished = report.dropped[UNFINISHED]
    assert unfinished == report.items_labelled - counts.done  # judged, waiting for a person
    no_record = report.dropped.get("items giving no record (ties, both bad, no order)", 0)
    assert no_record > 0  # people's ties
    assert report.items_exported + no_record == counts.done
    summary = report.summary()
    assert (
        f"from {report.items_exported:,} of the {with_label:,} items with a label "
        "(a model's or judge's included)"
    ) in summary
    assert f"{unfinished:,} items not finished (only the model's label, and not routed" in summary
