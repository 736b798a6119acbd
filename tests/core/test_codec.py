"""The canonical item encoding: ids and stored rows of known items never change (projects
made earlier hold them), and the fast encoder writes what the JSON definition says."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labeler import codec
from labeler.store.items import item_to_row
from labeler.types import Item, Message, Response, content_hash, prompt_to_json

KNOWN: list[tuple[Item, tuple[Any, ...]]] = [
    (
        Item("What is 2+2?", (Response("4", "gpt-4"), Response("five"))),
        ("e79c66f8a1bf03001dfb", '"What is 2+2?"',
         '[{"text":"4","model":"gpt-4"},{"text":"five","model":null}]', 2, None, None, None),
    ),
    (
        Item(
            'Ünïcødé \u2028 "quoted" \\ back\tslash\x00\x1f\x7f',
            (Response("日本語 😀"), Response("line\nbreak\r\n", "")),
        ),
        ("c402b39c6015edcb0167",
         '"Ünïcødé \u2028 \\"quoted\\" \\\\ back\\tslash\\u0000\\u001f\x7f"',
         '[{"text":"日本語 😀","model":null},{"text":"line\\nbreak\\r\\n","model":""}]', 2,
         None, None, None),
    ),
    (
        Item(
            (Message("system", "Be brief."), Message("user", "Hi")),
            (Response("Hello"), Response("Hey", "m"), Response("Yo")),
        ),
        ("261d4cafa4c904a0ff20",
         '[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]',
         '[{"text":"Hello","model":null},{"text":"Hey","model":"m"},{"text":"Yo","model":null}]',
         3, None, None, None),
    ),
    (
        Item(
            "p",
            (Response("a"), Response("b")),
            images=("/abs/cat.png",),
            metadata={"n": 1.5, "k": [True, None], "ü": "x"},
            tags=("t1", "t2"),
        ),
        ("e4abe06d4015239a8f6f", '"p"', '[{"text":"a","model":null},{"text":"b","model":null}]',
         2, '["/abs/cat.png"]', '{"n":1.5,"k":[true,null],"ü":"x"}', '["t1","t2"]'),
    ),
]  # fmt: skip


@pytest.mark.parametrize(("item", "row"), KNOWN)
def test_known_items_keep_their_ids_and_stored_bytes(item: Item, row: tuple[Any, ...]) -> None:
    assert item.id == row[0]
    assert item_to_row(item, "src") == (*row, "src")


def test_the_id_hashes_image_paths_as_written() -> None:
    pair = (Response("a"), Response("b"))
    assert content_hash("p", pair, ("cat.png",)) == "63a3001c02eeb5668920"
    row = codec.item_row(
        "p", ["a", "b"], [None, None], ["/abs/cat.png"], hashed_images=["cat.png"]
    )
    assert row[codec.ROW_ID] == "63a3001c02eeb5668920"
    assert row[codec.ROW_IMAGES] == '["/abs/cat.png"]'


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


text = st.text(max_size=60)  # any unicode but lone surrogates, control characters included
messages = st.lists(
    st.builds(Message, st.sampled_from(["system", "user", "assistant"]), text), min_size=1
).map(tuple)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(text, messages),
    st.lists(st.tuples(text, st.none() | text), min_size=2, max_size=5),
    st.lists(text, max_size=2),
    st.dictionaries(text, st.integers() | st.floats() | text, max_size=3),
    st.lists(text, max_size=2),
)
def test_rows_are_the_canonical_json_of_the_content(
    prompt: Any,
    responses: list[tuple[str, str | None]],
    images: list[str],
    metadata: dict[str, Any],
    tags: list[str],
) -> None:
    """The definition: the id hashes ``[prompt, [texts], [images]]`` in compact JSON with
    non-ASCII kept; every column is that JSON of its value (empty ones are NULL)."""
    p = prompt_to_json(prompt)
    canonical = _dumps([p, [t for t, _ in responses], images]).encode("utf-8")
    expected_id = hashlib.blake2b(canonical, digest_size=10).hexdigest()
    item = Item(prompt, tuple(Response(t, m) for t, m in responses), tuple(images), metadata,
                tuple(tags))  # fmt: skip
    assert item.id == expected_id
    assert item_to_row(item, None) == (
        expected_id,
        _dumps(p),
        _dumps([{"text": t, "model": m} for t, m in responses]),
        len(responses),
        _dumps(images) if images else None,
        _dumps(metadata) if metadata else None,
        _dumps(tags) if tags else None,
        None,
    )


def test_a_lone_surrogate_cannot_be_encoded() -> None:
    with pytest.raises(UnicodeEncodeError, match="surrogate"):
        content_hash("p", (Response("\ud800"), Response("b")))
