"""Row builder for OpenAI preference fine-tuning (DPO) JSONL.

Each line: ``input.messages`` (the prompt as chat messages), ``preferred_output`` and
``non_preferred_output`` (one assistant message each). The standard variant sends the
prompt as a single user message (a chat prompt flattened to text); the conversational one
keeps every turn. Records are always bare: the fine-tuning file format defines no other
keys, so provenance stays in the dataset card's counts. OpenAI refuses a file with an empty
assistant message, so a pair with an empty (or blank) reply is left out; ``empty_replies``
counts those for the report.
"""

from __future__ import annotations

from labeler.exporters.formats.example import Example
from labeler.exporters.formats.messages import chat, completion_value, prompt_as_text
from labeler.exporters.formats.pairs import Pair, preference_pairs
from labeler.exporters.formats.spec import BuildSpec, Record


def openai_records(ex: Example, spec: BuildSpec) -> list[Record]:
    """One record per preference pair.

    >>> from labeler.exporters.formats.example import Provenance
    >>> from labeler.types import PairChoice, PairwiseValue
    >>> ex = Example("i", "2+2?", ["4", "5"], [], PairwiseValue(PairChoice.B),
    ...              Provenance("human", "label", "ann", None, None))
    >>> openai_records(ex, BuildSpec())
    [{'input': {'messages': [{'role': 'user', 'content': '2+2?'}]}, 'preferred_output': [{'role': 'assistant', 'content': '5'}], 'non_preferred_output': [{'role': 'assistant', 'content': '4'}]}]
    >>> openai_records(ex._replace(responses=["4", " "]), BuildSpec())
    []
    """  # noqa: E501
    c = chat(ex.prompt)
    if spec.conversational:
        messages = c.messages
    else:
        messages = [{"role": "user", "content": prompt_as_text(c)}]
    return [
        {
            "input": {"messages": messages},
            "preferred_output": completion_value(ex.responses[p.chosen], True, c.carry),
            "non_preferred_output": completion_value(ex.responses[p.rejected], True, c.carry),
        }
        for p in _pairs(ex, spec)
        if not _empty_pair(ex, p)
    ]


def _pairs(ex: Example, spec: BuildSpec) -> list[Pair]:
    return preference_pairs(
        ex.value, spec.pair_rule, keep_ties=spec.keep_ties, unranked_last=spec.unranked_last
    )


def _empty_pair(ex: Example, p: Pair) -> bool:
    return not ex.responses[p.chosen].strip() or not ex.responses[p.rejected].strip()


def empty_replies(ex: Example, spec: BuildSpec) -> int:
    """How many of the example's pairs ``openai_records`` leaves out for an empty reply."""
    return sum(_empty_pair(ex, p) for p in _pairs(ex, spec))


def openai_columns(spec: BuildSpec) -> list[tuple[str, str]]:
    return [
        ("input", "openai_input"),
        ("preferred_output", "messages"),
        ("non_preferred_output", "messages"),
    ]
