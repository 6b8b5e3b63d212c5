"""The lifecycle commands read the declaration (`core/domain/lifecycle.py: SPECS`): one command per
action, one option per declared parameter and no other of their own, help from the summary.
(`claim` and `note` have commands of their own, and `lease_expired` none: `ActionSpec.cli`.)
"""

from __future__ import annotations

import click
import pytest
import typer

from mpo.cli.app import COMMANDS, command_of
from mpo.cli.lifecycle import USAGE
from mpo.cli.options import METAVARS, output_options, selection_options
from mpo.core.domain.lifecycle import SPECS, ActionSpec
from mpo.core.domain.vocabulary import Action
from mpo.report import fields
from tests.cli.test_completion import complete
from tests.conftest import MpoRunner


def shared() -> set[str]:
    """The options every batch verb has: the selection and the output flags."""

    def bare(*, batch: object, out: object) -> None: ...

    app = typer.Typer()
    app.command("bare")(output_options(fields.RESULT)(selection_options(bare)))
    command = typer.main.get_command(app)
    return {opt for p in command.params for opt in p.opts}


def own_options(command: click.Command) -> dict[str, click.Parameter]:
    common = shared()
    return {max(p.opts, key=len): p for p in command.params
            if isinstance(p, click.Option) and not set(p.opts) & common}


def command(spec: ActionSpec) -> click.Command:
    found = command_of(spec.action)
    assert found is not None, f"no command for the declared action {spec.action}"
    return found


GENERATED = [s for s in SPECS if s.cli]


def test_every_declared_action_is_a_command_and_every_lifecycle_command_an_action() -> None:
    assert {name for name, module in COMMANDS.items() if module == "lifecycle"} == \
        {s.action for s in GENERATED} == {str(a) for a in USAGE}
    assert {"claim", "note"} <= set(COMMANDS)


@pytest.mark.parametrize("spec", GENERATED, ids=[s.action for s in GENERATED])
def test_each_declared_parameter_is_an_option_and_no_option_is_undeclared(
        spec: ActionSpec) -> None:
    options = own_options(command(spec))
    assert list(options) == [f"--{p.field}" for p in spec.params]
    for param in spec.params:
        option = options[f"--{param.field}"]
        assert option.help == param.help
        assert option.metavar == METAVARS.get(param.kind)
        assert (option.type is click.FLOAT) == (param.kind == "hours"), param.field
        completes = getattr(option, "_custom_shell_complete", None) is not None
        assert completes == (param.kind == "code"), param.field


@pytest.mark.parametrize("spec", GENERATED, ids=[s.action for s in GENERATED])
def test_each_commands_help_is_its_summary_and_an_example(spec: ActionSpec) -> None:
    help_text = command(spec).help or ""
    first, _, rest = help_text.partition("\n\n")
    assert first.startswith(f"{spec.summary} (-> {spec.target}")
    assert rest == f"Example: {USAGE[Action(spec.action)][1]}"


def test_reason_codes_complete_from_the_configured_codes(runner: MpoRunner) -> None:
    assert complete(runner, "mpo reject --reason-code d") == ["duplicate"]
    assert complete(runner, "mpo cancel --reason-code o") == ["obsolete", "other"]
    assert runner("config", "set", "cancel_codes", "gone,obsolete").exit_code == 0
    assert complete(runner, "mpo cancel --reason-code ") == ["gone", "obsolete"]
    assert complete(runner, "mpo approve --note ") == []
