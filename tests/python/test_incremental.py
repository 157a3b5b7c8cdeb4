"""Daily incremental builds give exactly the marts of a full refresh (issue 9).

The EL tool appends each day's rows to the raw tables and the orchestrator runs a plain
`dbt build` with that day's as_of (database A, one file through the whole chain); separately,
database B loads the base and every day up to this one and runs `dbt build --full-refresh` at
the same as_of. Every mart and data-quality model must hold the same rows in A and B
(multisets; doubles within 1e-9 relative; dq_run_context.run_started_at, the wall clock of the
run, is not compared). The chain runs on the hand-made fixture with two hand-made days, and on
two days of the generated 2,000-contact dirty sample. Only the public behaviour is used: the
loader (`append`), `dbt build`, and the relations the project builds.

Base day: tests/fixtures/raw at as_of 2024-07-01T00:00:00Z. Day 1 (as_of 2024-07-02T00:00:00Z)
and day 2 (as_of 2024-07-03T00:00:00Z) are tests/fixtures/days/<day>/<day>__<table>.csv, the
rows the EL tool appended during 2024-07-01 and 2024-07-02 (_loaded_at on that day unless said
otherwise); day 3 is a quiet day a month later. (The files are not named <table>.csv: dbt takes
every CSV under tests/fixtures for a unit-test fixture named after the file, and two of one name
stop every dbt command; incremental_support.stage_fixture_day copies them to <table>.csv.)
What each covers:

| case                                                  | day | row(s)                                                    |
|-------------------------------------------------------|-----|-----------------------------------------------------------|
| new contacts                                          | 1   | contacts C101 (VP, software, US, 500: fit 55), C102       |
| ... with events that make one of them an MQL          | 1   | E101-E104 of C101: score crosses 100 at E104 (12:00)      |
| new contact on the second day                         | 2   | contacts C103; its event E204                             |
| new events for existing contacts                      | 1/2 | E105 (C004), E109 (C002); E203 (C101)                     |
| event loaded days after it occurred                   | 1   | E108: C011 page view of 2024-06-25, loaded 2024-07-01     |
|  (occurred before the previous as_of)                 | 2   | E201: C012 of 2024-06-15; E202: C001 of 2024-07-01 18:00  |
| new contact version changing fit of an MQL'd contact  | 1   | contacts C005 v2: VP Marketing, software, US, 800 (5->55)  |
| late sales_rejected splitting a cycle                 | 2   | A201: C004 rejected at 2024-06-30 20:00, before its E105  |
|                                                       |     | (2024-07-01 09:00, loaded day 1), which moves to cycle 2  |
|                                                       |     | and makes a second handoff C004-2                         |
| contact deletion                                      | 1   | contacts C015 v2 with is_deleted true (it had a handoff)  |
| deal closing                                          | 2   | opportunities O001 v2: Closed Won, closed 2024-07-02 15:00 |
| new deal                                              | 2   | opportunities O101 (C001, open)                           |
| row after as_of the day before                        | 1   | E903 (base; occurred 2024-07-02 00:00 = day 1's as_of)    |
|                                                       | 2   | A101 (loaded day 1, a meeting of 2024-07-02 12:00: after  |
|                                                       |     | day 1's as_of, before day 2's; makes rep_05 C002's owner) |
| duplicate delivery of an existing event / activity    | 1/2 | E005 again (day 1), E102 again (day 2); A002 again (day 2) |
| pending handoff whose within_sla flips null -> false  | 1   | C004-1 (base: MQL 2024-06-30 12:00, 12 h before as_of)    |
|                                                       | 2   | C101-1 (MQL 2024-07-01 12:00 on day 1, no response)       |
| unknown event type counted again                      | 1   | E107 (chat_started)                                       |
| quarantined row appended                              | 2   | an engagement event of C103 without event_id              |
|                                                       | 1   | A101 (after_as_of on day 1)                               |
| table without new rows (header-only append)           | 1   | opportunities                                             |
| quiet day: nothing appended, as_of a month later;     | 3   | day3: header-only files, as_of 2024-08-02T00:00:00Z.      |
|  rows loaded long ago cross as_of                     |     | Base rows: O003 (loaded 2024-06-01, closed lost           |
|                                                       |     | 2024-08-01), C014 (created 2024-08-01), A903 (07-05)      |

Besides, the base itself holds rows stamped _loaded_at after the day rows (C014 loaded
2024-08-01, A903 2024-07-05): an incremental build must not take the newest _loaded_at seen as
"everything before it is processed".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from lead_funnel.generation.dataset import generate_to_dir
from lead_funnel.generation.text import format_utc, parse_as_of

from conftest import FIXTURE_AS_OF, FIXTURE_DIR, SMALL
from incremental_support import (
    COMPARED_RELATIONS,
    Chain,
    Day,
    compare_databases,
    query,
    relation_content,
    run_chain,
    split_by_loaded_at,
    stage_fixture_day,
)

pytestmark = pytest.mark.slow  # day-by-day incremental builds against full refreshes: make test only

DAYS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "days"
FIXTURE_DAY_AS_OF = {"day1": "2024-07-02T00:00:00Z", "day2": "2024-07-03T00:00:00Z",
                     "day3": "2024-08-02T00:00:00Z"}
FIXTURE_DAYS = tuple(FIXTURE_DAY_AS_OF)
SAMPLE_DAYS = ("day1", "day2")  # of the generated sample
SAMPLE_DAY_SECONDS = 86_400


def at(text: str) -> datetime:
    """A naive UTC timestamp as the marts return them."""
    return datetime.fromisoformat(text)


def report(chain: Chain, label: str) -> None:
    for build in chain.builds:
        outcome = "ok" if build.returncode == 0 else f"FAILED (exit {build.returncode})"
        print(f"[{label}] dbt build {build.step}: {build.seconds:.1f} s, {outcome}")


def assert_same_marts(chain: Chain, day: str, label: str, days: tuple[str, ...] = SAMPLE_DAYS) -> None:
    comparisons = compare_databases(chain.incremental[day], chain.full_refresh[day])
    for comparison in comparisons:
        print(f"[{label} {day}] {comparison.relation}: {comparison.rows} rows, "
              f"{len(comparison.compared_columns)} columns: "
              f"{'same' if comparison.problem is None else 'DIFFERENT'}")
    problems = [comparison.problem for comparison in comparisons if comparison.problem]
    # Every build up to this day must have succeeded (data tests included).
    steps = ("base", *days[:days.index(day) + 1])
    failures = chain.failures(*steps)
    assert not problems and not failures, (
        f"{day}: " + "\n".join(["builds failed:", *failures] if failures else [])
        + ("\nthe incremental build differs from the full refresh:\n" + "\n".join(problems)
           if problems else "\nthe marts of both builds are the same"))
    assert {comparison.relation for comparison in comparisons} == set(COMPARED_RELATIONS)


# --- the hand-made fixture and its two days ---------------------------------------------------

@pytest.fixture(scope="module")
def fixture_chain(tmp_path_factory: pytest.TempPathFactory) -> Chain:
    work = tmp_path_factory.mktemp("incremental_fixture")
    days = [Day(name, as_of, stage_fixture_day(DAYS_DIR / name, work / "rows" / name))
            for name, as_of in FIXTURE_DAY_AS_OF.items()]
    chain = run_chain(FIXTURE_DIR, FIXTURE_AS_OF, days, work)
    report(chain, "fixture")
    return chain


@pytest.mark.parametrize("day", FIXTURE_DAYS)
def test_fixture_day_incremental_build_equals_full_refresh(fixture_chain: Chain, day: str) -> None:
    assert_same_marts(fixture_chain, day, "fixture", FIXTURE_DAYS)


def stages(database: Path) -> dict[str, tuple[Any, ...]]:
    """contact_id -> (current_stage, current_stage_entered_at, fit_score, engagement_score,
    customer_at, mql_count, owner_id) of lead_stages."""
    return {row[0]: row[1:] for row in query(
        database, "select contact_id, current_stage, current_stage_entered_at, fit_score, "
        "engagement_score, customer_at, mql_count, owner_id from {0}", "lead_stages")}


def handoffs(database: Path) -> dict[str, tuple[Any, ...]]:
    """handoff_id -> (cycle_number, mql_at, mql_reason, score_at_mql, outcome, within_sla,
    rejected_at) of lead_handoffs."""
    return {row[0]: row[1:] for row in query(
        database, "select handoff_id, cycle_number, mql_at, mql_reason, score_at_mql, outcome, "
        "within_sla, rejected_at from {0}", "lead_handoffs")}


def quarantined(database: Path) -> dict[tuple[str, str | None], str]:
    return {(table, key): reason for table, key, reason in query(
        database, "select source_table, record_key, quarantine_reason from {0}",
        "dq_quarantined_rows")}


def folded_duplicates(database: Path) -> dict[str, int]:
    return dict(query(database, "select source_table, folded_duplicate_rows from {0}",
                      "dq_source_reconciliation"))


def test_fixture_days_really_change_the_marts(fixture_chain: Chain) -> None:
    """The scenario moves what it claims to move (checked on the incremental builds, which the
    test above holds equal to the full refreshes), so the comparison cannot pass vacuously."""
    failures = fixture_chain.failures("base", *FIXTURE_DAYS)
    assert not failures, "\n".join(failures)
    base, day1, day2, day3 = (fixture_chain.incremental[step] for step in ("base", *FIXTURE_DAYS))
    stages_at = {"base": stages(base), "day1": stages(day1), "day2": stages(day2),
                 "day3": stages(day3)}
    handoffs_at = {"base": handoffs(base), "day1": handoffs(day1), "day2": handoffs(day2)}
    quarantine_at = {"base": quarantined(base), "day1": quarantined(day1), "day2": quarantined(day2)}

    # Deletion: C015 and its handoff leave the marts on day 1.
    assert "C015" in stages_at["base"] and "C015-1" in handoffs_at["base"]
    assert "C015" not in stages_at["day1"] and "C015-1" not in handoffs_at["day1"]
    assert query(day1, "select count(*) from {0} where contact_id = 'C015'",
                 "lead_stage_transitions") == [(0,)]
    # New contacts, one of them an MQL by score; its pending handoff flips null -> false on day 2.
    assert "C101" not in stages_at["base"]
    assert stages_at["day1"]["C101"][:3] == ("mql", at("2024-07-01 12:00:00"), 55.0)
    assert stages_at["day1"]["C102"][0] == "lead"
    assert handoffs_at["day1"]["C101-1"][1:3] == (at("2024-07-01 12:00:00"), "score_threshold")
    assert handoffs_at["day1"]["C101-1"][4:6] == ("pending", None)
    assert handoffs_at["day2"]["C101-1"][4:6] == ("pending", False)
    assert "C103" in stages_at["day2"]
    # Pending handoff from the base flips null -> false as as_of moves on day 1.
    assert handoffs_at["base"]["C004-1"][4:6] == ("pending", None)
    assert handoffs_at["day1"]["C004-1"][4:6] == ("pending", False)
    # Fit change of a contact with an MQL moment: fit and score_at_mql follow the new version.
    assert stages_at["base"]["C005"][2] == 5.0 and stages_at["day1"]["C005"][2] == 55.0
    assert handoffs_at["base"]["C005-1"][3] == pytest.approx(45.0)
    assert handoffs_at["day1"]["C005-1"][3] == pytest.approx(95.0)
    # A late event (occurred 2024-06-25) raises C011's engagement score on day 1.
    assert float(stages_at["day1"]["C011"][3]) > float(stages_at["base"]["C011"][3])
    # Late rejection (occurred before C004's day-1 event): cycle 1 ends rejected, the day-1
    # event is cycle 2 and gives a second handoff.
    assert set(h for h in handoffs_at["day1"] if h.startswith("C004")) == {"C004-1"}
    assert handoffs_at["day2"]["C004-1"][4:] == ("rejected", True, at("2024-06-30 20:00:00"))
    assert handoffs_at["day2"]["C004-2"][:3] == (2, at("2024-07-01 09:00:00"), "hand_raiser")
    assert handoffs_at["day2"]["C004-2"][4:6] == ("pending", False)
    assert stages_at["day2"]["C004"][:2] == ("mql", at("2024-07-01 09:00:00"))
    assert stages_at["day2"]["C004"][5] == 2
    assert query(day2, "select max(cycle_number) from {0} where contact_id = 'C004'",
                 "lead_stage_transitions") == [(2,)]
    # Deal closing: C006 becomes a customer on day 2; the new deal makes C001 an opportunity.
    assert stages_at["day1"]["C006"][0] == "opportunity"
    assert stages_at["day2"]["C006"][0] == "customer"
    assert stages_at["day2"]["C006"][4] == at("2024-07-02 15:00:00")
    assert stages_at["day2"]["C001"][0] == "opportunity"
    # Rows after the previous as_of: E903 is staged from day 1, A101 from day 2.
    assert quarantine_at["base"][("engagement_events", "E903")] == "after_as_of"
    assert ("engagement_events", "E903") not in quarantine_at["day1"]
    assert quarantine_at["day1"][("sales_activities", "A101")] == "after_as_of"
    assert ("sales_activities", "A101") not in quarantine_at["day2"]
    assert stages_at["day1"]["C002"][6] == "rep_03" and stages_at["day2"]["C002"][6] == "rep_05"
    # Duplicate deliveries are folded.
    folded = {step: folded_duplicates(fixture_chain.incremental[step])
              for step in ("base", *FIXTURE_DAYS)}
    assert folded["day1"]["engagement_events"] == folded["base"]["engagement_events"] + 1
    assert folded["day2"]["engagement_events"] == folded["day1"]["engagement_events"] + 1
    assert folded["day2"]["sales_activities"] == folded["day1"]["sales_activities"] + 1
    # Day 3, nothing appended, as_of a month later: rows loaded long ago cross as_of. O003 (C008's
    # deal, loaded 2024-06-01, closed lost 2024-08-01) closes; C014 (created 2024-08-01) and A903
    # (2024-07-05) are staged.
    assert stages_at["day2"]["C008"][0] == "opportunity"
    assert stages_at["day3"]["C008"][:2] == ("recycled", at("2024-08-01 00:00:00"))
    assert "C014" not in stages_at["day2"] and stages_at["day3"]["C014"][0] == "lead"
    assert ("sales_activities", "A903") not in quarantined(day3)
    # Every compared relation changes on at least one of the days.
    unchanged = [relation for relation in COMPARED_RELATIONS
                 if relation_content(base, relation) == relation_content(day1, relation)
                 == relation_content(day2, relation)]
    assert not unchanged


# --- two days of the generated dirty sample ---------------------------------------------------
#
# The SMALL sample of conftest (2,000 contacts, 5% dirty rows) at day 0's as_of, then two days:
# - "split": the sample generated once at day 2's as_of and split by _loaded_at into the base
#   and the rows loaded within each following day (incremental_support.split_by_loaded_at);
# - "next_day": the generator's own next day on top of an existing set
#   (lead_funnel.generation.next_day: new contacts and events, late events, re-deliveries, fit
#   changes, a deletion, late rejections, deals closing); skipped where it does not exist.

SAMPLE_AS_OF = [format_utc(parse_as_of(SMALL.as_of) + k * SAMPLE_DAY_SECONDS)
                for k in range(len(SAMPLE_DAYS) + 1)]


@dataclass(frozen=True)
class SampleChain:
    source: str
    chain: Chain
    appended: dict[str, list[int]]  # table -> rows appended on day 1, day 2, ...
    generated_rows: int  # every raw row of the base and the days


def split_sample(work: Path) -> tuple[Path, list[Day], dict[str, list[int]], int]:
    manifest = generate_to_dir(work / "generated", replace(SMALL, as_of=SAMPLE_AS_OF[-1]))
    parts = [work / "rows" / step for step in ("base", *SAMPLE_DAYS)]
    written = split_by_loaded_at(work / "generated", SAMPLE_AS_OF, parts)
    print(f"[sample split] rows per table (base, {', '.join(SAMPLE_DAYS)}): {written}")
    days = [Day(name, as_of, path)
            for name, as_of, path in zip(SAMPLE_DAYS, SAMPLE_AS_OF[1:], parts[1:])]
    return (parts[0], days, {table: counts[1:] for table, counts in written.items()},
            sum(manifest["raw_rows"].values()))


def next_day_sample(work: Path) -> tuple[Path, list[Day], dict[str, list[int]], int]:
    next_day = pytest.importorskip("lead_funnel.generation.next_day")
    base = work / "rows" / "base"
    manifest = generate_to_dir(base, SMALL)
    generated = sum(manifest["raw_rows"].values())
    days: list[Day] = []
    appended: dict[str, list[int]] = {table: [] for table in manifest["raw_rows"]}
    previous = base
    for name in SAMPLE_DAYS:
        day_manifest: dict[str, Any] = next_day.generate_next_day(previous, work / "rows" / name)
        days.append(Day(name, str(day_manifest["as_of"]), work / "rows" / name))
        for table, rows in day_manifest["raw_rows"].items():
            appended[table].append(int(rows))
        generated += sum(day_manifest["raw_rows"].values())
        previous = work / "rows" / name
    assert [day.as_of for day in days] == SAMPLE_AS_OF[1:]
    print(f"[sample next_day] rows appended per table ({', '.join(SAMPLE_DAYS)}): {appended}")
    return base, days, appended, generated


@pytest.fixture(scope="module", params=["split", "next_day"])
def sample_chain(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> SampleChain:
    source = str(request.param)
    work = tmp_path_factory.mktemp(f"incremental_sample_{source}")
    base, days, appended, generated = (split_sample if source == "split" else next_day_sample)(work)
    chain = run_chain(base, SAMPLE_AS_OF[0], days, work)
    report(chain, f"sample {source}")
    return SampleChain(source, chain, appended, generated)


@pytest.mark.parametrize("day", SAMPLE_DAYS)
def test_generated_sample_day_incremental_build_equals_full_refresh(
        sample_chain: SampleChain, day: str) -> None:
    assert_same_marts(sample_chain.chain, day, f"sample {sample_chain.source}")


def test_generated_sample_days_really_append_and_change(sample_chain: SampleChain) -> None:
    chain = sample_chain.chain
    failures = chain.failures("base", *SAMPLE_DAYS)
    assert not failures, "\n".join(failures)
    for number, day in enumerate(SAMPLE_DAYS):
        assert sum(counts[number] for counts in sample_chain.appended.values()) > 50, day
    for table in ("contacts", "engagement_events"):
        assert all(sample_chain.appended[table]), (table, sample_chain.appended[table])
    # Nothing was lost on the way: after the last day the raw tables hold every generated row.
    assert query(chain.incremental[SAMPLE_DAYS[-1]], "select sum(raw_rows) from {0}",
                 "dq_source_reconciliation") == [(sample_chain.generated_rows,)]
    steps = ("base", *SAMPLE_DAYS)
    for earlier, later in zip(steps, steps[1:]):
        changed = [relation for relation in ("lead_stages", "lead_handoffs", "funnel_volume_daily")
                   if relation_content(chain.incremental[earlier], relation)
                   != relation_content(chain.incremental[later], relation)]
        assert changed == ["lead_stages", "lead_handoffs", "funnel_volume_daily"], (earlier, later)
    assert query(chain.incremental[SAMPLE_DAYS[-1]], "select as_of from {0}",
                 "dq_run_context") == [(at(SAMPLE_AS_OF[-1].rstrip("Z")),)]
