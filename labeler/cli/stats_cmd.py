"""``prefmark stats PROJECT.db``: counts by status, route, label source and annotator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from labeler.cli.common import open_project_or_fail
from labeler.resolution import ConflictPolicy, policy_lines
from labeler.routing.audit import FINISHED_SET, MODEL_LABELS, accuracy_text
from labeler.store.adjudication import adjudicated_count
from labeler.store.gold import gold_accuracy, gold_answers
from labeler.store.stats import project_stats
from labeler.team import team_stats


def _routing_summary(db: Any) -> dict[str, Any] | None:
    """The routing estimate (accuracy of the finished data set), when routing is available."""
    try:
        from labeler.routing import routing_summary
    except ImportError:
        return None
    summary: dict[str, Any] | None = routing_summary(db)
    return summary


def _team(db: Any) -> dict[str, Any]:
    """Adjudicated items and each annotator's accuracy on gold items."""
    gold = gold_accuracy(db)
    return {
        "adjudicated": adjudicated_count(db),
        "gold_items": len(gold_answers(db)),
        "gold_accuracy": {a: {"right": s.right, "total": s.total} for a, s in gold.items()},
    }


def _print_team(team: dict[str, Any]) -> None:
    click.echo(f"adjudicated items: {team['adjudicated']:,}")
    if not team["gold_items"]:
        return
    click.echo(f"gold items: {team['gold_items']:,}; accuracy on gold by annotator:")
    for annotator, score in team["gold_accuracy"].items():
        right, total = score["right"], score["total"]
        click.echo(f"  {annotator:<28} {right:>6,}/{total:<6,} {right / total:6.1%}")


def _print_section(title: str, counts: dict[str, int]) -> None:
    click.echo(f"{title}:")
    if not counts:
        click.echo("  (none)")
    for key, n in counts.items():
        click.echo(f"  {key:<28} {n:>10,}")


@click.command("stats")
@click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--json", "as_json", is_flag=True, help="Print machine-readable JSON instead of a table."
)
def stats_command(project: Path, as_json: bool) -> None:
    """Show counts for PROJECT: items by status and route, labels by source and annotator,
    and the estimated accuracy of the finished data set once routing has run."""
    db = open_project_or_fail(project, create=False, readonly=True)
    stats = project_stats(db)
    stats.update(_team(db))
    routing = _routing_summary(db)
    if routing is not None:
        stats["routing"] = routing
    team = team_stats(db)
    stats["team"] = team
    if as_json:
        click.echo(json.dumps(stats, indent=2, sort_keys=True))
        return
    click.echo(
        f"{project}: {stats['items']:,} items, {stats['flagged']:,} flagged, "
        f"{stats['label_events']:,} label events"
    )
    _print_section("items by status", stats["by_status"])
    _print_section("items by route", stats["by_route"])
    _print_section("resolved labels by source", stats["labels_by_source"])
    _print_section("live labels by annotator", stats["labels_by_annotator"])
    for line in policy_lines(ConflictPolicy(stats["conflict_policy"]), stats["conflicts"]):
        click.echo(line)
    _print_team(stats)
    for line in team_lines(team):
        click.echo(line)
    if routing:
        _print_routing(routing, project)


def _interval(e: dict[str, Any]) -> str:
    if e["value"] is None:
        return "undefined (everyone gave the same answer)"
    ci = "" if e["low"] is None else f"  (95% CI {e['low']:.2f} to {e['high']:.2f})"
    return f"{e['value']:.3f}{ci}  on {e['items']:,} items"


def team_lines(team: dict[str, Any]) -> list[str]:
    """Agreement between annotators, their estimated accuracy and the label-error estimate."""
    agreement = team["agreement"]
    lines = ["agreement between annotators (pairwise choices: A / tie / B):"]
    if not agreement["pairs"] and not agreement["rankings"]:
        lines.append("  (none: needs two annotators who labelled the same items)")
    for e in agreement["overall"]:
        lines.append(f"  {e['name']:<44} {_interval(e)}")
    for p in agreement["pairs"]:
        names = " vs ".join(p["annotators"])
        lines.append(
            f"  Cohen's kappa, {names:<29} {_interval(p['cohen_kappa'])}, "
            f"same answer on {p['raw_agreement']:.0%}"
        )
    for e in agreement["rankings"]:
        lines.append(f"  {e['name']:<44} {_interval(e)}")
    accuracy = team["annotator_accuracy"]
    if accuracy:
        lines.append("estimated accuracy per annotator (Dawid-Skene, no gold needed):")
        lines += [f"  {name:<28} {acc:>9.1%}" for name, acc in accuracy.items()]
    errors = team["label_errors"]
    share = errors["estimated_share"]
    if errors["checked_by"] is not None:
        lines.append(
            f"label errors: {len(errors['review_queue']):,} of {errors['labels_checked']:,} "
            f"people's labels are confidently disputed by {errors['checked_by']} "
            "(the list, most likely wrong first: --json)"
        )
    if share is not None and share["value"] is not None:
        lines.append(
            f"  estimated share of wrong labels {share['value']:.1%} "
            f"(95% CI {share['low']:.1%} to {share['high']:.1%}) of {share['items']:,} labels"
        )
    return lines


def _print_routing(routing: dict[str, Any], project: Path | None = None) -> None:
    """The last routing run and the audit-based estimate of the finished data set's accuracy."""
    run = routing.get("last_run")
    if not run:
        return
    ai = (run.get("params") or {}).get("ai", "?")
    click.echo(
        f"routing (run {run['id']}): {run['strategy']}, human budget {run['budget']:g}, "
        f"AI labels from {ai}"
    )
    routes = ", ".join(f"{k} {v:,}" for k, v in routing["routes"].items())
    click.echo(f"  items per route: {routes}")
    quality = routing.get("quality")
    waiting = int(routing.get("audit_waiting", 0))
    had_audit = float((run.get("params") or {}).get("audit") or 0) > 0
    if quality is None:
        if waiting:
            click.echo(
                f"  estimated accuracy: review the {waiting:,} audit items in the review queue "
                f"(prefmark gui {project or 'PROJECT'} → To review)"
            )
        elif had_audit:
            click.echo(
                "  estimated accuracy: the last run's audit sample was empty (too few "
                "model-routed items); route again with a larger --audit"
            )
        else:
            click.echo(
                "  estimated accuracy: needs reviews of a random audit sample "
                "(route with --audit 0.05, then review those items)"
            )
        return
    click.echo(
        f"  audited {routing['audited']:,} model labels, {routing['confirmed']:,} confirmed"
    )
    confidence = quality["confidence"]
    ai = accuracy_text(
        quality["ai_accuracy"], quality["ai_interval"], routing["audited"], confidence
    )
    whole = accuracy_text(quality["hybrid_accuracy"], quality["hybrid_interval"], None, confidence)
    click.echo(f"  estimated accuracy of {MODEL_LABELS}: {ai}")
    click.echo(f"  estimated accuracy of {FINISHED_SET}: {whole}")
    more = quality.get("more_audits")
    target = quality["target_half_width"]
    click.echo(
        f"  reviews until +-{target:.0%}: "
        + ("not reachable" if more is None else f"{more:,} more")
    )
    if waiting:
        click.echo(f"  {waiting:,} audit items still wait in the review queue")
