"""Row builders and ``dataset_info.json`` for LLaMA-Factory preference ("ranking") data.

Standard variant: the alpaca layout (``instruction``, ``input``, ``chosen``, ``rejected``).
Conversational: the sharegpt layout (``conversations`` as ``{"from", "value"}`` turns with
``human``/``gpt`` roles, ``chosen``/``rejected`` as one ``gpt`` turn, a leading system
message in ``system``). ``dataset_info.json`` registers each split with ``ranking: true``.
"""

from __future__ import annotations

import json

from labeler.exporters.formats.example import Example
from labeler.exporters.formats.messages import chat, prompt_as_text, with_carry
from labeler.exporters.formats.pairs import preference_pairs
from labeler.exporters.formats.spec import BuildSpec, Record, add_extras

_ROLE = {"user": "human", "assistant": "gpt", "tool": "observation", "function": "observation"}


def sharegpt_turns(messages: list[dict[str, str]]) -> tuple[str, list[dict[str, str]]]:
    """(system prompt, turns) in sharegpt's ``from``/``value`` form.

    >>> sharegpt_turns([{"role": "system", "content": "Be brief."},
    ...                 {"role": "user", "content": "Hi"}])
    ('Be brief.', [{'from': 'human', 'value': 'Hi'}])
    """
    system = ""
    if messages and messages[0]["role"] == "system":
        system, messages = messages[0]["content"], messages[1:]
    turns = [{"from": _ROLE.get(m["role"], "human"), "value": m["content"]} for m in messages]
    return system, turns


def llama_factory_records(ex: Example, spec: BuildSpec) -> list[Record]:
    """One record per preference pair.

    >>> from labeler.exporters.formats.example import Provenance
    >>> from labeler.types import PairChoice, PairwiseValue
    >>> ex = Example("i", "2+2?", ["4", "5"], [], PairwiseValue(PairChoice.A),
    ...              Provenance("human", "label", "ann", None, None))
    >>> llama_factory_records(ex, BuildSpec(bare=True))
    [{'instruction': '2+2?', 'input': '', 'chosen': '4', 'rejected': '5'}]
    >>> llama_factory_records(ex, BuildSpec(bare=True, conversational=True))[0]["chosen"]
    {'from': 'gpt', 'value': '4'}
    """
    pairs = preference_pairs(
        ex.value, spec.pair_rule, keep_ties=spec.keep_ties, unranked_last=spec.unranked_last
    )
    out = []
    c = chat(ex.prompt)
    if spec.conversational:
        system, turns = sharegpt_turns(c.messages)
        for p in pairs:
            record: Record = {
                "conversations": turns,
                "chosen": {"from": "gpt", "value": with_carry(ex.responses[p.chosen], c.carry)},
                "rejected": {
                    "from": "gpt",
                    "value": with_carry(ex.responses[p.rejected], c.carry),
                },
                "system": system,
            }
            out.append(add_extras(record, ex, spec))
    else:
        text = prompt_as_text(c)
        for p in pairs:
            record = {
                "instruction": text,
                "input": "",
                "chosen": with_carry(ex.responses[p.chosen], c.carry),
                "rejected": with_carry(ex.responses[p.rejected], c.carry),
            }
            out.append(add_extras(record, ex, spec))
    return out


def llama_factory_columns(spec: BuildSpec) -> list[tuple[str, str]]:
    if spec.conversational:
        return [
            ("conversations", "sharegpt"),
            ("chosen", "sharegpt_turn"),
            ("rejected", "sharegpt_turn"),
            ("system", "string"),
        ]
    return [("instruction", "string"), ("input", "string"), ("chosen", "string"),
            ("rejected", "string")]  # fmt: skip


def dataset_info(name: str, files: dict[str, str], spec: BuildSpec) -> str:
    """``dataset_info.json`` naming one dataset per split (``NAME`` and ``NAME_test``).

    >>> print(dataset_info("prefs", {"train": "data/train.jsonl"}, BuildSpec()))
    {
      "prefs": {
        "file_name": "data/train.jsonl",
        "ranking": true,
        "formatting": "alpaca",
        "columns": {
          "prompt": "instruction",
          "query": "input",
          "chosen": "chosen",
          "rejected": "rejected"
        }
      }
    }
    """
    columns: dict[str, str]
    if spec.conversational:
        columns = {"messages": "conversations", "chosen": "chosen", "rejected": "rejected",
                   "system": "system"}  # fmt: skip
    else:
        columns = {"prompt": "instruction", "query": "input", "chosen": "chosen",
                   "rejected": "rejected"}  # fmt: skip
    if spec.images:
        columns["images"] = "images"
    entries = {}
    for split, path in files.items():
        entry: dict[str, object] = {
            "file_name": path,
            "ranking": True,
            "formatting": "sharegpt" if spec.conversational else "alpaca",
            "columns": columns,
        }
        if spec.conversational:
            entry["tags"] = {"role_tag": "from", "content_tag": "value", "user_tag": "human",
                             "assistant_tag": "gpt", "observation_tag": "observation"}  # fmt: skip
        entries[name if split == "train" else f"{name}_{split}"] = entry
    return json.dumps(entries, indent=2, ensure_ascii=False)
