"""Parquet rows as JSON-safe records, one record batch in memory at a time.

Hugging Face exports often carry timestamp, date, time, decimal, duration or binary columns
beside the fields an item needs. Their Python values (datetime, Decimal, bytes...) cannot be
stored as JSON, so they become text or numbers: dates and times in ISO 8601, decimals as
their exact text, durations in seconds, bytes in base64. Any file pyarrow cannot read (not
Parquet, cut short, a corrupt page, a schema nested past pyarrow's limit) stops the import
with one line naming the file and the record reached.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
from collections.abc import Generator
from pathlib import Path
from typing import Any

from labeler.importers.errors import ImportFailed, Location

_ISO = (dt.datetime, dt.date, dt.time)


def json_safe(value: Any) -> Any:
    """``value`` with every non-JSON scalar inside it replaced as the module doc says."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, _ISO):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _needs_conversion(arrow_type: Any) -> bool:
    """Whether a column of this type yields Python values that are not JSON."""
    import pyarrow as pa

    t = pa.types
    if t.is_struct(arrow_type):
        fields = range(arrow_type.num_fields)
        return any(_needs_conversion(arrow_type.field(i).type) for i in fields)
    if t.is_list(arrow_type) or t.is_large_list(arrow_type) or t.is_fixed_size_list(arrow_type):
        return _needs_conversion(arrow_type.value_type)
    if t.is_map(arrow_type):
        return True  # a map reads as a list of (key, value) tuples
    return not (
        t.is_null(arrow_type)
        or t.is_boolean(arrow_type)
        or t.is_integer(arrow_type)
        or t.is_floating(arrow_type)
        or t.is_string(arrow_type)
        or t.is_large_string(arrow_type)
        or t.is_dictionary(arrow_type)
    )


def iter_parquet(
    path: Path, batch_size: int = 2048
) -> Generator[tuple[Location, Any], None, None]:
    """(location, record) per row; the columns needing it are converted (``json_safe``)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportFailed(
            path, None, "reading Parquet needs pyarrow: pip install 'prefmark[parquet]'"
        ) from None
    record = 0
    try:
        with pq.ParquetFile(path) as pf:
            convert = [f.name for f in pf.schema_arrow if _needs_conversion(f.type)]
            for batch in pf.iter_batches(batch_size=batch_size):
                for row in batch.to_pylist():
                    record += 1
                    for name in convert:
                        row[name] = json_safe(row[name])
                    yield Location(path, record), row
    except (pa.ArrowException, OSError) as exc:
        where: Location | Path = Location(path, record + 1) if record else path
        raise ImportFailed(where, None, f"not a readable Parquet file: {_reason(exc)}") from None
    except UnicodeDecodeError:  # a string column whose bytes are not UTF-8 (rows of a batch)
        where = Location(path, record + 1)
        raise ImportFailed(where, None, "a text column holds bytes that are not UTF-8") from None


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "too deeply nested" in text:
        return "its schema nests more than 100 levels deep"
    return text.rstrip(".")
