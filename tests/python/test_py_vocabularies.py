"""The models read the funnel's vocabularies from the macros of `macros/config/`, the Python
package from `lead_funnel.contract`: the two must say the same, in the same order. The macros
are rendered here with Jinja (dbt's `return()` and the `lead_funnel.` namespace stood in for),
so the test needs no dbt parse."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import jinja2
import pytest
from jinja2.ext import do as do_extension

from lead_funnel import contract

MACROS = Path(__file__).resolve().parents[2] / "macros" / "config"


class MacroReturned(Exception):
    """dbt's `return(value)` ends a macro with a value; here it raises it."""

    def __init__(self, value: Any) -> None:
        super().__init__(value)
        self.value = value


def macro_return(value: Any) -> str:
    raise MacroReturned(value)


class ProjectMacros:
    """The macros of the config files by name, each called as dbt calls it: its return() value."""

    def __init__(self, *files: str) -> None:
        environment = jinja2.Environment(loader=jinja2.FileSystemLoader(MACROS),
                                         extensions=[do_extension], undefined=jinja2.StrictUndefined)
        environment.globals["return"] = macro_return
        environment.globals["lead_funnel"] = self
        self.modules = [environment.get_template(name).module for name in files]

    def __getattr__(self, name: str) -> Callable[[], Any]:
        for module in self.modules:
            macro = getattr(module, name, None)
            if macro is not None:
                return lambda *args: self.call(macro, *args)
        raise AttributeError(name)

    @staticmethod
    def call(macro: Callable[..., Any], *args: Any) -> Any:
        try:
            macro(*args)
        except MacroReturned as returned:
            return returned.value
        raise AssertionError(f"macro {macro} did not return() a value")


@pytest.fixture(scope="module")
def macros() -> ProjectMacros:
    return ProjectMacros("vocabulary.sql", "funnel_stages.sql")


@pytest.mark.parametrize(("macro_name", "python_list"), [
    ("known_event_types", contract.KNOWN_EVENT_TYPES),
    ("known_activity_types", contract.ACTIVITY_TYPES),
    ("known_fit_attributes", contract.FIT_ATTRIBUTES),
    ("known_fit_operators", contract.FIT_OPERATORS),
    ("known_buying_roles", contract.BUYING_ROLES),
    ("attribution_models", contract.ATTRIBUTION_MODELS),
    ("funnel_stages", contract.FUNNEL_STAGES),
    ("volume_stages", contract.VOLUME_STAGES),
])
def test_macro_vocabulary_equals_the_contract(macros: ProjectMacros, macro_name: str,
                                              python_list: tuple[str, ...]) -> None:
    assert tuple(getattr(macros, macro_name)()) == python_list


def test_side_path_is_the_volume_stages_that_are_no_current_stage(macros: ProjectMacros) -> None:
    side_path = tuple(macros.side_path_stages())
    assert side_path == tuple(stage for stage in contract.VOLUME_STAGES
                              if stage not in contract.FUNNEL_STAGES)


def test_a_drifted_macro_is_seen(tmp_path: Path) -> None:
    """The rendering reads what the file says: a list changed in a copy of the file differs."""
    drifted = (MACROS / "vocabulary.sql").read_text(encoding="utf-8").replace(
        "'decision_maker', 'influencer', 'member'", "'decision_maker', 'member'")
    (tmp_path / "vocabulary.sql").write_text(drifted, encoding="utf-8")
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(tmp_path),
                                     extensions=[do_extension])
    environment.globals["return"] = macro_return
    roles = getattr(environment.get_template("vocabulary.sql").module, "known_buying_roles")
    assert ProjectMacros.call(roles) == ["decision_maker", "member"]
    assert tuple(ProjectMacros.call(roles)) != contract.BUYING_ROLES
