"""The generator: contract, determinism, and a manifest that is exactly true of the files.

The manifest is re-derived here independently, from the CSVs, with a small pandas
implementation of the docs/funnel_rules.md §3 row checks and version folding."""

from __future__ import annotations

import csv
import importlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lead_funnel import contract
from lead_funnel.generation import campaigns, trials
from lead_funnel.generation.dataset import GeneratorConfig, generate, generate_to_dir
from lead_funnel.generation.next_day import generate_next_day
from lead_funnel.generation.text import PERSONAL_DOMAINS, parse_as_of, timestamp_text

from conftest import SMALL

TRUE = {"true", "1", "yes"}
KNOWN_ACTIVITY = set(contract.ACTIVITY_TYPES)
KEYS = {"contacts": "contact_id", "engagement_events": "event_id",
        "sales_activities": "activity_id", "opportunities": "opportunity_id"}
REQUIRED_TS = {"contacts": "created_at", "engagement_events": "occurred_at",
               "sales_activities": "occurred_at", "opportunities": "created_at"}
PRODUCT_USAGE = ("product_key_action", "trial_signup")
PROJECT = Path(__file__).resolve().parents[2]


def read(directory: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(directory / f"{table}.csv", dtype=str, keep_default_na=False,
                       na_filter=False)


def _parse_iso(text: str) -> datetime | None:
    """docs/funnel_rules.md §2 reading, independent of the code under test and of the pandas version: ISO-8601
    text, an offset converted to UTC, none taken as UTC; anything else is unparseable."""
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def ts(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.map(_parse_iso), utc=True)


def boolean(values: pd.Series) -> pd.Series:
    return values.str.strip().str.lower().isin(TRUE)


def checks(df: pd.DataFrame, table: str, as_of: pd.Timestamp,
           staged_contacts: set[str] | None) -> pd.DataFrame:
    """Every docs/funnel_rules.md §3 check as an independent flag column, in docs/funnel_rules.md order."""
    flags = pd.DataFrame(index=df.index)
    key = df[KEYS[table]].str.strip()
    req_text = df[REQUIRED_TS[table]].str.strip()
    req = ts(df[REQUIRED_TS[table]])
    flags["missing_key"] = key == ""
    missing = req_text == ""
    unparseable = (req_text != "") & req.isna()
    if table == "opportunities":
        closed = boolean(df["is_closed"])
        closed_text = df["closed_at"].str.strip()
        missing |= closed & (closed_text == "")
        unparseable |= closed & (closed_text != "") & ts(df["closed_at"]).isna()
    flags["missing_timestamp"] = missing
    flags["unparseable_timestamp"] = unparseable
    flags["after_as_of"] = req > as_of
    if staged_contacts is not None:
        flags["orphan_contact_id"] = ~df["contact_id"].str.strip().isin(staged_contacts)
    if table == "sales_activities":
        flags["unknown_activity_type"] = ~df["activity_type"].str.strip().str.lower().isin(
            KNOWN_ACTIVITY)
    if table == "opportunities":
        flags["won_not_closed"] = boolean(df["is_won"]) & ~boolean(df["is_closed"])
        flags["negative_amount"] = pd.to_numeric(df["amount"].str.strip(), errors="coerce") < 0
    return flags


def first_reason(flags: pd.DataFrame) -> pd.Series:
    reason = pd.Series("", index=flags.index, dtype=object)
    for column in reversed(list(flags.columns)):
        reason = reason.mask(flags[column], column)
    return reason


def rederive(directory: Path, as_of_text: str) -> dict[str, Any]:
    as_of = pd.Timestamp(as_of_text)
    out: dict[str, Any] = {"raw_rows": {}, "expected_quarantine": {}, "expected_staged": {},
                           "expected_folded_duplicates": {}, "single_failure": {}}
    staged_contacts: set[str] | None = None
    frames: dict[str, pd.DataFrame] = {}
    for table in contract.TABLES:
        df = read(directory, table)
        frames[table] = df
        flags = checks(df, table, as_of, staged_contacts)
        reason = first_reason(flags)
        good = df[reason == ""]
        n_staged = good[KEYS[table]].str.strip().nunique()
        out["raw_rows"][table] = len(df)
        out["expected_quarantine"][table] = {
            r: int(n) for r, n in reason[reason != ""].value_counts().items()}
        out["expected_staged"][table] = int(n_staged)
        out["expected_folded_duplicates"][table] = int(len(good) - n_staged)
        bad = flags.any(axis=1)
        out["single_failure"][table] = bool((flags[bad].sum(axis=1) == 1).all())
        if table == "contacts":
            staged_contacts = set(good["contact_id"].str.strip())
            latest = (good.assign(_u=ts(good["updated_at"]), _l=ts(good["_loaded_at"]))
                      .sort_values(["contact_id", "_u", "_l"], na_position="first")
                      .drop_duplicates("contact_id", keep="last"))
            out["deleted_contacts"] = int(boolean(latest["is_deleted"]).sum())
        if table == "engagement_events":
            first = (good.assign(_l=ts(good["_loaded_at"])).sort_values(["event_id", "_l"])
                     .drop_duplicates("event_id"))
            types = first["event_type"].str.strip().str.lower()
            unknown = types[~types.isin(contract.KNOWN_EVENT_TYPES)]
            out["unknown_event_types"] = {k: int(v) for k, v in unknown.value_counts().items()}
            out["product_usage_events"] = {t: int((types == t).sum()) for t in PRODUCT_USAGE}
    out["frames"] = frames
    return out


@pytest.fixture(scope="module")
def derived(small_dataset: Path, small_manifest: dict[str, Any]) -> dict[str, Any]:
    return rederive(small_dataset, small_manifest["as_of"])


def test_files_and_headers(small_dataset: Path) -> None:
    names = sorted(p.name for p in small_dataset.iterdir())
    assert names == sorted([f"{t}.csv" for t in contract.TABLES] + ["manifest.json"])
    for table, columns in contract.TABLE_COLUMNS.items():
        first_line = (small_dataset / f"{table}.csv").read_text().split("\n", 1)[0]
        assert first_line == ",".join(columns)


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    config = GeneratorConfig(contacts=500, seed=3, dirty_rate=0.05)
    generate_to_dir(tmp_path / "a", config)
    generate_to_dir(tmp_path / "b", config)
    generate_to_dir(tmp_path / "c", GeneratorConfig(contacts=500, seed=4, dirty_rate=0.05))
    for name in [f"{t}.csv" for t in contract.TABLES] + ["manifest.json"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    for table in contract.TABLES:
        assert ((tmp_path / "a" / f"{table}.csv").read_bytes()
                != (tmp_path / "c" / f"{table}.csv").read_bytes())


def test_manifest_shape(small_manifest: dict[str, Any]) -> None:
    assert small_manifest["seed"] == SMALL.seed
    assert small_manifest["contacts"] == SMALL.contacts
    assert small_manifest["dirty_rate"] == SMALL.dirty_rate
    assert small_manifest["as_of"] == "2025-06-30T12:00:00Z"
    for table in contract.TABLES:
        listed = small_manifest["expected_quarantine"][table]
        assert list(listed) == sorted(contract.APPLICABLE_REASONS[table])  # every applicable reason
        assert all(n > 0 for n in listed.values())  # 5% dirty: every reason exercised
        assert small_manifest["raw_rows"][table] == (
            small_manifest["expected_staged"][table]
            + small_manifest["expected_folded_duplicates"][table] + sum(listed.values()))


def assert_counts_match(derived: dict[str, Any], manifest: dict[str, Any]) -> None:
    """The manifest's counts are those re-derived from the files."""
    for key in ("raw_rows", "expected_staged", "expected_folded_duplicates",
                "expected_quarantine"):
        assert derived[key] == {
            t: ({r: n for r, n in v.items() if n} if isinstance(v, dict) else v)
            for t, v in manifest[key].items()}, key
    assert derived["deleted_contacts"] == manifest["deleted_contacts"]
    assert derived["product_usage_events"] == manifest["product_usage_events"]


def test_manifest_is_true_of_the_files(small_manifest: dict[str, Any],
                                       derived: dict[str, Any]) -> None:
    assert_counts_match(derived, small_manifest)
    assert derived["unknown_event_types"] == small_manifest["unknown_event_types"]
    assert small_manifest["expected_staged"]["contacts"] == SMALL.contacts


def test_every_bad_row_fails_exactly_one_check(derived: dict[str, Any]) -> None:
    assert derived["single_failure"] == {t: True for t in contract.TABLES}


def test_no_row_is_an_exact_copy_of_another(derived: dict[str, Any]) -> None:
    for table, df in derived["frames"].items():
        assert not df.duplicated().any(), table


def test_redelivered_rows_differ_only_by_loaded_at(derived: dict[str, Any]) -> None:
    for table in ("engagement_events", "sales_activities"):
        df = derived["frames"][table]
        key = KEYS[table]
        keyed = df[df[key] != ""]
        repeated = keyed[keyed.duplicated(key, keep=False)]
        assert len(repeated) > 0
        business = [c for c in df.columns if c != "_loaded_at"]
        assert repeated.drop_duplicates(business)[key].is_unique


def test_loaded_at_follows_business_time_with_offsets_applied(
        derived: dict[str, Any], small_manifest: dict[str, Any]) -> None:
    """A wrong sign or a dropped offset would push some gaps outside the generator's
    [5 min, 6 h) window between occurred_at and the first _loaded_at."""
    events = derived["frames"]["engagement_events"]
    good = events[(events["event_id"] != "") & ts(events["occurred_at"]).notna()].copy()
    good["_o"] = ts(good["occurred_at"])
    good["_l"] = ts(good["_loaded_at"])
    first = good.sort_values(["event_id", "_l"]).drop_duplicates("event_id")
    gap = (first["_l"] - first["_o"]).dt.total_seconds()
    assert gap.between(300, 6 * 3600).all()
    with_offset = first["occurred_at"].str.contains(r"[+-]\d\d:\d\d$", regex=True)
    assert with_offset.sum() > 100
    assert first["occurred_at"].str.endswith("Z").sum() > 100
    assert first["occurred_at"].str.contains(r"^\S+ \S+$", regex=True).sum() > 100


def test_offset_timestamp_keeps_the_utc_instant() -> None:
    rng = np.random.Generator(np.random.PCG64(1))
    seconds = np.array([parse_as_of("2025-03-01T10:00:00Z")] * 400, dtype=np.int64)
    texts = timestamp_text(rng, seconds).to_pylist()
    plus_two = [t for t in texts if t.endswith("+02:00")]
    assert plus_two and all(t == "2025-03-01T12:00:00+02:00" for t in plus_two)
    for text in texts:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if parsed.tzinfo is None:  # no offset: UTC
            parsed = parsed.replace(tzinfo=timezone.utc)
        assert int(parsed.timestamp()) == seconds[0], text
    assert {"Z", "none", "offset"} == {
        "Z" if t.endswith("Z") else "offset" if t[-6] in "+-" else "none" for t in texts}


def test_realistic_shape(derived: dict[str, Any], small_manifest: dict[str, Any]) -> None:
    contacts = derived["frames"]["contacts"]
    good = contacts[contacts["contact_id"] != ""]
    sources = good["lead_source"].str.strip().str.lower()
    assert set(sources) - {""} == set(contract.LEAD_SOURCES)
    assert (good["lead_source"] != good["lead_source"].str.strip().str.lower()).any()
    emails = good["email"].str.strip().str.lower()
    personal = emails.str.split("@").str[-1].isin(PERSONAL_DOMAINS)
    assert 0.1 < personal.mean() < 0.3
    assert (emails == "not-an-email").any() and (emails == "").any()
    assert good["employee_count"].isin(["1,000", "n/a", "50+", "unknown"]).any()
    numeric = pd.to_numeric(good["employee_count"], errors="coerce").dropna()
    assert numeric.between(1, 50_000).all()
    versions = good.groupby("contact_id").size()
    assert 0.10 < (versions > 1).mean() < 0.25
    assert small_manifest["deleted_contacts"] == round(0.01 * SMALL.contacts)

    acts = derived["frames"]["sales_activities"]
    kinds = acts["activity_type"].str.strip().str.lower()
    assert KNOWN_ACTIVITY <= set(kinds)
    assert acts["owner_id"].str.fullmatch(r"rep_\d\d").all()
    rejected = acts[kinds == "sales_rejected"]
    assert rejected["rejection_reason"].isin(contract.REJECTION_REASONS).all()
    # Some contacts were rejected and later accepted again (recycling).
    accepted_after = acts.assign(_t=ts(acts["occurred_at"]), _k=kinds)
    first_rej = accepted_after[accepted_after["_k"] == "sales_rejected"].groupby("contact_id")["_t"].min()
    last_acc = accepted_after[accepted_after["_k"] == "sales_accepted"].groupby("contact_id")["_t"].max()
    both = pd.concat([first_rej, last_acc], axis=1, join="inner")
    assert (both.iloc[:, 1] > both.iloc[:, 0]).sum() > 0

    opps = derived["frames"]["opportunities"]
    assert opps["amount"].str.lower().eq("tbd").any() or SMALL.contacts < 2_000
    closed = boolean(opps["is_closed"])
    as_of = pd.Timestamp(small_manifest["as_of"])
    assert (closed & (ts(opps["closed_at"]) > as_of)).any()
    assert boolean(opps["is_won"]).any()


# --------------------------------------------------------------------------------------
# Chunks, Parquet and the next day
# --------------------------------------------------------------------------------------
CHUNKED = GeneratorConfig(contacts=1_200, seed=11, dirty_rate=0.05, as_of="2025-06-30T12:00:00Z",
                          chunk_size=500)


def _frames(directory: Path) -> dict[str, pd.DataFrame]:
    return {t: read(directory, t) for t in contract.TABLES}


def test_one_chunk_is_the_unchunked_stream(tmp_path: Path) -> None:
    """A set that fits in one chunk is byte for byte the single-stream set."""
    base = GeneratorConfig(contacts=500, seed=3, dirty_rate=0.05)
    generate_to_dir(tmp_path / "whole", GeneratorConfig(500, 3, 0.05, chunk_size=10_000_000))
    generate_to_dir(tmp_path / "exact", GeneratorConfig(500, 3, 0.05, chunk_size=500))
    generate_to_dir(tmp_path / "default", base)
    for table in contract.TABLES:
        whole = (tmp_path / "whole" / f"{table}.csv").read_bytes()
        assert whole == (tmp_path / "exact" / f"{table}.csv").read_bytes()
        assert whole == (tmp_path / "default" / f"{table}.csv").read_bytes()
    in_memory = generate(base)
    assert in_memory.tables["contacts"].num_rows == len(read(tmp_path / "whole", "contacts"))


def test_chunked_set_is_deterministic_and_its_manifest_true(tmp_path: Path) -> None:
    """Several chunks: a documented, different but deterministic stream (chunk i >= 1 has
    its own), keys unique across chunks, and the manifest still exactly true of the files."""
    manifest = generate_to_dir(tmp_path / "a", CHUNKED)
    generate_to_dir(tmp_path / "b", CHUNKED)
    for name in [f"{t}.csv" for t in contract.TABLES] + ["manifest.json"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert manifest["chunk_size"] == 500 and CHUNKED.chunks == 3
    derived = rederive(tmp_path / "a", manifest["as_of"])
    assert_counts_match(derived, manifest)
    assert derived["single_failure"] == {t: True for t in contract.TABLES}
    contacts = derived["frames"]["contacts"]
    ids = contacts.loc[contacts["contact_id"] != "", "contact_id"]
    assert ids.nunique() == CHUNKED.contacts
    assert set(ids) == {f"C-{k:07d}" for k in range(1, CHUNKED.contacts + 1)}
    for table in ("engagement_events", "sales_activities", "opportunities"):
        df = derived["frames"][table]
        keyed = df[df[KEYS[table]] != ""]
        # Good keys are numbered 1..N across chunks; re-deliveries and versions repeat them.
        good = keyed[~keyed[KEYS[table]].str.contains("BAD")][KEYS[table]]
        numbers = sorted({int(k.split("-")[-1]) for k in good})
        assert numbers == list(range(1, len(numbers) + 1)), table
    # Every chunk has dirty and re-delivered rows (the 1st, 2nd and 3rd third of contacts).
    events = derived["frames"]["engagement_events"]
    owners = events["contact_id"].str.extract(r"^C-(\d+)$")[0].dropna().astype(int)
    assert {(n - 1) // 500 for n in owners} == {0, 1, 2}
    # The whole set from one stream differs (chunks are part of the stream's definition).
    generate_to_dir(tmp_path / "one", GeneratorConfig(1_200, 11, 0.05, CHUNKED.as_of))
    assert ((tmp_path / "one" / "engagement_events.csv").read_bytes()
            != (tmp_path / "a" / "engagement_events.csv").read_bytes())


def test_parquet_holds_the_rows_of_the_csv(tmp_path: Path) -> None:
    manifest = generate_to_dir(tmp_path / "both", CHUNKED, output_format="both")
    generate_to_dir(tmp_path / "parquet", CHUNKED, output_format="parquet")
    assert not (tmp_path / "parquet" / "contacts.csv").exists()
    for table, columns in contract.TABLE_COLUMNS.items():
        csv = read(tmp_path / "both", table)
        parquet = pd.read_parquet(tmp_path / "both" / f"{table}.parquet")
        assert list(parquet.columns) == list(columns)
        assert len(parquet) == manifest["raw_rows"][table]
        pd.testing.assert_frame_equal(parquet.astype(str), csv, check_dtype=False)
        assert ((tmp_path / "both" / f"{table}.parquet").read_bytes()
                == (tmp_path / "parquet" / f"{table}.parquet").read_bytes())


def _utc(text: str) -> pd.Timestamp:
    parsed = _parse_iso(text)
    assert parsed is not None, text
    return pd.Timestamp(parsed)


@pytest.fixture(scope="module")
def next_day(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("next_day")
    base_manifest = generate_to_dir(work / "base", CHUNKED)
    day = generate_next_day(work / "base", work / "day1", output_format="both")
    day2 = generate_next_day(work / "day1", work / "day2")
    return {"work": work, "base": base_manifest, "day": day, "day2": day2,
            "base_frames": _frames(work / "base"), "frames": _frames(work / "day1"),
            "frames2": _frames(work / "day2")}


def test_next_day_moves_as_of_one_day_and_loads_within_it(next_day: dict[str, Any]) -> None:
    base, day, day2 = next_day["base"], next_day["day"], next_day["day2"]
    start = pd.Timestamp(base["as_of"])
    assert day["previous_as_of"] == base["as_of"] and day["day"] == 1
    assert pd.Timestamp(day["as_of"]) == start + pd.Timedelta(days=1)
    assert pd.Timestamp(day2["as_of"]) == start + pd.Timedelta(days=2) and day2["day"] == 2
    for frames, begin in ((next_day["frames"], start), (next_day["frames2"], start + pd.Timedelta(days=1))):
        for table, df in frames.items():
            assert len(df) > 0, table
            loaded = df["_loaded_at"].map(_utc)
            assert (loaded > begin).all() and (loaded < begin + pd.Timedelta(days=1)).all(), table
            business = REQUIRED_TS[table] if table != "opportunities" else "closed_at"
            assert (df[business].map(_utc) <= loaded).all(), table
    assert day["raw_rows"] == {t: len(df) for t, df in next_day["frames"].items()}


def test_next_day_has_what_the_el_tool_appends(next_day: dict[str, Any]) -> None:
    rows, frames, base = next_day["day"]["rows"], next_day["frames"], next_day["base_frames"]
    assert all(rows[k] >= 1 for k in rows), rows
    start = pd.Timestamp(next_day["base"]["as_of"])
    events = frames["engagement_events"]
    occurred = events["occurred_at"].map(_utc)
    loaded = events["_loaded_at"].map(_utc)
    assert ((loaded - occurred) > pd.Timedelta(days=1)).sum() >= 1  # loaded days after
    rejected = frames["sales_activities"]
    assert (rejected["activity_type"].str.strip().str.lower() == "sales_rejected").all()
    assert (rejected["occurred_at"].map(_utc) < start).all()  # late
    deals = frames["opportunities"]
    assert boolean(deals["is_closed"]).all() and (deals["closed_at"].map(_utc) > start).all()
    contacts = frames["contacts"]
    assert boolean(contacts["is_deleted"]).sum() == rows["deleted_contacts"]


def test_next_day_keys_collide_only_where_meant_to(next_day: dict[str, Any]) -> None:
    frames, base, day = next_day["frames"], next_day["base_frames"], next_day["day"]
    old_contacts = set(base["contacts"]["contact_id"])
    contacts = frames["contacts"]
    repeated = contacts[contacts["contact_id"].isin(old_contacts)]
    # Versions of existing contacts (fit changes and deletions) keep their key ...
    assert len(repeated) == day["rows"]["contact_versions"] + day["rows"]["deleted_contacts"]
    assert repeated["contact_id"].is_unique
    # ... new contacts get keys after the last one.
    new = contacts[~contacts["contact_id"].isin(old_contacts)]["contact_id"]
    assert sorted(new) == [f"C-{k:07d}" for k in range(CHUNKED.contacts + 1,
                                                          CHUNKED.contacts + len(new) + 1)]
    events = frames["engagement_events"]
    old_events = base["engagement_events"]
    again = events[events["event_id"].isin(set(old_events["event_id"]))]
    assert len(again) == day["rows"]["redelivered_events"]  # re-deliveries: exact copies ...
    business = [c for c in events.columns if c != "_loaded_at"]
    merged = again.merge(old_events.drop_duplicates("event_id"), on="event_id", suffixes=("", "_old"))
    for column in business[1:]:
        assert (merged[column] == merged[f"{column}_old"]).all(), column
    fresh = events[~events["event_id"].isin(set(old_events["event_id"]))]["event_id"]
    assert fresh.is_unique and len(fresh) == day["next_keys"]["events"] - next_day["base"]["next_keys"]["events"]
    assert not frames["sales_activities"]["activity_id"].isin(
        set(base["sales_activities"]["activity_id"])).any()
    assert frames["opportunities"]["opportunity_id"].isin(
        set(base["opportunities"]["opportunity_id"])).all()  # closing versions of open deals
    # Every contact the day's rows point at exists (old or new): nothing is orphaned.
    known = old_contacts | set(contacts["contact_id"])
    for table in ("engagement_events", "sales_activities", "opportunities"):
        assert frames[table]["contact_id"].isin(known).all(), table
    # The next day builds on both: no key of day 2 collides with day 1's new keys.
    seen = set(old_events["event_id"]) | set(events["event_id"])
    day2_events = next_day["frames2"]["engagement_events"]["event_id"]
    day2_new = day2_events[~day2_events.isin(seen)]
    assert len(day2_events) - len(day2_new) == next_day["day2"]["rows"]["redelivered_events"]
    assert min(int(k.split("-")[1]) for k in day2_new) == day["next_keys"]["events"] + 1


def test_next_day_is_deterministic_and_parquet_matches(next_day: dict[str, Any]) -> None:
    work = next_day["work"]
    again = generate_next_day(work / "base", work / "day1_again")
    assert again["raw_rows"] == next_day["day"]["raw_rows"]
    for table in contract.TABLES:
        assert ((work / "day1" / f"{table}.csv").read_bytes()
                == (work / "day1_again" / f"{table}.csv").read_bytes())
        parquet = pd.read_parquet(work / "day1" / f"{table}.parquet")
        pd.testing.assert_frame_equal(parquet.astype(str), next_day["frames"][table],
                                      check_dtype=False)


# --------------------------------------------------------------------------------------
# Trials and product-qualified leads
# --------------------------------------------------------------------------------------
def test_trial_model_uses_the_default_product_rules() -> None:
    """The generator's replay of the PQL rules is that of the seed and dbt_project.yml."""
    with (PROJECT / "seeds" / "behavioral_scoring_rules.csv").open(encoding="utf-8") as f:
        rules = {row["event_type"]: row for row in csv.DictReader(f)}
    assert float(rules["trial_signup"]["points"]) == trials.TRIAL_POINTS
    assert float(rules["product_key_action"]["points"]) == trials.KEY_ACTION_POINTS
    assert int(rules["product_key_action"]["max_per_day"]) == trials.KEY_ACTION_CAP
    assert rules["trial_signup"]["max_per_day"] == ""
    product = sorted(t for t, row in rules.items() if row["is_product_usage"] == "true")
    assert product == sorted(PRODUCT_USAGE)
    yaml: Any = importlib.import_module("yaml")
    project_vars = yaml.safe_load((PROJECT / "dbt_project.yml").read_text())["vars"]
    assert project_vars["pql_threshold"] == trials.PQL_THRESHOLD
    assert project_vars["score_half_life_days"] == trials.HALF_LIFE_DAYS


def test_pql_moments_worked_examples() -> None:
    """Worked by hand with trial 30, key action 15 (3 a UTC day earn), half-life 30 days, bar
    60. A decay of 10 minutes costs a 15-point action 15 * (1 - 2^(-10 / 43200)) = 0.0024."""
    day = parse_as_of("2025-03-03T00:00:00Z")
    minute = 60
    trial, key = trials.EV_TRIAL, trials.EV_KEY_ACTION
    events = [
        # 0: trial 10:00, actions 10:10, 10:20, 10:30. At 10:20: 29.99 + 15.00 + 15 = 59.99 < 60
        #    (it would be exactly 60 without decay); at 10:30 about 75: the moment is 10:30.
        (0, 600, trial), (0, 610, key), (0, 620, key), (0, 630, key),
        # 1: five actions 11:00-11:40, no trial: three earn, 45 points, never a PQL (without the
        #    cap the fifth would make 75).
        *[(1, 660 + 10 * i, key) for i in range(5)],
        # 2: three actions at 23:00-23:20, two at 00:10 and 00:20 the next UTC day, where the
        #    cap starts again: at 00:10 45 - decay + 15 < 60, at 00:20 about 75.
        (2, 1380, key), (2, 1390, key), (2, 1400, key), (2, 1450, key), (2, 1460, key),
        # 3: a light user: trial 09:00 and two actions at 09:01 and 09:02: just under 60.
        (3, 540, trial), (3, 541, key), (3, 542, key),
    ]
    order = np.random.Generator(np.random.PCG64(0)).permutation(len(events))  # any order
    contact = np.array([events[i][0] for i in order], dtype=np.int64)
    time = np.array([day + events[i][1] * minute for i in order], dtype=np.int64)
    kind = np.array([events[i][2] for i in order], dtype=np.int64)
    who, when = trials.pql_moments(contact, time, kind)
    assert who.tolist() == [0, 2]
    assert when.tolist() == [day + 630 * minute, day + 1460 * minute]


def _product_events(derived: dict[str, Any], frames: str = "frames") -> pd.DataFrame:
    """The staged (unquarantined, one per event_id) trial sign-ups and key actions."""
    events = derived[frames]["engagement_events"]
    good = events[events["event_id"].str.fullmatch(r"E-\d+")].drop_duplicates("event_id")
    good = good.assign(type=good["event_type"].str.strip().str.lower())
    good = good[good["type"].isin(PRODUCT_USAGE)].copy()
    good["t"] = ts(good["occurred_at"])
    return good


def _staged_contacts(derived: dict[str, Any]) -> pd.DataFrame:
    contacts = derived["frames"]["contacts"]
    good = contacts[contacts["contact_id"].str.fullmatch(r"C-\d+")]
    good = good.assign(source=good["lead_source"].str.strip().str.lower())
    return good.drop_duplicates("contact_id").set_index("contact_id")


def test_trials_by_source(derived: dict[str, Any], small_manifest: dict[str, Any]) -> None:
    """12-20% of the contacts start a trial; search and direct traffic far more often than
    events and partners (the generator's 22-24% against 5-6%)."""
    product = _product_events(derived)
    contacts = _staged_contacts(derived)
    trial_users = set(product.loc[product["type"] == "trial_signup", "contact_id"])
    has_trial = contacts.index.isin(trial_users)
    assert 0.12 <= has_trial.mean() <= 0.20
    by_source = pd.Series(has_trial, index=contacts.index).groupby(contacts["source"]).mean()
    high = by_source[["paid_search", "organic_search", "direct"]]
    low = by_source[["events", "partner"]]
    assert high.min() > 2 * low.max(), by_source.to_dict()
    # One trial per contact in a generated set (later ones come with the next days).
    assert small_manifest["product_usage_events"]["trial_signup"] == len(trial_users)


def test_key_actions_follow_a_trial_in_bursts(derived: dict[str, Any]) -> None:
    """Every key action comes after its contact's trial sign-up: within the trial's 14 days,
    or after a sales rejection (trial users who keep using the product); on most days with
    key actions there are several, sometimes more than the 3 that earn points."""
    product = _product_events(derived)
    signup = product[product["type"] == "trial_signup"].groupby("contact_id")["t"].min()
    keys = product[product["type"] == "product_key_action"].copy()
    assert len(keys) > 1000
    keys["signup"] = keys["contact_id"].map(signup)
    assert keys["signup"].notna().all() and (keys["t"] >= keys["signup"]).all()
    acts = derived["frames"]["sales_activities"]
    rejected = acts[acts["activity_type"].str.strip().str.lower() == "sales_rejected"]
    first_rejection = ts(rejected["occurred_at"]).groupby(rejected["contact_id"]).min()
    keys["rejected"] = keys["contact_id"].map(first_rejection)
    in_trial = keys["t"] <= keys["signup"] + pd.Timedelta(days=trials.TRIAL_DAYS)
    after_rejection = keys["rejected"].notna() & (keys["t"] > keys["rejected"])
    assert (in_trial | after_rejection).all()
    assert after_rejection[~in_trial].sum() > 0  # some keep using the product after a no
    per_day = keys.groupby([keys["contact_id"], keys["t"].dt.floor("D")]).size()
    assert (per_day >= 2).mean() > 0.5
    assert (per_day > trials.KEY_ACTION_CAP).sum() > 50


def test_engaged_trial_users_convert_more(derived: dict[str, Any]) -> None:
    """Trial users with at least four key actions (the ones that can reach the PQL bar) get
    accepted by sales and win deals far more often than the other contacts."""
    product = _product_events(derived)
    contacts = _staged_contacts(derived)
    keys = product[product["type"] == "product_key_action"].groupby("contact_id").size()
    trial_users = set(product.loc[product["type"] == "trial_signup", "contact_id"])
    engaged = contacts.index.isin(set(keys[keys >= 4].index) & trial_users)
    assert engaged.sum() > 100
    acts = derived["frames"]["sales_activities"]
    accepted = set(acts.loc[acts["activity_type"].str.strip().str.lower() == "sales_accepted",
                            "contact_id"])
    opps = derived["frames"]["opportunities"]
    won = set(opps.loc[opps["opportunity_id"].str.fullmatch(r"O-\d+") & boolean(opps["is_won"])
                       & boolean(opps["is_closed"]), "contact_id"])
    for reached in (accepted, won):
        share = pd.Series(contacts.index.isin(reached)).groupby(engaged).mean()
        assert share[True] > 2 * share[False], share.to_dict()


def test_next_day_continues_trials(next_day: dict[str, Any]) -> None:
    """On each next day, key actions come only from contacts in a trial (a sign-up less than
    14 days before the day, or that day); a few contacts start a trial and try the product
    once (one or two key actions); the manifest counts the day's product events."""
    start = pd.Timestamp(next_day["base"]["as_of"])
    history = [next_day["base_frames"]]
    continued = 0
    for day, frames_key, manifest in ((0, "frames", next_day["day"]),
                                      (1, "frames2", next_day["day2"])):
        begin = start + pd.Timedelta(days=day)
        seen = set().union(*(set(f["engagement_events"]["event_id"]) for f in history))
        fresh = _product_events({"frames": next_day[frames_key]})
        fresh = fresh[~fresh["event_id"].isin(seen)]
        before = pd.concat([_product_events({"frames": f}) for f in history])
        signups = pd.concat([before, fresh])
        signups = signups[signups["type"] == "trial_signup"]
        keys = fresh[fresh["type"] == "product_key_action"]
        assert manifest["rows"]["trial_signups"] == int((fresh["type"] == "trial_signup").sum())
        assert manifest["rows"]["product_key_actions"] == len(keys)
        assert manifest["rows"]["trial_signups"] >= 1 and len(keys) >= 1
        for _, action in keys.iterrows():
            started = signups.loc[(signups["contact_id"] == action["contact_id"])
                                  & (signups["t"] <= action["t"]), "t"]
            assert len(started) and started.max() > begin - pd.Timedelta(days=14), action
            continued += bool(started.max() <= begin)
        old_contacts = set(next_day["base_frames"]["contacts"]["contact_id"])
        new_signups = fresh[(fresh["type"] == "trial_signup")]
        assert not new_signups["contact_id"].isin(set(before.loc[
            before["type"] == "trial_signup", "contact_id"])).any()  # a first trial
        for contact_id in set(new_signups["contact_id"]) & old_contacts:
            assert 1 <= (keys["contact_id"] == contact_id).sum() <= 2, contact_id
        history.append(next_day[frames_key])
    assert continued >= 1  # usage went on for a contact whose trial began on an earlier day


def test_accounts_and_campaigns_are_believable(derived: dict[str, Any]) -> None:
    """docs/funnel_rules.md §8, §9 need data: colleagues share a business domain, job titles show
    buying roles, and campaigns are a skewed mix that matches the kind of touch."""
    contacts = derived["frames"]["contacts"]
    good = contacts[contacts["contact_id"] != ""].drop_duplicates("contact_id")
    domains = good["email"].str.strip().str.lower().str.split("@").str[-1]
    business = domains[domains.str.contains(".", regex=False)
                       & ~domains.isin(PERSONAL_DOMAINS)]
    people = business.value_counts()
    assert (people >= 2).sum() >= 50 and (people >= 5).any()   # many accounts of several people
    titles = good["job_title"].str.lower()
    assert titles.str.contains("vp|chief|ceo|cto|cmo|founder|director|head of").any()
    assert titles.str.contains("manager|engineer|analyst").any()

    events = derived["frames"]["engagement_events"]
    events = events.assign(_type=events["event_type"].str.strip().str.lower(),
                           _campaign=events["campaign_id"].str.strip())
    tagged = events[events["_campaign"] != ""]
    slug = tagged["_campaign"].str.replace(r"^CMP-\d{4}-", "", regex=True)
    assert slug[tagged["_type"].str.startswith("webinar")].str.startswith("webinar-").all()
    assert slug[tagged["_type"] == "demo_request"].isin(
        [name for name, _ in campaigns.PAID_CAMPAIGNS]).all()
    # Hand-raisers often come from a paid landing page (45%), page views rarely (10%).
    demos = events[events["_type"] == "demo_request"]
    views = events[events["_type"] == "page_view"]
    assert (demos["_campaign"] != "").mean() > 0.3 > 0.15 > (views["_campaign"] != "").mean()
    # Skewed budgets: the top e-mail campaign (18 of 59 slots) beats the smallest (6 of 59).
    emails = slug[tagged["_type"] == "email_open"].value_counts()
    assert emails["newsletter"] > 2 * emails["winback"]
