"""Build the demo data bundled in ``labeler/demo/data`` from the public source files.

Only Apache-2.0 sources are used (PandaLM test set, Arena-Hard-Auto arena-bench-v1); see
``labeler/demo/NOTICE.md``. Run: ``python packaging/make_demo_data.py /path/to/shared/data/raw``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "labeler" / "demo" / "data"
N_PAIRWISE = 300
N_LISTWISE = 40
ARENA_MODELS = [
    "gpt-4-0314",
    "claude-2.1",
    "gpt-3.5-turbo",
    "Mixtral-8x7B-Instruct-v0.1",
    "Llama-2-70b-chat",
    "vicuna-33b-v1.3",
]


def _write(path: Path, records: list[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def _as_text(value: object) -> str:
    """A few PandaLM responses are JSON booleans (the model answered "True"); keep them as text."""
    return value if isinstance(value, str) else str(value)


def pandalm(raw: Path) -> None:
    base = raw / "PandaLM" / "data"
    tests = json.loads((base / "testset-v1.json").read_text())
    gpt = {
        r["idx"]: r["gpt_result"]
        for r in json.loads((base / "gpt-3.5-turbo-testset-v1.json").read_text())
    }
    items, votes = [], []
    for rec in tests[:N_PAIRWISE]:
        prompt = rec["instruction"] + (f"\n\n{rec['input']}" if rec["input"] else "")
        model_a, model_b = rec["cmp_key"].split("_", 1)
        items.append(
            {
                "prompt": prompt,
                "responses": [
                    {"text": _as_text(rec["response1"]), "model": model_a},
                    {"text": _as_text(rec["response2"]), "model": model_b},
                ],
                "app": rec["motivation_app"],
                "source": "PandaLM",
                "idx": rec["idx"],
            }
        )
        votes.append(
            {
                "idx": rec["idx"],
                "annotators": [rec["annotator1"], rec["annotator2"], rec["annotator3"]],
                "gpt-3.5-turbo": gpt[rec["idx"]],
            }
        )
    _write(OUT / "pandalm_pairwise.jsonl", items)
    _write(OUT / "pandalm_votes.jsonl", votes)


def _answer_text(rec: dict[str, object]) -> str:
    """Answers store the first turn either as a string or as {"content": ...}."""
    turn = rec["choices"][0]["turns"][0]  # type: ignore[index]
    return str(turn["content"] if isinstance(turn, dict) else turn)


def arena(raw: Path) -> None:
    base = raw / "arena-hard-auto" / "data" / "arena-bench-v1"
    questions = [json.loads(line) for line in (base / "question.jsonl").open()]
    answers: dict[str, dict[str, str]] = {}
    scores: dict[str, dict[str, object]] = {}
    for model in ARENA_MODELS:
        for line in (base / "model_answer" / f"{model}.jsonl").open():
            rec = json.loads(line)
            answers.setdefault(rec["question_id"], {})[model] = _answer_text(rec)
        for line in (base / "model_judgment" / f"{model}.jsonl").open():
            rec = json.loads(line)
            scores.setdefault(rec["question_id"], {})[model] = rec["score"]
    items = []
    for q in questions:
        if len(items) == N_LISTWISE:
            break
        got = answers.get(q["question_id"], {})
        if len(got) < len(ARENA_MODELS) or max(len(t) for t in got.values()) > 6000:
            continue
        items.append(
            {
                "prompt": q["turns"][0],
                "responses": [{"text": got[m], "model": m} for m in ARENA_MODELS],
                "source": "Arena-Hard-Auto",
                "question_id": q["question_id"],
                "judge_scores": [scores[q["question_id"]].get(m) for m in ARENA_MODELS],
            }
        )
    _write(OUT / "arena_listwise.jsonl", items)


if __name__ == "__main__":
    raw_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/raw")
    OUT.mkdir(parents=True, exist_ok=True)
    pandalm(raw_dir)
    arena(raw_dir)
    print(f"wrote demo data to {OUT}")
