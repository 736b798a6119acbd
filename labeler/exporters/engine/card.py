"""The dataset card (``README.md``): YAML ``configs`` and ``dataset_info`` that
``datasets.load_dataset`` reads, then what is in the folder, how it was made and how to
train on it.

``dataset_info.features`` declares every column's type, so ``datasets`` never infers one
from the first rows (a column that is null for thousands of rows would be inferred as
``null`` and fail on the first string).

Routing information comes from the project's meta keys (set by routing):
``routing.strategy``, ``routing.budget`` (share of items sent to people, 0..1),
``routing.estimated_accuracy`` (estimated accuracy of the model-labelled items, 0..1),
``routing.estimated_accuracy_ci`` (JSON ``[low, high]``) and ``routing.audit_size`` (items
behind the estimate); the latest ``routing_runs`` row fills in strategy and budget when
the keys are absent. The card has no timestamps, so the same export gives the same bytes.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

from labeler.exporters.engine.options import ExportOptions, ExportReport
from labeler.exporters.engine.targets import PROVENANCE_DOCS, Target
from labeler.exporters.formats.spec import BuildSpec

ROUTING_KEYS = (
    "routing.strategy",
    "routing.budget",
    "routing.estimated_accuracy",
    "routing.estimated_accuracy_ci",
    "routing.audit_size",
)


@dataclass(frozen=True)
class CardInfo:
    name: str
    license: str
    version: str
    command: str
    routing: dict[str, Any]


def size_category(n: int) -> str:
    """Hugging Face's size bucket.

    >>> size_category(999), size_category(25_000)
    ('n<1K', '10K<n<100K')
    """
    bounds = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
              (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")]  # fmt: skip
    return next((label for bound, label in bounds if n < bound), "10M<n<100M")


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


_MESSAGE = [("role", "string"), ("content", "string")]
_TURN = [("from", "string"), ("value", "string")]
_SCALARS = {"string": "string", "float": "float64", "bool": "bool"}
_LISTS = {"strings": "string", "ints": "int64", "floats": "float64"}


def _struct(fields: list[tuple[str, str]], indent: str) -> list[str]:
    return [f"{indent}- name: {n}\n{indent}  dtype: {t}" for n, t in fields]


def feature_yaml(name: str, kind: str) -> list[str]:
    """One column's ``features`` entry (the YAML ``datasets`` reads), as lines.

    >>> feature_yaml("ranks", "ints")
    ['  - name: ranks', '    list: int64']
    """
    head = f"  - name: {name}"
    if kind in _SCALARS:
        return [head, f"    dtype: {_SCALARS[kind]}"]
    if kind in _LISTS:
        return [head, f"    list: {_LISTS[kind]}"]
    nested = {
        "messages": ["    list:", *_struct(_MESSAGE, "    ")],
        "list_messages": ["    list:", "      list:", *_struct(_MESSAGE, "      ")],
        "openai_input": [
            "    struct:",
            "    - name: messages",
            "      list:",
            *_struct(_MESSAGE, "      "),
        ],
        "sharegpt": ["    list:", *_struct(_TURN, "    ")],
        "sharegpt_turn": ["    struct:", *_struct(_TURN, "    ")],
    }
    return [head, *nested[kind]]


def front_matter(
    target: Target, report: ExportReport, info: CardInfo, columns: list[tuple[str, str]]
) -> str:
    lines = [
        "---",
        f"license: {_q(info.license)}",
        f"pretty_name: {_q(info.name)}",
        "tags:",
        *(f"- {_q(t)}" for t in ("prefmark", *target.tags)),
        "size_categories:",
        f"- {_q(size_category(report.records))}",
        "configs:",
        f"- config_name: {_q(target.name)}",
        "  default: true",
        "  data_files:",
    ]
    for f in report.files:
        lines += [f"  - split: {f.split}", f"    path: {_q(f.path)}"]
    lines += ["dataset_info:", f"- config_name: {_q(target.name)}", "  features:"]
    for name, kind in columns:
        lines += feature_yaml(name, kind)
    return "\n".join([*lines, "---", ""])


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def md_text(text: str) -> str:
    """``text`` as Markdown that shows it literally: on one line, no markup, no raw HTML.

    Names and licences come from the person exporting or from project data; in the card they
    must not add headings, links, images or HTML.
    """
    one_line = " ".join(text.split())
    return _MD_SPECIAL.sub(r"\\\1", html.escape(one_line, quote=False))


def md_code(text: str) -> str:
    """``text`` as an inline code span, fenced by more backticks than it holds in a row."""
    one_line = " ".join(text.split())
    fence = "`" * (max((len(r) for r in re.findall("`+", one_line)), default=0) + 1)
    pad = " " if one_line.startswith("`") or one_line.endswith("`") else ""
    return f"{fence}{pad}{one_line}{pad}{fence}"


def md_block(text: str) -> str:
    """``text`` as a fenced code block that nothing in it can close."""
    fence = "`" * max(3, max((len(r) for r in re.findall("`+", text)), default=0) + 1)
    return f"{fence}\n{text}\n{fence}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def _routing(info: CardInfo) -> str:
    r = info.routing
    if not r:
        return "No routing was recorded for this project: every label is as its source made it."
    parts = []
    if "strategy" in r:
        parts.append(f"strategy `{r['strategy']}`")
    if "budget" in r:
        parts.append(f"human budget {r['budget']}")
    if "ai_source" in r:
        parts.append(f"AI labels from `{r['ai_source']}`")
    text = "Routing: " + (", ".join(parts) or "recorded") + "."
    if "estimated_accuracy" in r:
        text += f" Estimated accuracy of the model-made labels: {r['estimated_accuracy']}"
        if "estimated_accuracy_ci" in r:
            text += f" (interval {r['estimated_accuracy_ci']})"
        if "audit_size" in r:
            text += f", from {r['audit_size']} audited items"
        text += "."
    if "finished_accuracy" in r:
        text += f" Estimated accuracy of the whole data set: {r['finished_accuracy']}"
        if "finished_accuracy_ci" in r:
            text += f" (interval {r['finished_accuracy_ci']})"
        text += "."
    return text


_IMAGES_NOTE = (
    "Vision items keep their images in `images`: files as paths relative to this folder, "
    "URLs as stored."
)


def render_card(
    target: Target, spec: BuildSpec, options: ExportOptions, report: ExportReport, info: CardInfo
) -> str:
    fmt = "conversational" if spec.conversational else "standard"
    sources = sorted({s for counts in report.by_source.values() for s in counts})
    files = _table(
        ["split", "records", "file", "bytes"],
        [[f.split, f"{f.records:,}", md_code(f.path), f"{f.bytes:,}"] for f in report.files],
    )
    by_source = _table(
        ["split", *sources],
        [
            [f.split, *(f"{report.by_source.get(f.split, {}).get(s, 0):,}" for s in sources)]
            for f in report.files
        ],
    )
    docs = target.column_docs | PROVENANCE_DOCS
    column_types = target.columns(spec)
    columns = _table(
        ["column", "type", "what it does in training"],
        [[f"`{n}`", t, docs.get(n, "")] for n, t in column_types],
    )
    dropped = ", ".join(f"{n:,} {k}" for k, n in sorted(report.dropped.items())) or "none"
    sel = options
    filters = [
        f"label source: {sel.source.value}",
        f"annotators: {', '.join(sel.annotators) or 'any'}",
        f"minimum model confidence: {sel.min_confidence if sel.min_confidence is not None else 'none'}",  # noqa: E501
        f"routes: {', '.join(sel.routes) or 'any'}",
        f"tags: {', '.join(sel.tags) or 'any'}",
        f"ties and both-bad: {'kept' if sel.keep_ties else 'left out'}",
        f"conflicting human labels: {sel.conflicts}",
        f"ranking to pairs: {sel.pairs.value}",
        f"test split: {sel.test_size} of prompts by a hash seeded with {sel.seed}"
        " (no prompt is in both splits)",
    ]
    in_code = " ".join(info.name.replace("`", "").split())  # the usage puts it in code spans
    usage = target.usage(spec).replace("{config}", target.name).replace("{name}", in_code)
    provenance = (
        "Records are bare (no provenance columns)."
        if spec.bare or target.always_bare
        else "Provenance on every record: `item_id`, `label_source` (human, imported, model), "
        "`label_action` (label, accept, override), `annotator` (person or model id), "
        "`annotators` (all whose labels were combined), `model_version`, `confidence`."
        + (
            " A person's `confidence` is the Dawid-Skene probability that the label's verdict "
            "is right, given every annotator's and AI source's labels of the item and their "
            "estimated reliability; a model label's is the model's own."
            if sel.conflicts == "dawid-skene"
            else ""
        )
    )
    body = f"""
# {md_text(info.name)}: {target.title}

Exported by prefmark {info.version} ({fmt} variant, {report.file_format}) with:

{md_block(info.command)}

## Files

{files}

Records by label source:

{by_source}

Items: {report.items_scanned:,} scanned, {report.items_labelled:,} with a label (a model's or \
judge's included), {report.items_exported:,} exported; {report.conflicts:,} with conflicting \
human labels; \
{report.normalised:,} chats with turns of one role in a row, merged to alternate. \
Left out: {dropped}.

## Format

{columns}

{provenance}
{_IMAGES_NOTE if spec.images else ""}

## Usage

{usage}
## Selection

{chr(10).join(f"- {f}" for f in filters)}

## Routing

{_routing(info)}

## Licence

{md_code(info.license)}. The prompts and responses keep the terms of the data they came from.
"""
    return front_matter(target, report, info, column_types) + body
