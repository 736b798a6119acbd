"""``prefmark stats PROJECT.db``: counts by status, route, label source and annotator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from labeler.cli.common import open_project_or_fail
from labeler.store.stats import project_stats


def _routing_summary(db: Any) -> dict[str, Any] | None:
    """The routing estimate (accuracy of the finished data set), when routing is available."""
    try:
        from labeler.routing import routing_summary
    except ImportError:
        return None
    summary: dict[str, Any] | None = routing_summary(db)
    return summary


def _print_section(title: str, counts: dict[str, int]) -> None:
    click.echo(f"{title}:")
    if not counts:
        click.echo("  (none)")
    for key, n in counts.items():
        click.echo(f"  {key:<28} {n:>10,}")


@click.command("stats")
@click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON instead of a table.")
def stats_command(project: Path, as_json: bool) -> None:
    """Show counts for PROJECT: items by status and route, labels by source and annotator,
    and the estimated accuracy of the finished data set once routing has run."""
    db = open_project_or_fail(project, create=False)
    stats = project_stats(db)
    routing = _routing_summary(db)
    if routing is not None:
        stats["routing"] = routing
    if as_json:
        click.echo(json.dumps(stats, indent=2, sort_keys=True))
        return
    click.echo(f"{project}: {stats['items']:,} items, {stats['flagged']:,} flagged, "
               f"{stats['label_events']:,} label events")
    _print_section("items by status", stats["by_status"])
    _print_section("items by route", stats["by_route"])
    _print_section("resolved labels by source", stats["labels_by_source"])
    _print_section("live labels by annotator", stats["labels_by_annotator"])
    if routing:
        click.echo("routing:")
        for key, value in routing.items():
            click.echo(f"  {key:<28} {value}")
