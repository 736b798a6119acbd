"""Row builders for TRL's documented dataset types: preference, unpaired preference, ranked.

Preference (DPO, CPO, ORPO, RewardTrainer): ``prompt``, ``chosen``, ``rejected`` and a
float ``margin`` (see ``pairs.margin``). Unpaired preference (KTO, BCO): ``prompt``,
``completion`` and a bool ``label`` (rule in ``unpair``). Ranked lists (LiPO-style):
``prompt``, ``completions``, ``ranks``, ``scores``. Each comes standard (strings) or
conversational (message lists); vision items add ``images``.
"""

from __future__ import annotations

from labeler.exporters.formats.example import Example, Provenance
from labeler.exporters.formats.listwise import is_ordered, ranks_and_scores
from labeler.exporters.formats.messages import completion_value, prompt_value
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
    [{'prompt': '2+2?', 'chosen': '4', 'rejected': '5'}]
    >>> preference_records(_example(), BuildSpec(conversational=True))[0]["chosen"]
    [{'role': 'assistant', 'content': '4'}]
    >>> preference_records(_example(), BuildSpec())[0]["margin"]
    2.0
    """
    conv = spec.conversational
    prompt = prompt_value(ex.prompt, conv)
    out = []
    src, conf = ex.provenance.label_source, ex.provenance.confidence
    pairs = preference_pairs(
        ex.value, spec.pair_rule, keep_ties=spec.keep_ties, unranked_last=spec.unranked_last
    )
    for pair in pairs:
        record: Record = {
            "prompt": prompt,
            "chosen": completion_value(ex.responses[pair.chosen], conv),
            "rejected": completion_value(ex.responses[pair.rejected], conv),
        }
        if not spec.bare:
            record["margin"] = margin(pair, src, conf)
        out.append(add_extras(record, ex, spec))
    return out


def preference_columns(spec: BuildSpec) -> list[tuple[str, str]]:
    text = "messages" if spec.conversational else "string"
    cols = [("prompt", text), ("chosen", text), ("rejected", text)]
    return cols + ([] if spec.bare else [("margin", "float")])


def unpaired_records(ex: Example, spec: BuildSpec) -> list[Record]:
    """One ``prompt/completion/label`` record per response with a verdict.

    >>> [r["label"] for r in unpaired_records(_example(), BuildSpec(bare=True))]
    [True, False]
    >>> unpaired_records(_example(PairwiseValue(PairChoice.TIE)), BuildSpec())
    []
    """
    conv = spec.conversational
    prompt = prompt_value(ex.prompt, conv)
    verdicts = desirability(ex.value, keep_ties=spec.keep_ties, unranked_last=spec.unranked_last)
    if ex.support is not None:
        verdicts = [(i, good) for i, good in verdicts if not good or i in ex.support]
    return [
        add_extras(
            {
                "prompt": prompt,
                "completion": completion_value(ex.responses[i], conv),
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

    A label that orders nothing (a tie) gives no record unless ``keep_ties``.

    >>> ranked_records(_example(), BuildSpec(bare=True))
    [{'prompt': '2+2?', 'completions': ['4', '5'], 'ranks': [1, 2], 'scores': [1.0, 0.0]}]
    """
    ranks, scores = ranks_and_scores(ex.value)
    if not spec.keep_ties and not is_ordered(ranks):
        return []
    conv = spec.conversational
    record: Record = {
        "prompt": prompt_value(ex.prompt, conv),
        "completions": [completion_value(text, conv) for text in ex.responses],
        "ranks": ranks,
        "scores": scores,
    }
    return [add_extras(record, ex, spec)]


def ranked_columns(spec: BuildSpec) -> list[tuple[str, str]]:
    text = "messages" if spec.conversational else "string"
    many = "list_messages" if spec.conversational else "strings"
    return [("prompt", text), ("completions", many), ("ranks", "ints"), ("scores", "floats")]
