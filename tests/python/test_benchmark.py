"""The benchmark's two computations of the running engagement score agree.

The project's ordered window pass (compiled int_engagement_moments_scored) must equal SPEC §4's
formula taken literally (the self-join reference) on synthetic heavy users, whose cycles hold
hundreds of moments, an hour apart.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from lead_funnel.benchmark import COMPILED_MOMENTS, dense_comparison
from lead_funnel.dbt_runner import build_command, dbt_env, project_dir


@pytest.fixture(scope="module")
def compiled_moments_sql(tmp_path_factory: pytest.TempPathFactory) -> str:
    scratch = tmp_path_factory.mktemp("compile")
    target = scratch / "target"
    argv = build_command("compile", extra_args=[
        "--select", "int_engagement_moments_scored", "--target-path", str(target),
        "--vars", '{as_of: "2024-07-01T00:00:00Z"}'])
    result = subprocess.run(argv, env=dbt_env(database=scratch / "bench.duckdb"), capture_output=True,
                            text=True, check=False, cwd=project_dir())
    assert result.returncode == 0, result.stdout[-3000:]
    relative = Path(*COMPILED_MOMENTS.parts[1:])  # without the leading "target"
    return (target / relative).read_text(encoding="utf-8")


def test_window_pass_equals_the_literal_formula(compiled_moments_sql: str) -> None:
    comparison = dense_comparison(compiled_moments_sql, "bench", contacts=5, moments_per_contact=300, repeat=1)
    assert comparison.window_pass.rows == comparison.self_join.rows == 5 * 300
    # Scores reach a few hundred points; doubles agree to far better than a millionth of a point.
    assert comparison.max_abs_difference < 1e-6
