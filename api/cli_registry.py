"""`moisson sources import-registry` and `moisson sources detect --all`: the French landscape from the national
registries of portals, and that landscape checked against the live portals. Registered on `moisson sources` by
:mod:`api.cli`.

Why a module of its own: both work on a whole sources file at once, with reports of their own; the main CLI keeps
the one-source commands. Data (the summary tables) goes to stdout, progress and messages to stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table


def _cli():  # the main CLI module, imported when a command runs (it imports this module)
    from api import cli

    return cli


def import_registry(
    registry: Annotated[list[Path] | None, typer.Option(
        "--registry", help="a registry file or folder, repeatable (default: config/registries/)")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="the sources file to write")]
    = Path("config/sources.france.yaml"),
    report: Annotated[Path | None, typer.Option(
        "--report", help="also write a report: CSV for a .csv path, Markdown otherwise")] = None,
) -> None:
    """Write a sources file of the French open-data landscape from the national registries of portals: one source
    per catalogue, its type and API address, its operator and hosted bodies, disabled when the evidence is weak."""
    from harvesters.registries import RegistryError
    from index.landscape import build, counts, write
    from index.publishers import OverrideError
    from kernel.config import ConfigError

    cli = _cli()
    try:
        landscape = build(list(registry) if registry else None)
        write(landscape, output, report)
    except (RegistryError, OverrideError, ConfigError) as exc:
        cli.err.print(f"[red]error:[/red] nothing written: {exc}", highlight=False)
        raise typer.Exit(2) from None
    c = counts(landscape)
    cli.out.print(f"{output}: {c['entries']} sources ({c['enabled']} enabled) from {c['records']} registry records; "
                  f"{c['left']} left out, {c['conflicts']} conflicts", highlight=False, soft_wrap=True)
    table = Table()
    for column in ("type", "enabled", "disabled"):
        table.add_column(column, justify="left" if column == "type" else "right")
    for source_type, (enabled, disabled) in c["by_type"].items():
        table.add_row(source_type, str(enabled), str(disabled))
    cli.out.print(table)
    cli.err.print(f"wrote {output}" + (f" and {report}" if report else " (--report PATH for the details)"),
                  highlight=False)


def detect_all(include_disabled: bool, report: Path | None, workers: int) -> None:
    """The body of `moisson sources detect --all` (see harvesters.check)."""
    from harvesters.check import check_sources, counts, report_csv, report_markdown
    from kernel.config import config_path

    cli = _cli()
    config = cli._config()
    sources = [s for s in config.sources if s.enabled or include_disabled]
    checks = []
    for check in check_sources(sources, config.settings, workers=workers):
        checks.append(check)
        colour = {"confirmed": "green", "changed": "yellow", "redirect": "yellow"}.get(check.status, "red")
        cli.err.print(f"  {check.source_id}: [{colour}]{check.status}[/{colour}] {check.summary}", highlight=False)
    c = counts(checks)
    cli.out.print(f"{config_path(cli.state.config_file)}: {len(checks)} sources probed: "
                  + ", ".join(f"{n} {status}" for status, n in c.items()), highlight=False, soft_wrap=True)
    table = Table()
    table.add_column("status")
    table.add_column("sources", justify="right")
    for status, n in c.items():
        table.add_row(status, str(n))
    cli.out.print(table)
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        text = report_csv(checks) if report.suffix.lower() == ".csv" else \
            report_markdown(checks, str(config_path(cli.state.config_file)))
        report.write_text(text, "utf-8")
        cli.err.print(f"wrote {report}", highlight=False)
