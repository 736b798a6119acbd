"""Routing on real PandaLM verdicts: GPT-3.5 as the AI, annotator1 as the human, majority gold."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from labeler.routing import RoutingInput, logistic_head, make_strategy
from labeler.routing.features import routing_features, text_stats
from labeler.routing.simulate import SimTask, simulate, summarise

CODE = {1: 0, 2: 1}


def test_disagreement_routing_beats_random_on_pandalm(shared_data: Path) -> None:
    base = shared_data / "PandaLM" / "data"
    test = json.loads((base / "testset-v1.json").read_text())
    gpt = json.loads((base / "gpt-3.5-turbo-testset-v1.json").read_text())
    panda = json.loads((base / "pandalm-7b-testset-v1.json").read_text())
    rows = []
    for r, g, p in zip(test, gpt, panda, strict=True):
        top, count = Counter([r["annotator1"], r["annotator2"], r["annotator3"]]).most_common(1)[0]
        if count >= 2 and top in CODE:
            rows.append((r, g, p, CODE[top]))
    gold = np.array([x[3] for x in rows], dtype=np.int8)
    human = np.array([CODE.get(x[0]["annotator1"], -1) for x in rows], dtype=np.int8)
    ai = np.array([{"1": 0, "2": 1}.get(x[1]["gpt_result"], -1) for x in rows], dtype=np.int8)
    judge = np.array([{1: 0.0, 2: 1.0}.get(x[2]["pandalm_result"], 0.5) for x in rows])
    stats = text_stats(
        [x[0]["instruction"] for x in rows],
        [str(x[0]["response1"]) for x in rows],
        [str(x[0]["response2"]) for x in rows],
    )
    log_ratio = np.log1p(stats.len_b) - np.log1p(stats.len_a)
    head_x = np.column_stack([log_ratio, np.sign(log_ratio)])
    base_inp = RoutingInput(ai_label=ai, judge_probs=judge[:, None], head_features=head_x)
    features, names = routing_features(base_inp, stats)
    inp = RoutingInput(
        ai_label=ai,
        judge_probs=judge[:, None],
        head_features=head_x,
        features=features,
        feature_names=names,
    )

    def task(seed: int) -> SimTask:
        return SimTask(inp, human, gold, head_x[:100], gold[:100])

    head = logistic_head()
    strategies = {
        n: (lambda n=n: make_strategy(n, head)) for n in ("random", "ensemble", "learned")
    }
    summary = {
        (s.strategy, s.budget): s
        for s in summarise(simulate(strategies, task, head, seeds=[0, 1, 2], budgets=(0.0, 0.25)))
    }
    assert summary["random", 0.0].hybrid_mean == pytest.approx(0.774, abs=0.01)
    for name in ("ensemble", "learned"):
        assert summary[name, 0.25].hybrid_mean > summary["random", 0.25].hybrid_mean + 0.03
