"""Row builder for OpenAI preference fine-tuning (DPO) JSONL.

Each line: ``input.messages`` (the prompt as chat messages), ``preferred_output`` and
``non_preferred_output`` (one assistant message each). The standard variant sends the
prompt as a single user message (a chat prompt flattened to text); the conversational one
keeps every turn. Records are always bare: the fine-tuning file format defines no other
keys, so provenance stays in the dataset card's counts.
"""

from __future__ import annotations

from labeler.exporters.formats.example import Example
from labeler.exporters.formats.messages import completion_value, prompt_as_text, prompt_messages
from labeler.exporters.formats.pairs import preference_pairs
from labeler.exporters.formats.spec import BuildSpec, Record


def openai_records(ex: Example, spec: BuildSpec) -> list[Record]:
    """One record per preference pair.

    >>> from labeler.exporters.formats.example import Provenance
    >>> from labeler.types import PairChoice, PairwiseValue
    >>> ex = Example("i", "2+2?", ["4", "5"], [], PairwiseValue(PairChoice.B),
    ...              Provenance("human", "label", "ann", None, None))
    >>> openai_records(ex, BuildSpec())
    [{'input': {'messages': [{'role': 'user', 'content': '2+2?'}]}, 'preferred_output': [{'role': 'assistant', 'content': '5'}], 'non_preferred_output': [{'role': 'assistant', 'content': '4'}]}]
    """  # noqa: E501
    if spec.conversational:
        messages = prompt_messages(ex.prompt)
    else:
        messages = [{"role": "user", "content": prompt_as_text(ex.prompt)}]
    pairs = preference_pairs(
        ex.value, spec.pair_rule, keep_ties=spec.keep_ties, unranked_last=spec.unranked_last
    )
    return [
        {
            "input": {"messages": messages},
            "preferred_output": completion_value(ex.responses[p.chosen], True),
            "non_preferred_output": completion_value(ex.responses[p.rejected], True),
        }
        for p in pairs
    ]


def openai_columns(spec: BuildSpec) -> list[tuple[str, str]]:
    return [
        ("input", "openai_input"),
        ("preferred_output", "messages"),
        ("non_preferred_output", "messages"),
    ]
