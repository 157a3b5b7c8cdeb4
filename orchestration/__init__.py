"""Daily orchestration of lead_funnel with Dagster (the optional extra ``orchestration``).

``dagster dev`` (from the repository root: pyproject's [tool.dagster] names this module) shows
the asset graph; ``orchestration.definitions.defs`` is what it loads.
"""

from orchestration.definitions import defs

__all__ = ["defs"]
