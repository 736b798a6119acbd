"""The export targets, one registry entry each (no if/elif over names anywhere else).

A target names its row builder, its columns (for Parquet schemas and the dataset card),
and the usage notes the card prints. Every target has a standard and a conversational
variant; ``BuildSpec.conversational`` picks one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from labeler.exporters.fast import lines as fast
from labeler.exporters.formats import llama_factory, openai, trl
from labeler.exporters.formats.example import Example
from labeler.exporters.formats.spec import BuildSpec, Record, extra_columns

Builder = Callable[[Example, BuildSpec], list[Record]]
Columns = Callable[[BuildSpec], list[tuple[str, str]]]
ExtraFiles = Callable[[str, dict[str, str], BuildSpec], dict[str, str]]
FastLines = Callable[[BuildSpec, Callable[[Any], bytes]], fast.LineBuilder | None]


class TargetKind(StrEnum):
    PAIRWISE = "pairwise"
    UNPAIRED = "unpaired"
    RANKED = "ranked"


@dataclass(frozen=True)
class Target:
    name: str
    title: str
    kind: TargetKind
    build: Builder
    base_columns: Columns
    usage: Callable[[BuildSpec], str]
    tags: tuple[str, ...] = ()
    always_bare: bool = False
    jsonl_only: bool = False
    extra_files: ExtraFiles | None = None
    fast_lines: FastLines | None = None
    """An optional pre-encoded JSONL path for the hot case (see ``fast``)."""

    def spec_for(self, spec: BuildSpec) -> BuildSpec:
        return spec._replace(bare=True) if self.always_bare else spec

    def columns(self, spec: BuildSpec) -> list[tuple[str, str]]:
        """Every column of a record, in order, with its type name (see ``writer``)."""
        spec = self.spec_for(spec)
        base = self.base_columns(spec)
        if self.always_bare:
            return base
        return base + extra_columns(spec)


def _trl_usage(trainers: str, note: str = "") -> Callable[[BuildSpec], str]:
    def usage(spec: BuildSpec) -> str:
        fmt = "conversational" if spec.conversational else "standard"
        return (
            f"TRL {fmt} format; train with {trainers}:\n\n"
            "```python\nfrom datasets import load_dataset\n"
            'ds = load_dataset("path/to/this/folder", "{config}")\n```\n' + note
        )

    return usage


def _openai_usage(spec: BuildSpec) -> str:
    return (
        "Upload `data/train.jsonl` (and `data/test.jsonl` as validation data) to OpenAI "
        'fine-tuning with `method={"type": "dpo"}`. Lines carry only the documented keys.\n'
    )


def _llama_factory_usage(spec: BuildSpec) -> str:
    return (
        "Point LLaMA-Factory's `dataset_dir` at this folder and use `dataset: {name}` (and "
        "`eval_dataset: {name}_test`) with `stage: dpo` or `stage: rm`; `dataset_info.json` "
        "registers the files with `ranking: true`.\n"
    )


def _openrlhf_usage(spec: BuildSpec) -> str:
    flags = "--prompt_key prompt --chosen_key chosen --rejected_key rejected"
    if spec.conversational:
        flags += " --apply_chat_template"
    else:
        flags += " --input_template '{}'  # or a template of your model"
    return (
        "OpenRLHF reward-model or DPO training (`openrlhf.cli.train_rm` / `train_dpo`) with "
        f"`--dataset path/to/this/folder` and:\n\n```\n{flags}\n```\n"
        "The optional `margin` column is the reward margin (see below).\n"
    )


_MARGIN_NOTE = (
    "The `margin` column is a reward-model margin: the label's strength (1 = slightly, "
    "2 = much better, rank or rating gaps for lists) for human labels, `4·confidence − 2` "
    "clipped to 0..2 for model labels.\n"
)

TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target(
            "trl-preference",
            "TRL preference (DPO, CPO, ORPO, reward modelling)",
            TargetKind.PAIRWISE,
            trl.preference_records,
            trl.preference_columns,
            _trl_usage(
                "`DPOTrainer`, `CPOTrainer`, `ORPOTrainer` or `RewardTrainer`", _MARGIN_NOTE
            ),
            ("dpo", "preference", "reward-modeling"),
            fast_lines=fast.preference_lines,
        ),
        Target(
            "trl-unpaired",
            "TRL unpaired preference (KTO, BCO)",
            TargetKind.UNPAIRED,
            trl.unpaired_records,
            trl.unpaired_columns,
            _trl_usage("`KTOTrainer` or `BCOTrainer`"),
            ("kto", "unpaired-preference"),
        ),
        Target(
            "ranked",
            "Ranked lists (LiPO-style listwise preference)",
            TargetKind.RANKED,
            trl.ranked_records,
            trl.ranked_columns,
            _trl_usage("a listwise objective (LiPO); `ranks` 1 = best, `scores` higher = better"),
            ("ranking", "listwise-preference"),
        ),
        Target(
            "openai-preference",
            "OpenAI preference fine-tuning (DPO) JSONL",
            TargetKind.PAIRWISE,
            openai.openai_records,
            openai.openai_columns,
            _openai_usage,
            ("dpo", "openai"),
            always_bare=True,
            jsonl_only=True,
        ),
        Target(
            "llama-factory",
            "LLaMA-Factory preference data (ranking: true)",
            TargetKind.PAIRWISE,
            llama_factory.llama_factory_records,
            llama_factory.llama_factory_columns,
            _llama_factory_usage,
            ("dpo", "llama-factory"),
            extra_files=lambda name, files, spec: {
                "dataset_info.json": llama_factory.dataset_info(name, files, spec) + "\n"
            },
        ),
        Target(
            "openrlhf",
            "OpenRLHF preference data (reward model, DPO)",
            TargetKind.PAIRWISE,
            trl.preference_records,
            trl.preference_columns,
            _openrlhf_usage,
            ("dpo", "reward-modeling", "openrlhf"),
            fast_lines=fast.preference_lines,
        ),
    )
}
