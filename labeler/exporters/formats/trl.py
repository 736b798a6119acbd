"""Row builders for TRL's documented dataset types: preference, unpaired preference, ranked.

Preference (DPO, CPO, ORPO, RewardTrainer): ``prompt``, ``chosen``, ``rejected``, and when
asked a float ``margin`` (see ``pairs.margin``). Unpaired preference (KTO): ``prompt``,
``completion`` and a bool ``label`` (rule in ``unpair``). Ranked lists (LiPO-style):
``prompt``, ``completions``, ``ranks``, ``scores``. Each comes standard (HH-style text, see
``messages``) or conversational (message lists); vision items add ``images``.
"""

from __future__ import annotations

from labeler.exporters.formats.example import Example, Provenance
from labeler.exporters.formats.listwise import is_ordered, ranks_and_scores
from labeler.exporters.formats.messages import chat, completion_value, prompt_value
from labeler.exporters.formats.pairs import margin, preference_pairs
from labeler.exporters.formats.spec import BuildSpec, Record, add_extras
from labeler.exporters.formats.unpair import desirability
from labeler.types import PairChoice, PairwiseValue


def _example(value: PairwiseValue | None = None) -> Example:
    """A two-response example for the docstrings below."""
    return Example(
        "item1",
        "2+2?",
        ["4", "5"],
        [],
        value or PairwiseValue(PairChoice.A, 2),
        Provenance("human", "label", "ann", None, None),
    )


def preference_records(ex: Example, spec: BuildSpec) -> list[Record]:
    """One ``prompt/chosen/rejected`` record per preference pair of the label.

    >>> preference_records(_example(), BuildSpec(bare=True))
    [{'prompt': '\\n\\nHuman: 2+2?\\n\\nAssistant:', 'chosen': ' 4', 'rejected': ' 5'}]
    >>> preference_records(_example(), BuildSpec(conversational=True))[0]["chosen"]
    [{'role': 'assistant', 'content': '4'}]
    >>> preference_records(_example(), BuildSpec(margin=True))[0]["margin"]
    2.0
    """
    conv = spec.conversational
    c = chat(ex.prompt)
    prompt = prompt_value(c, conv)
    out = []
    src = ex.provenance.label_source
    pairs = preference_pairs(
        ex.value, spec.pair_rule, keep_ties=spec.keep_ties, unranked_last=spec.unranked_last
    )
    for pair in pairs:
        record: Record = {
            "prompt": prompt,
            "chosen": completion_value(ex.responses[pair.chosen], conv, c.carry),
            "rejected": completion_value(ex.responses[pair.rejected], conv, c.carry),
        }
        if spec.margin:
            record["margin"] = margin(pair, src)
        out.append(add_extras(record, ex, spec))
    return out


def preference_columns(spec: BuildSpec) -> list[tuple[str, str]]:
    text = "messages" if spec.conversational else "string"
    cols = [("prompt", text), ("chosen", text), ("rejected", text)]
    return cols + ([("margin", "float")] if spec.margin else [])


def unpaired_records(ex: Example, spec: BuildSpec) -> list[Record]:
    """One ``prompt/completion/label`` record per response with a verdict.

    >>> [r["label"] for r in unpaired_records(_example(), BuildSpec(bare=True))]
    [True, False]
    >>> unpaired_records(_example(PairwiseValue(PairChoice.TIE)), BuildSpec())
    []
    """
    conv = spec.conversational
    c = chat(ex.prompt)
    prompt = prompt_value(c, conv)
    verdicts = desirability(ex.value, keep_ties=spec.keep_ties, unranked_last=spec.unranked_last)
    if ex.support is not None:
        verdicts = [(i, good) for i, good in verdicts if not good or i in ex.support]
    return [
        add_extras(
            {
                "prompt": prompt,
                "completion": completion_value(ex.responses[i], conv, c.carry),
                "label": good,
            },
            ex,
            spec,
        )
        for i, good in verdicts
    ]


def unpaired_columns(spec: BuildSpec) -> list[tuple[str, str]]:
    text = "messages" if spec.conversational else "string"
    return [("prompt", text), ("completion", text), ("label", "bool")]


def ranked_records(ex: Example, spec: BuildSpec) -> list[Record]:
    """One record per item: every response with its rank and score, in stored order.

    ``scores`` are the item's imported scores (say a judge's) when it has them, else the
    levels the label implies. A label that orders nothing (a tie) gives no record unless
    ``keep_ties``.

    >>> ranked_records(_example(), BuildSpec(bare=True, conversational=True))[0]["scores"]
    [1.0, 0.0]
    >>> ranked_records(_example()._replace(scores=[7.5, 3.0]), BuildSpec())[0]["scores"]
    [7.5, 3.0]
    """
    ranks, scores = ranks_and_scores(ex.value)
    if not spec.keep_ties and not is_ordered(ranks):
        return []
    if ex.scores is not None:
        scores = ex.scores
    conv = spec.conversational
    c = chat(ex.prompt)
    record: Record = {
        "prompt": prompt_value(c, conv),
        "completions": [completion_value(text, conv, c.carry) for text in ex.responses],
        "ranks": ranks,
        "scores": scores,
    }
    return [add_extras(record, ex, spec)]


def ranked_columns(spec: BuildSpec) -> list[tuple[str, str]]:
    text = "messages" if spec.conversational else "string"
    many = "list_messages" if spec.conversational else "strings"
    return [("prompt", text), ("completions", many), ("ranks", "ints"), ("scores", "floats")]
