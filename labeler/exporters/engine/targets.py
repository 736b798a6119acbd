"""The export targets, one registry entry each (no if/elif over names anywhere else).

A target names its row builder, its columns (for Parquet schemas and the dataset card),
and the usage notes the card prints. Every target has a standard and a conversational
variant; ``BuildSpec.conversational`` picks one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
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
Skipped = Callable[[Example, BuildSpec], int]


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
    column_docs: dict[str, str] = field(default_factory=dict)
    """What each of the format's own columns does in the trainers that read it."""
    shuffled: bool = False
    """Records are written in a seeded shuffled order (``shuffle``), not item by item."""
    skipped: Skipped | None = None
    """How many of an example's records the builder leaves out, counted as ``skipped_reason``."""
    skipped_reason: str = ""

    def spec_for(self, spec: BuildSpec) -> BuildSpec:
        return spec._replace(bare=True) if self.always_bare else spec

    def columns(self, spec: BuildSpec) -> list[tuple[str, str]]:
        """Every column of a record, in order, with its type name (see ``writer``)."""
        spec = self.spec_for(spec)
        base = self.base_columns(spec)
        if self.always_bare:
            return base
        return base + extra_columns(spec)


def _load(config: str = "{config}") -> str:
    return (
        "```python\nfrom datasets import load_dataset\n"
        f'ds = load_dataset("path/to/this/folder", "{config}")\n```\n'
    )


def _text_note(spec: BuildSpec) -> str:
    if spec.conversational:
        return (
            "Conversational: every prompt alternates user and assistant turns and ends on a "
            "user turn (turns of one role in a row were merged, texts kept), so strict chat "
            "templates accept it; the trainer applies the model's chat template.\n"
        )
    return (
        "Standard: text in the Anthropic HH convention, because trainers join prompt and "
        "completion as they are: the prompt is `\\n\\nHuman: ...` turns and ends with "
        "`\\n\\nAssistant:`, and each completion starts with a space (a chat is flattened into "
        "the same turns).\n"
    )


def _margin_note(spec: BuildSpec) -> str:
    if spec.margin:
        return (
            "`margin` (asked for with `--margin`): RewardTrainer subtracts it inside its loss, "
            "`-logsigmoid(r_chosen - r_rejected - margin)`, so a pair people called much "
            "better must be separated by a wider reward gap. Only stated strengths count; 0 "
            "is the plain loss. DPO, CPO and ORPO ignore it.\n"
        )
    return (
        "No `margin` column, so RewardTrainer uses its plain loss; `--margin` adds the "
        "strengths people stated as margins.\n"
    )


def _trl_usage(trainers: str, note: str = "", margin: bool = False) -> Callable[[BuildSpec], str]:
    def usage(spec: BuildSpec) -> str:
        fmt = "conversational" if spec.conversational else "standard"
        notes = [n for n in (note, _margin_note(spec) if margin else "") if n]
        return (
            f"TRL {fmt} format; train with {trainers}:\n\n"
            + _load()
            + "\n"
            + _text_note(spec)
            + "".join("\n" + n for n in notes)
        )

    return usage


def _openai_usage(spec: BuildSpec) -> str:
    return (
        "Upload `data/train.jsonl` (and `data/test.jsonl` as validation data) to OpenAI "
        'fine-tuning with `method={"type": "dpo"}`. Lines carry only the documented keys. '
        "Pairs with an empty reply are left out (OpenAI refuses them) and counted above.\n"
    )


def _llama_factory_usage(spec: BuildSpec) -> str:
    return (
        "Point LLaMA-Factory's `dataset_dir` at this folder and use `dataset: {name}` (and "
        "`eval_dataset: {name}_test`) with `stage: dpo` or `stage: rm`; `dataset_info.json` "
        "registers the files with `ranking: true`.\n"
    )


def _openrlhf_usage(spec: BuildSpec) -> str:
    """OpenRLHF 0.10.2 and later name their data options ``--data.*``."""
    flags = "--data.prompt_key prompt --data.chosen_key chosen --data.rejected_key rejected"
    if spec.conversational:
        flags += " --data.apply_chat_template"
    text = (
        "OpenRLHF (0.10.2 or later) reward-model or DPO training (`openrlhf.cli.train_rm` / "
        "`openrlhf.cli.train_dpo`) with `--data.dataset path/to/this/folder` and:\n\n"
        f"```\n{flags}\n```\n"
    )
    if not spec.conversational:
        text += (
            "The prompts already end in the HH separator `\\n\\nAssistant:`, so no "
            "`--data.input_template` is needed.\n"
        )
    if spec.margin:
        text += "`train_rm` reads the `margin` column with `--model.margin_loss_enable`.\n"
    return text


_KTO_NOTE = (
    "Records are in a seeded shuffled order (the same for the same project and seed), not "
    "item by item. KTOTrainer estimates the KL term from mismatched pairs that it builds by "
    "rotating the completions by one within each batch of `per_device_train_batch_size` "
    "records, in file order, and it trains in file order (`train_sampling_strategy` "
    "`sequential`), so an item's desirable and undesirable completions side by side would "
    "mostly pair a completion with its own prompt. Keep the order (do not sort or group the "
    "rows) and use a per-device batch size of at least 2.\n"
)

_PROMPT = "The conversation so far; every trainer conditions on it and does not train on it."
_PAIR_DOCS = {
    "prompt": _PROMPT,
    "chosen": "The preferred response: DPO, CPO and ORPO raise its likelihood against "
    "`rejected` (ORPO and CPO also train on it as SFT); RewardTrainer scores it higher.",
    "rejected": "The response people liked less: its likelihood (or reward) is pushed down "
    "relative to `chosen`.",
    "margin": "RewardTrainer only (DPO, CPO and ORPO ignore it): subtracted inside the loss, "
    "`-logsigmoid(r_chosen - r_rejected - margin)`, so the reward gap must exceed it. The "
    "strength a person stated (1 slightly, 2 much better); 0 (the plain loss) for every "
    "other pair. Written only when asked for.",
}
_UNPAIRED_DOCS = {
    "prompt": _PROMPT,
    "completion": "One response; KTOTrainer computes its implied reward and, rotated within "
    "the batch, the KL reference point.",
    "label": "`true`: desirable (KTO raises its reward above the reference point, weighted "
    "by `desirable_weight`); `false`: undesirable (pushed below, `undesirable_weight`).",
}
_RANKED_DOCS = {
    "prompt": _PROMPT,
    "completions": "Every response of the item, in stored order.",
    "ranks": "Rank per completion, 1 = best, ties share a rank, null = unranked: what a "
    "listwise loss (LiPO) orders by.",
    "scores": "Score per completion, higher = better: the item's imported scores (say an AI "
    "judge's) when it has them, else levels from the label (the rating, 1/0 for thumbs and "
    "pairwise, ranked responses below for rankings). LiPO-style losses weight pairs by it.",
}
_OPENAI_DOCS = {
    "input": "`messages`: the prompt as chat messages; the model is conditioned on them.",
    "preferred_output": "One assistant message whose likelihood DPO raises.",
    "non_preferred_output": "One assistant message whose likelihood DPO lowers.",
}
_LF_DOCS = {
    "instruction": "The prompt (`prompt` in `dataset_info.json`): the user turn.",
    "input": "Always empty (`query`): appended to the instruction by LLaMA-Factory.",
    "conversations": "The prompt turns (`messages`), `human`/`gpt`, ending on `human`.",
    "system": "The system message, if any.",
    "chosen": "The preferred response (`stage: dpo` raises its likelihood; `stage: rm` "
    "scores it higher).",
    "rejected": "The response people liked less.",
}
PROVENANCE_DOCS = {
    "images": "Image paths or URLs of a vision item, as stored; vision trainers load them.",
    "item_id": "Not used for training: the project's item, for tracing a record back.",
    "label_source": "Not used for training: `human`, `imported` or `model`.",
    "label_action": "Not used for training: `label`, `accept` or `override` (a review).",
    "annotator": "Not used for training: who made the label that counts.",
    "annotators": "Not used for training: everyone whose labels were combined into it (the "
    "voters of a majority vote, or people who agreed).",
    "model_version": "Not used for training: the model version of a model label.",
    "confidence": "Not used for training: a model label's confidence.",
}
"""What the shared columns (``spec.extra_columns``) are for."""

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
                "`DPOTrainer`, `CPOTrainer`, `ORPOTrainer` or `RewardTrainer`", margin=True
            ),
            ("dpo", "preference", "reward-modeling"),
            fast_lines=fast.preference_lines,
            column_docs=_PAIR_DOCS,
        ),
        Target(
            "trl-unpaired",
            "TRL unpaired preference (KTO)",
            TargetKind.UNPAIRED,
            trl.unpaired_records,
            trl.unpaired_columns,
            _trl_usage("`KTOTrainer`", _KTO_NOTE),
            ("kto", "unpaired-preference"),
            column_docs=_UNPAIRED_DOCS,
            shuffled=True,
        ),
        Target(
            "ranked",
            "Ranked lists (LiPO-style listwise preference)",
            TargetKind.RANKED,
            trl.ranked_records,
            trl.ranked_columns,
            _trl_usage("a listwise objective (LiPO); `ranks` 1 = best, `scores` higher = better"),
            ("ranking", "listwise-preference"),
            column_docs=_RANKED_DOCS,
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
            column_docs=_OPENAI_DOCS,
            skipped=openai.empty_replies,
            skipped_reason="pairs with an empty reply (OpenAI refuses them)",
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
            column_docs=_LF_DOCS,
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
            column_docs=_PAIR_DOCS,
        ),
    )
}
