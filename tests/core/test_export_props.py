"""Properties of the pure row builders, the fast path's equality with the general one, and
the runnable examples in the exporters' docstrings."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from labeler.exporters.engine.decode import to_example
from labeler.exporters.engine.writer import encode_record
from labeler.exporters.fast.lines import preference_lines
from labeler.exporters.formats.example import Example, Provenance
from labeler.exporters.formats.messages import is_normal
from labeler.exporters.formats.pairs import PairRule, preference_pairs, ranking_to_pairs
from labeler.exporters.formats.spec import BuildSpec
from labeler.exporters.formats.trl import preference_records, unpaired_records
from labeler.store.items import item_to_row
from labeler.store.resolved import ExportRow, LabelRow
from labeler.types import Item, Message, PairChoice, PairwiseValue, RankingValue, Response

PROV = Provenance("human", "label", "ann", None, None)
texts = st.text(min_size=0, max_size=30)


@given(st.lists(st.tuples(texts, texts, texts, st.booleans()), min_size=0, max_size=30))
def test_unpairing_n_preference_rows_gives_2n_rows_with_n_true(
    rows: list[tuple[str, str, str, bool]],
) -> None:
    out = []
    for prompt, a, b, a_wins in rows:
        value = PairwiseValue(PairChoice.A if a_wins else PairChoice.B)
        out += unpaired_records(Example("i", prompt, [a, b], [], value, PROV), BuildSpec())
    assert len(out) == 2 * len(rows)
    assert sum(r["label"] is True for r in out) == len(rows)
    assert all(isinstance(r["label"], bool) for r in out)


@given(st.integers(2, 9).flatmap(lambda k: st.permutations(list(range(1, k + 1)))))
def test_all_pairs_of_a_full_ranking(ranks: list[int]) -> None:
    k = len(ranks)
    pairs = preference_pairs(RankingValue(tuple(ranks)), PairRule.ALL)
    assert len(pairs) == k * (k - 1) // 2
    assert all(ranks[p.chosen] < ranks[p.rejected] for p in pairs)
    assert len({(p.chosen, p.rejected) for p in pairs}) == len(pairs)


@given(
    st.lists(st.lists(st.integers(0, 20), min_size=1, max_size=3), min_size=0, max_size=6),
    st.sampled_from(list(PairRule)),
)
def test_reductions_never_pair_within_a_group_and_put_the_better_first(
    raw: list[list[int]], rule: PairRule
) -> None:
    seen: set[int] = set()
    groups = []
    for g in raw:  # disjoint groups of indices
        g = [i for i in dict.fromkeys(g) if i not in seen]
        seen |= set(g)
        if g:
            groups.append(g)
    level = {i: n for n, g in enumerate(groups) for i in g}
    pairs = ranking_to_pairs(groups, rule)
    assert all(level[a] < level[b] and gap == level[b] - level[a] for a, b, gap in pairs)
    n = len(groups)
    expected = {
        PairRule.ALL: sum(
            len(groups[i]) * len(groups[j]) for i in range(n) for j in range(i + 1, n)
        ),
        PairRule.BEST_VS_EACH: sum(len(groups[0]) * len(g) for g in groups[1:]) if n else 0,
        PairRule.ADJACENT: sum(len(groups[i]) * len(groups[i + 1]) for i in range(n - 1)),
        PairRule.BEST_VS_WORST: len(groups[0]) * len(groups[-1]) if n > 1 else 0,
    }[rule]
    assert len(pairs) == expected


prompts = st.one_of(
    texts,
    st.lists(
        st.builds(Message, st.sampled_from(["system", "user", "assistant"]), texts),
        min_size=1,
        max_size=3,
    ).map(tuple),
)


# Texts that look like the stored layout's boundaries, to try the fast path's slicing.
tricky = st.lists(
    st.sampled_from(['","model":', '},{"text":', ',"model":null}]', "\\", '"', "\n", "é", "}]"])
    | texts,
    max_size=4,
).map("".join)


@given(
    prompts,
    tricky,
    tricky,
    st.sampled_from(list(PairChoice)),
    st.sampled_from([None, 1, 2]),
    st.sampled_from(["human", "model", "imported"]),
    st.one_of(st.none(), st.floats(0, 1), st.sampled_from([1e-05, 1e-7, 0.1])),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_fast_lines_equal_the_general_builder_byte_for_byte(
    prompt: object,
    a: str,
    b: str,
    choice: PairChoice,
    strength: int | None,
    source: str,
    confidence: float | None,
    conversational: bool,
    bare: bool,
    margin: bool,
) -> None:
    item = Item(prompt, (Response(a), Response(b + " ")))  # type: ignore[arg-type]
    stored = item_to_row(item, None)
    row = ExportRow(
        1, item.id, stored[1], stored[2], stored[4], stored[6], "human", None, None, []
    )
    value = json.dumps(PairwiseValue(choice, strength).to_json())
    label = LabelRow(1, "pairwise", value, source, "who", "label", "v1", confidence)
    spec = BuildSpec(conversational=conversational, bare=bare, margin=margin)
    fast = preference_lines(spec, encode_record)
    assert fast is not None
    line = fast((*row[:9], *label))
    general = [encode_record(r) for r in preference_records(to_example(row, label), spec)]
    if line is not None:  # None: the case belongs to the general path
        assert [line] == general
    else:
        assert choice in (PairChoice.TIE, PairChoice.BOTH_BAD) or not isinstance(prompt, str)
        if conversational and choice not in (PairChoice.TIE, PairChoice.BOTH_BAD):
            assert not is_normal([{"role": m.role, "content": m.content} for m in prompt])
