"""``alphastock strategies``: the registered strategy plugins.

``alphastock strategies list`` shows every strategy found in the ``alphastock.strategies``
entry-point group (built-ins included): name, source package and version, description and
parameters with their types and defaults; ``--json`` prints the same as JSON. Plugins that
failed to load are listed after the table (on stderr) and make the exit code 1.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from alphastock.strategies.base import Strategy
from alphastock.strategies.registry import load_strategies, registry_errors, strategy_source

strategies_app = typer.Typer(help="Strategy plugins (built-in and installed).", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


def _type_name(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None)
    if text is not None and "[" not in repr(annotation):
        return str(text)
    return repr(annotation).replace("typing.", "")


def describe(name: str, cls: type[Strategy[Any]]) -> dict[str, Any]:
    """A JSON-ready description of strategy ``name``: source, description, parameters."""
    source = strategy_source(name)
    params = []
    for field_name, info in cls.Params.model_fields.items():
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        params.append(
            {
                "name": field_name,
                "type": _type_name(info.annotation),
                "default": default,
                "required": info.is_required(),
                "description": info.description or "",
            }
        )
    return {
        "name": name,
        "class": f"{cls.__module__}.{cls.__qualname__}",
        "package": source.package if source else "?",
        "version": source.version if source else "?",
        "description": cls.description or (cls.__doc__ or "").strip().partition("\n")[0],
        "params": params,
    }


@strategies_app.command("list")
def strategies_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the registered strategies with their parameters."""
    found = load_strategies()
    rows = [describe(name, cls) for name, cls in sorted(found.items())]
    errors = registry_errors()
    if as_json:
        console.print_json(json.dumps({"strategies": rows, "errors": errors}, default=str))
    else:
        table = Table(title="Registered strategies")
        table.add_column("name", style="bold")
        table.add_column("source")
        table.add_column("description")
        table.add_column("parameters")
        for row in rows:
            params = "\n".join(
                f"{p['name']}: {p['type']} = {'(required)' if p['required'] else p['default']!r}"
                for p in row["params"]
            )
            table.add_row(row["name"], f"{row['package']} {row['version']}", row["description"], params)
        console.print(table)
        for problem in errors:
            err_console.print(f"[bold red]broken plugin:[/] {problem}")
    if errors:
        raise typer.Exit(code=1)


__all__ = ["describe", "strategies_app"]
