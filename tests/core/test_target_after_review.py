"""The quality target after people review the audit in the review queue (accepting or
overriding the AI label), as the app records it: each audited item is ranked like any
AI-labelled item, and the plan's accuracy never falls as people take more items."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from click.testing import CliRunner

from labeler.cli import main
from labeler.db import open_db
from labeler.session import LabelingSession
from labeler.types import PairChoice, PairwiseValue, Route
from labeler.workflows.base import drive
from labeler.workflows.routing import route
from tests.core.test_route_target_cli import N, make_project


def review_in_queue(path: Path, overrides: int) -> int:
    """Work through the review queue: override the first ``overrides`` AI labels, accept the
    rest. Returns how many items were reviewed."""
    db = open_db(path)
    session = LabelingSession(db, "reviewer", queue=Route.REVIEW)
    done = 0
    while (shown := session.current) is not None:
        if done < overrides:
            value = shown.shown_value(shown.model_label)
            assert isinstance(value, PairwiseValue)
            other = PairChoice.A if value.choice is PairChoice.B else PairChoice.B
            session.submit_pairwise(other)
        else:
            session.accept()
        done += 1
    db.conn.close()
    return done


def test_reviewed_audit_items_are_ranked_and_accuracy_only_grows(tmp_path: Path) -> None:
    project = tmp_path / "p.db"
    make_project(project)
    first = CliRunner().invoke(main, ["route", str(project), "--budget", "0", "--audit", "0.1"])
    assert first.exit_code == 0, first.output
    audited = review_in_queue(project, overrides=1)
    assert audited == round(0.1 * (N - 20))
    db = open_db(project)
    report = drive(route(db, target_accuracy=0.9, confidence=0.9, preview=True))
    plan = report.plan
    assert plan is not None
    assert plan.audited == audited
    rest = N - 20 - audited
    steps = plan.steps
    assert [s.human for s in steps] == sorted(s.human for s in steps)
    accuracy = [s.accuracy for s in steps]
    lower = [s.lower for s in steps]
    assert accuracy == sorted(accuracy)
    assert lower == sorted(lower)
    # Nobody to people: the one override among the audit is the AI's error rate.
    assert steps[0].human == 0
    assert (steps[0].audited_in_rest, steps[0].errors_in_rest) == (audited, 1)
    assert steps[0].accuracy == np.float64(1 - rest * (1 / audited) / (rest + audited))
    # The audit is a random sample of the AI's items, so a cut through the middle of the
    # risk order leaves some audited items on each side of it (the audited items used to be
    # ranked above every cut, as if no audit item stayed with the AI).
    middle = min(steps, key=lambda s: abs(s.human - rest // 2))
    assert 0 < middle.audited_in_rest < audited
    # The plan is the fewest people's items whose bound reaches the target. Ranking every
    # audited item above the cut made every AI label count as wrong, which for 90% sent all
    # but 10% of the items (about 304 of 342) to people.
    by_k = {s.human: s for s in steps}
    assert by_k[plan.human].lower >= 0.9
    assert all(s.lower < 0.9 for s in steps if s.human < plan.human)
    assert 0 < plan.human < rest / 2
    assert plan.point_human == 0  # the audit's estimate alone (~98%) already reaches 90%
    db.conn.close()
