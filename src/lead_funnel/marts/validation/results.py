"""What a validation run reports: one result per expectation, and the report printed by
``lead-funnel validate`` (exit 1 when any expectation failed)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lead_funnel.marts.access import DATA_QUALITY_SCHEMA, MART_SCHEMA


class ValidationError(RuntimeError):
    """The database, a mart or the run context cannot be read."""


@dataclass(frozen=True)
class CheckResult:
    mart: str
    expectation: str
    success: bool
    observed: str


@dataclass
class ValidationReport:
    database: str
    results: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(r.success for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    @property
    def success(self) -> bool:
        return self.failed == 0

    def render(self) -> str:
        width = max((len(r.mart) for r in self.results), default=0)
        lines = [f"Great Expectations suite on {self.database} "
                 f"(schemas {MART_SCHEMA}, {DATA_QUALITY_SCHEMA})"]
        for r in self.results:
            line = f"{'PASS' if r.success else 'FAIL'}  {r.mart:<{width}}  {r.expectation}"
            if not r.success:
                line += f"  -> observed: {r.observed}"
            lines.append(line)
        lines += [f"note: {note}" for note in self.notes]
        lines.append(f"validate: {self.passed} passed, {self.failed} failed")
        return "\n".join(lines)
