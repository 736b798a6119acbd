"""Importers on real records from the shared data sets, one test per shape."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from labeler.importers import FieldMapping, ImportFailed, import_files, parse_map_options
from labeler.store import count_items, get_item, iter_items, live_labels, open_db
from labeler.types import (
    BinaryValue,
    Message,
    PairChoice,
    PairwiseValue,
    RankingValue,
    Source,
)

PANDALM = "PandaLM/data/testset-v1.json"
HH = "hh-rlhf/harmless-base/test.jsonl.gz"
ALPACA = "alpaca_eval/results/claude-2.1/weighted_alpaca_eval_gpt4_turbo/annotations.json"
ARENA = "arena-hard-auto/data/arena-bench-v1"


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def db(project_path: Path) -> Any:
    database = open_db(project_path)
    yield database
    database.conn.close()


def test_pandalm_json_array_with_named_annotators(db: Any, shared_data: Path) -> None:
    records = json.loads((shared_data / PANDALM).read_text())
    mapping = parse_map_options([], annotator_fields=["annotator1", "annotator2", "annotator3"])
    report = import_files(db, [shared_data / PANDALM], mapping=mapping)
    # 99 records repeat an earlier record's content exactly: same id, imported once. Their
    # labels are the earlier record's, except idx 580, whose annotators 1 and 2 disagree
    # with idx 578's: those two are added to the item, the other 295 are already present.
    assert (report.records, report.items, report.present, report.merged) == (999, 900, 0, 99)
    assert (report.labels, report.labels_present) == (3 * 900 + 2, 3 * 99 - 2)
    first = records[0]
    item = next(iter_items(db))
    assert item.prompt == f"{first['instruction']}\n\n{first['input']}"
    assert [r.text for r in item.responses] == [first["response1"], first["response2"]]
    assert [r.model for r in item.responses] == first["cmp_key"].split("_")
    assert item.metadata["idx"] == 0
    labels = live_labels(db, item.id)
    assert [(lb.source, lb.annotator) for lb in labels] == [
        (Source.HUMAN, f"annotator{i}") for i in (1, 2, 3)
    ]
    expected = {1: PairChoice.A, 2: PairChoice.B, 0: PairChoice.TIE}
    assert [lb.value for lb in labels] == [
        PairwiseValue(expected[first[f"annotator{i}"]]) for i in (1, 2, 3)
    ]
    # A bare JSON `true` answer (idx 157) is kept as its JSON text.
    odd = next(r for r in records if r["idx"] == 157)
    ids = [i for i in iter_items(db) if i.metadata.get("idx") == 157]
    assert ids[0].responses[0].text == "true"
    assert odd["response1"] is True


def test_hh_transcripts_split_into_chat_prompt_and_replies(db: Any, shared_data: Path) -> None:
    report = import_files(db, [shared_data / HH])
    assert (report.items, report.labels) == (2312, 2312)
    with gzip.open(shared_data / HH, "rt", encoding="utf-8") as fh:
        raw = [json.loads(line) for line in fh]
    for record, item in zip(raw, iter_items(db), strict=True):
        assert isinstance(item.prompt, tuple)
        assert item.prompt[0].role == "user"
        assert item.prompt[-1].role == "user"
        (label,) = live_labels(db, item.id)
        assert label.source is Source.IMPORTED
        assert isinstance(label.value, PairwiseValue)
        winner = 0 if label.value.choice is PairChoice.A else 1
        assert record["chosen"].endswith(item.responses[winner].text)
        assert record["rejected"].endswith(item.responses[1 - winner].text)
    first = next(iter_items(db))
    assert first.prompt[0] == Message("user", "what are some pranks with a pen i can do?")


def test_dpo_order_does_not_reveal_the_winner(db: Any, tmp_path: Path) -> None:
    recs = [{"prompt": f"p{i}", "chosen": f"good {i}", "rejected": f"bad {i}"} for i in range(40)]
    import_files(db, [write_jsonl(tmp_path / "dpo.jsonl", recs)])
    winners_first = 0
    for item, rec in zip(iter_items(db), recs, strict=True):
        (label,) = live_labels(db, item.id)
        assert isinstance(label.value, PairwiseValue)
        chosen = item.responses[0 if label.value.choice is PairChoice.A else 1].text
        assert chosen == rec["chosen"]
        winners_first += label.value.choice is PairChoice.A
    assert 5 < winners_first < 35  # order comes from content, not from chosen/rejected
    # The same pair with the roles swapped is the same item; its verdict is a new label.
    swapped = [{"prompt": "p0", "chosen": "bad 0", "rejected": "good 0"}]
    again = import_files(db, [write_jsonl(tmp_path / "swapped.jsonl", swapped)])
    assert (again.items, again.present, again.labels) == (0, 1, 1)
    first = next(iter_items(db))
    choices = {lb.annotator: lb.value for lb in live_labels(db, first.id)}
    assert choices["swapped.jsonl"] != choices["dpo.jsonl"]


def test_trl_conversational_chosen_rejected(db: Any, tmp_path: Path) -> None:
    user = {"role": "user", "content": "What color is the sky?"}
    implicit = {
        "chosen": [user, {"role": "assistant", "content": "It is blue."}],
        "rejected": [user, {"role": "assistant", "content": "It is green."}],
    }
    explicit = {
        "prompt": [user],
        "chosen": [{"role": "assistant", "content": "Blue."}],
        "rejected": [{"role": "assistant", "content": "Green."}],
    }
    import_files(db, [write_jsonl(tmp_path / "trl.jsonl", [implicit, explicit])])
    items = list(iter_items(db))
    assert all(i.prompt == (Message("user", "What color is the sky?"),) for i in items)
    assert {r.text for r in items[0].responses} == {"It is blue.", "It is green."}
    assert {r.text for r in items[1].responses} == {"Blue.", "Green."}


def test_messages_with_responses(db: Any, tmp_path: Path) -> None:
    rec = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "reference reply"},
        ],
        "responses": [{"content": "Hello!", "model": "m1"}, {"content": "Hey.", "model": "m2"}],
    }
    import_files(db, [write_jsonl(tmp_path / "chat.jsonl", [rec])])
    (item,) = iter_items(db)
    assert item.prompt == (Message("system", "Be brief."), Message("user", "Hi"))
    assert [(r.text, r.model) for r in item.responses] == [("Hello!", "m1"), ("Hey.", "m2")]
    assert item.metadata["reference"] == "reference reply"


def test_kto_groups_adjacent_records_sharing_a_prompt(db: Any, tmp_path: Path) -> None:
    recs = [
        {"prompt": "a", "completion": "a1", "label": True},
        {"prompt": "a", "completion": "a2", "label": False},
        {"prompt": "b", "completion": "b1", "label": "false"},
        {"prompt": "b", "completion": "b2", "label": "true"},
        {"prompt": "b", "completion": "b3", "label": True},
    ]
    report = import_files(db, [write_jsonl(tmp_path / "kto.jsonl", recs)])
    assert (report.items, report.labels) == (2, 2)
    a, b = iter_items(db)
    assert [r.text for r in b.responses] == ["b1", "b2", "b3"]
    assert live_labels(db, a.id)[0].value == BinaryValue((True, False))
    assert live_labels(db, b.id)[0].value == BinaryValue((False, True, True))
    lone = [{"prompt": "c", "completion": "c1", "label": True}]
    with pytest.raises(ImportFailed, match=r"lone\.jsonl:1: field 'completion'.*adjacent"):
        import_files(db, [write_jsonl(tmp_path / "lone.jsonl", lone)])


def test_conversational_completions_take_the_assistant_content(db: Any, tmp_path: Path) -> None:
    user = [{"role": "user", "content": "Hi?"}]

    def said(text: str) -> list[dict[str, str]]:
        return [{"role": "assistant", "content": text}]

    kto = [
        {"prompt": user, "completion": said("hello"), "label": True},
        {"prompt": user, "completion": said("go away"), "label": False},
    ]
    ranked = {"prompt": user, "completions": [said("x"), said("y"), said("z")], "ranks": [2, 1, 3]}
    report = import_files(
        db, [write_jsonl(tmp_path / "kto.jsonl", kto), write_jsonl(tmp_path / "r.jsonl", [ranked])]
    )
    assert (report.items, report.labels) == (2, 2)
    a, b = iter_items(db)
    assert a.prompt == (Message("user", "Hi?"),)
    assert [r.text for r in a.responses] == ["hello", "go away"]
    assert live_labels(db, a.id)[0].value == BinaryValue((True, False))
    assert [r.text for r in b.responses] == ["x", "y", "z"]
    assert live_labels(db, b.id)[0].value == RankingValue((2, 1, 3))
    bad = [{"prompt": "q", "completions": [user, said("y")]}]
    with pytest.raises(ImportFailed, match=r"bad\.jsonl:1: field 'completions'.*assistant"):
        import_files(db, [write_jsonl(tmp_path / "bad.jsonl", bad)])


def arena_listwise(raw: Path, n: int = 20) -> list[dict[str, Any]]:
    """A ranked-format JSONL built from Arena-Hard: 6 models' answers + GPT-4 scores."""
    base = raw / ARENA
    questions = [json.loads(x) for x in (base / "question.jsonl").read_text().splitlines()][:n]
    answers: dict[str, dict[str, str]] = {}
    scores: dict[str, dict[str, Any]] = {}
    for f in sorted((base / "model_answer").glob("*.jsonl")):
        for line in f.read_text().splitlines():
            a = json.loads(line)
            turn = a["choices"][0]["turns"][0]  # a string here (a {"content"} object elsewhere)
            text = turn["content"] if isinstance(turn, dict) else turn
            answers.setdefault(a["question_id"], {})[f.stem] = text
    for f in sorted((base / "model_judgment").glob("*.jsonl")):
        for line in f.read_text().splitlines():
            j = json.loads(line)
            scores.setdefault(j["question_id"], {})[f.stem] = j["score"]
    out = []
    for q in questions:
        qid = q["question_id"]
        out.append(
            {
                "prompt": q["turns"][0],
                "responses": [
                    {"text": text, "model": model, "score": scores.get(qid, {}).get(model)}
                    for model, text in sorted(answers[qid].items())
                ],
            }
        )
    return out


def test_arena_hard_listwise_scores_are_metadata_by_default(
    db: Any, tmp_path: Path, shared_data: Path
) -> None:
    recs = arena_listwise(shared_data)
    path = write_jsonl(tmp_path / "arena.jsonl", recs)
    report = import_files(db, [path])
    assert (report.items, report.labels, report.max_responses) == (20, 0, 6)
    item = next(iter_items(db))
    assert [r.model for r in item.responses] == [r["model"] for r in recs[0]["responses"]]
    assert [r.text for r in item.responses] == [r["text"] for r in recs[0]["responses"]]
    assert len(item.metadata["scores"]) == 6


def test_ranked_listwise_labels(db: Any, tmp_path: Path, shared_data: Path) -> None:
    recs = [r for r in arena_listwise(shared_data) if all(x["score"] for x in r["responses"])]
    path = write_jsonl(tmp_path / "arena.jsonl", recs[:5])
    report = import_files(db, [path], mapping=FieldMapping(scores_are_labels=True))
    assert report.labels == 5
    item = next(iter_items(db))
    (label,) = live_labels(db, item.id)
    scores = [float(x["score"]) for x in recs[0]["responses"]]
    assert isinstance(label.value, RankingValue)
    best = label.value.order()[0]
    assert all(scores[i] == max(scores) for i in best)
    ranked = {"prompt": "q", "completions": ["x", "y", "z"], "ranks": [2, 1, 2]}
    import_files(db, [write_jsonl(tmp_path / "ranked.jsonl", [ranked])])
    item = list(iter_items(db))[-1]
    assert live_labels(db, item.id)[0].value == RankingValue((2, 1, 2))


def test_alpacaeval_output_pairs(db: Any, shared_data: Path) -> None:
    records = json.loads((shared_data / ALPACA).read_text())
    report = import_files(db, [shared_data / ALPACA])
    assert (report.items, report.labels) == (805, 0)
    item = next(iter_items(db))
    assert item.prompt == records[0]["instruction"]
    assert [r.model for r in item.responses] == ["gpt4_1106_preview", "claude-2.1"]
    assert item.metadata["preference"] == records[0]["preference"]  # AI judge: metadata only


def test_same_records_in_every_format_get_the_same_ids(tmp_path: Path) -> None:
    recs = [
        {"prompt": f"q{i}\nline", "response_a": f"a{i}", "response_b": f"b{i} é"} for i in range(5)
    ]
    jsonl = write_jsonl(tmp_path / "d.jsonl", recs)
    (tmp_path / "d.json").write_text(json.dumps(recs, indent=2))
    with gzip.open(tmp_path / "d.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(jsonl.read_text())
    with (tmp_path / "d.csv").open("w", newline="", encoding="utf-8") as fh:
        import csv

        w = csv.DictWriter(fh, ["prompt", "response_a", "response_b"])
        w.writeheader()
        w.writerows(recs)
    files = ["d.jsonl", "d.json", "d.jsonl.gz", "d.csv"]
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(recs), tmp_path / "d.parquet")
    files.append("d.parquet")
    ids = []
    for name in files:
        database = open_db(tmp_path / f"{name}.db")
        import_files(database, [tmp_path / name])
        ids.append([i.id for i in iter_items(database)])
        database.conn.close()
    assert all(x == ids[0] for x in ids)
    assert len(ids[0]) == 5


def test_field_mapping_and_images(db: Any, tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    Image.new("RGB", (2, 2)).save(tmp_path / "img" / "cat.png")
    rec = {"question": "What is it?", "x": "a cat", "y": "a dog", "images": ["img/cat.png"]}
    mapping = parse_map_options(["prompt=question", "responses=x,y"])
    import_files(db, [write_jsonl(tmp_path / "m.jsonl", [rec])], mapping=mapping)
    (item,) = iter_items(db)
    assert item.prompt == "What is it?"
    assert [r.text for r in item.responses] == ["a cat", "a dog"]
    assert item.images == (str((tmp_path / "img" / "cat.png").resolve()),)
    with pytest.raises(ValueError, match="unknown target"):
        parse_map_options(["promt=question"])


def test_bad_record_rolls_back_everything(db: Any, tmp_path: Path) -> None:
    import_files(
        db, [write_jsonl(tmp_path / "ok.jsonl", [{"prompt": "k", "responses": ["1", "2"]}])]
    )
    recs: list[Any] = [{"prompt": f"p{i}", "responses": ["x", "y"]} for i in range(20)]
    recs[16] = {"prompt": "p", "responses": ["only one"]}
    bad = write_jsonl(tmp_path / "data.jsonl", recs)
    with pytest.raises(ImportFailed) as err:
        import_files(db, [bad], batch_size=4)  # several batches were written before line 17
    assert str(err.value) == (
        f"{bad}:17: field 'responses': expected a list of at least 2 responses"
    )
    assert count_items(db) == 1
    rejects = tmp_path / "rejects.jsonl"
    report = import_files(db, [bad], skip_bad=True, reject_path=rejects)
    assert (report.items, report.rejected) == (19, 1)
    (entry,) = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert (entry["line"], entry["field"], entry["data"]) == (17, "responses", recs[16])


def test_invalid_json_names_line_and_can_be_skipped(db: Any, tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text('{"prompt": "a", "responses": ["1", "2"]}\n\n{"prompt": "b", \n')
    with pytest.raises(ImportFailed, match=r"broken\.jsonl:3: invalid JSON"):
        import_files(db, [path])
    assert count_items(db) == 0
    report = import_files(db, [path], skip_bad=True)
    assert (report.items, report.rejected) == (1, 1)
    arr = tmp_path / "arr.json"
    arr.write_text(
        '[\n {"prompt": "a", "responses": ["1", "2"]},\n {"prompt": 3, "responses": []}\n]'
    )
    with pytest.raises(ImportFailed, match=r"arr\.json:3: field 'prompt': expected text"):
        import_files(db, [arr])


def test_reimport_adds_no_items_or_labels(db: Any, shared_data: Path) -> None:
    first = import_files(db, [shared_data / HH])
    again = import_files(db, [shared_data / HH])
    assert (again.items, again.present, again.labels) == (0, first.items, 0)
    assert again.labels_present == first.labels
    item = next(iter_items(db))
    assert len(live_labels(db, item.id)) == 1
    assert get_item(db, item.id) == item


def test_a_metadata_object_becomes_the_items_metadata(tmp_path: Path) -> None:
    from labeler.importers import import_files
    from labeler.store import iter_items, open_db

    data = tmp_path / "meta.jsonl"
    data.write_text(
        '{"prompt": "p", "response_a": "a", "response_b": "b", '
        '"metadata": {"category": "math", "source": "x"}, "lang": "en"}\n'
    )
    db = open_db(tmp_path / "p.db")
    import_files(db, [data])
    (item,) = iter_items(db)
    assert dict(item.metadata) == {"category": "math", "source": "x", "lang": "en"}
