"""Data health: the latest run, freshness per source, quarantine, failed checks, validations."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from apps import charts, queries, ui


def render(ctx: ui.PageContext) -> None:
    f, snap = ctx.filters, ctx.snap
    st.title("Data health")
    pub = ctx.publish
    runs = queries.runs(snap)
    latest = runs.iloc[0] if not runs.empty else None
    cols = st.columns(4)
    cols[0].metric("Published", f"{pub['published_at']:%Y-%m-%d}" if pub else "–")
    cols[1].metric("Data through", f"{pub['data_through']:%Y-%m-%d}" if pub else "–")
    cols[2].metric("Latest run", str(latest["status"]) if latest is not None else "–")
    seconds = latest["seconds"] if latest is not None else None
    cols[3].metric("Run time", f"{seconds:.0f} s" if pd.notna(seconds) else "–")
    if pub:
        st.caption(
            f"Snapshot of run `{pub.get('run_id')}` published "
            f"{pub['published_at']:%Y-%m-%d %H:%M} UTC, data {pub['data_from']:%Y-%m-%d} to "
            f"{pub['data_through']:%Y-%m-%d}. A snapshot is published only after every gate "
            "passed."
        )
    ui.table(runs, "runs", ctx=None)

    st.subheader("Freshness per source")
    fresh = queries.freshness(snap)
    ui.table(fresh, "freshness", ctx=None)
    behind = fresh[fresh["days_behind"].fillna(0) > 0]
    failed = fresh[fresh["failed_partitions"] > 0]
    if not behind.empty:
        st.warning(
            "Behind the newest delivery: "
            + ", ".join(f"{r.source} ({r.days_behind} d)" for r in behind.itertuples())
        )
    if not failed.empty:
        st.error(
            "Failed partitions: "
            + ", ".join(f"{r.source} ({r.failed_partitions})" for r in failed.itertuples())
        )

    st.subheader("Quarantined rows by reason")
    st.caption(f"Deliveries dated {f.start:%Y-%m-%d} – {f.end:%Y-%m-%d}.")
    quarantine = queries.quarantine_by_reason(snap, f.start, f.end)
    if quarantine.empty:
        st.success("No quarantined rows in this period.")
    else:
        ui.chart(charts.count_bars(quarantine, "reason_code", "rows", color="entity"))
        ui.table(quarantine, "quarantine", ctx=ctx)

    st.subheader("Validation results of the latest run")
    summary = queries.check_summary(snap)
    if summary.empty:
        ui.empty("No check results recorded.")
    else:
        ui.table(summary, "validation results", ctx=None)

    st.subheader("Failed checks")
    failed_checks = queries.failed_checks(snap)
    if failed_checks.empty:
        st.success("No failed checks recorded.")
    else:
        errors = int((failed_checks["severity"] == "error").sum())
        warns = int((failed_checks["severity"] == "warn").sum())
        st.caption(f"{errors} blocking failures and {warns} warnings in the recorded runs.")
        ui.table(failed_checks, "failed checks", ctx=None)


render(ui.page_context("data_health"))
