"""The generator: contract, determinism, and a manifest that is exactly true of the files.

The manifest is re-derived here independently, from the CSVs, with a small pandas
implementation of the SPEC §3 row checks and version folding."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lead_funnel import contract
from lead_funnel import generator as g
from lead_funnel.generator import GeneratorConfig, generate_to_dir

from conftest import SMALL

TRUE = {"true", "1", "yes"}
KNOWN_ACTIVITY = set(contract.ACTIVITY_TYPES)
KEYS = {"contacts": "contact_id", "engagement_events": "event_id",
        "sales_activities": "activity_id", "opportunities": "opportunity_id"}
REQUIRED_TS = {"contacts": "created_at", "engagement_events": "occurred_at",
               "sales_activities": "occurred_at", "opportunities": "created_at"}


def read(directory: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(directory / f"{table}.csv", dtype=str, keep_default_na=False,
                       na_filter=False)


def _parse_iso(text: str) -> datetime | None:
    """SPEC §2 reading, independent of the code under test and of the pandas version: ISO-8601
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
    """Every SPEC §3 check as an independent flag column, in SPEC order."""
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


def test_manifest_is_true_of_the_files(small_manifest: dict[str, Any],
                                       derived: dict[str, Any]) -> None:
    for key in ("raw_rows", "expected_staged", "expected_folded_duplicates",
                "expected_quarantine"):
        assert derived[key] == {
            t: ({r: n for r, n in v.items() if n} if isinstance(v, dict) else v)
            for t, v in small_manifest[key].items()}, key
    assert derived["deleted_contacts"] == small_manifest["deleted_contacts"]
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
    seconds = np.array([g.parse_as_of("2025-03-01T10:00:00Z")] * 400, dtype=np.int64)
    texts = g._timestamps(rng, seconds).to_pylist()
    plus_two = [t for t in texts if t.endswith("+02:00")]
    assert plus_two and all(t == "2025-03-01T12:00:00+02:00" for t in plus_two)
    for text in texts:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if parsed.tzinfo is None:  # no offset: UTC
            parsed = parsed.replace(tzinfo=g.timezone.utc)
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
    personal = emails.str.split("@").str[-1].isin(g.PERSONAL_DOMAINS)
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
