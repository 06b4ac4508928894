"""``bouclier judge calibrate``: how far a judge model agrees with human labels."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from bouclier.cli.output import err_console
from bouclier.errors import Problem, UsageError

judge_app = typer.Typer(help="Model-graded scoring: calibrate a judge against human labels.",
                        no_args_is_help=True)


def _label_map(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    out = {}
    for part in text.split(","):
        theirs, sep, ours = part.partition("=")
        if not sep or not theirs.strip() or not ours.strip():
            raise UsageError(problems=[Problem(f"expected 'theirs=ours' pairs separated by commas, found {part!r}",
                                               key="--label-map")])
        out[theirs.strip()] = ours.strip()
    return out


@judge_app.command("calibrate")
def calibrate_command(
    config: Path = typer.Option("bouclier.yaml", "--config", "-c", help="bouclier.yaml holding the judge model."),
    judge: str = typer.Option(..., "--judge", help="The judge: a key of models: in bouclier.yaml."),
    rubric: str = typer.Option(..., "--rubric", help="A shipped rubric (correctness, groundedness, helpfulness, "
                               "refusal, language_match) or a path to a YAML rubric."),
    data: Path = typer.Option(..., "--data", help="Human-labelled answers (.jsonl, .csv or .parquet)."),
    label_field: str = typer.Option(..., "--label-field", help="Field holding the human label."),
    lang_field: Optional[str] = typer.Option(None, "--lang-field", help="Field holding the language (per-language figures)."),
    input_field: str = typer.Option("input", "--input-field", help="Field holding the request."),
    output_field: str = typer.Option("output", "--output-field", help="Field holding the answer to grade."),
    reference_field: Optional[str] = typer.Option(None, "--reference-field", help="Field holding the reference answer."),
    label_map: Optional[str] = typer.Option(None, "--label-map", help="Human label -> rubric label, e.g. "
                                            "'1_full_compliance=compliance,2_full_refusal=refusal'."),
    repeats: int = typer.Option(1, "--repeats", min=1, max=20, help="Grade each answer this many times."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Use only the first N rows."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Call the judge even for cached grades."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON to stdout."),
) -> None:
    """Grade a human-labelled set with a judge; report accuracy, Cohen's kappa and the
    confusion matrix, per label and per language (exit 0; 2 on bad input)."""
    from bouclier.cli.gate import progress_factory
    from bouclier.config import load_config
    from bouclier.scoring.calibration import calibrate, render_markdown

    loaded = load_config(config)
    report = calibrate(loaded, judge=judge, rubric=rubric, data=data, label_field=label_field,
                       lang_field=lang_field, input_field=input_field, output_field=output_field,
                       reference_field=reference_field, label_map=_label_map(label_map), repeats=repeats,
                       limit=limit, use_cache=not no_cache, progress=progress_factory())
    err_console.print(render_markdown(report), highlight=False, markup=False)
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")


def register(app: typer.Typer) -> None:
    app.add_typer(judge_app, name="judge")
