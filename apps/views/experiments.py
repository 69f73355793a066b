"""Experiments: per experiment, variants x segments with conversion, lift, its 95% interval,
the p-value, and a clear warning when the sample ratio is off (SRM)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from apps import charts, queries, ui
from apps import format as fmt

ALPHA = 0.05


def render(ctx: ui.PageContext) -> None:
    snap = ctx.snap
    st.title("Experiments")
    st.caption("Whole experiment windows; the date filter does not apply here.")
    ui.marketplace_note()
    exps = queries.experiment_list(snap)
    if exps.empty:
        ui.empty("No experiment results in this snapshot.")
        return
    info = exps.set_index("experiment_id")

    def label(exp: str) -> str:
        row = info.loc[exp]
        text = f"{row['experiment_name']} ({exp})"
        if pd.notna(row["start_date"]):
            text += f" · {row['start_date']:%Y-%m-%d} – {row['end_date']:%Y-%m-%d}"
        return text + ("  ⚠ SRM" if row["srm_flag"] else "")

    exp_id = st.selectbox("Experiment", list(info.index), key="experiment_id", format_func=label)
    results = queries.experiment_results(snap, exp_id)
    overall = results[results["segment"] == "all"]
    srm_p = overall["srm_p_value"].dropna()
    if bool(overall["srm_flag"].fillna(False).any()):
        st.error(
            f"**Sample ratio mismatch.** Visitors per variant differ from the planned allocation "
            f"(chi-square p = {srm_p.min():.2g} < 0.001). Assignment or logging is broken, so the "
            "lifts below are not trustworthy until the cause is found.",
            icon=":material/warning:",
        )
    elif not srm_p.empty:
        st.success(f"Sample ratio as planned (SRM check p = {srm_p.min():.3f}).")

    treated = results[~results["is_control"].astype(bool) & results["abs_lift"].notna()]
    if not treated.empty:
        overall_treated = treated[treated["segment"] == "all"]
        ui.kpi_row(
            [
                ui.Kpi(
                    f"Lift of {row.variant}",
                    f"{row.abs_lift * 100:+.2f} pp",
                    help=f"Relative lift {fmt.percent(row.rel_lift, 1)} "
                    f"(95% interval {fmt.percent(row.rel_lift_ci_low, 1)} to "
                    f"{fmt.percent(row.rel_lift_ci_high, 1)}).",
                    note=(
                        f"95% CI {row.abs_lift_ci_low * 100:+.2f} to "
                        f"{row.abs_lift_ci_high * 100:+.2f} pp · p = {row.p_value:.4f}"
                    ),
                )
                for row in overall_treated.itertuples()
            ],
            per_row=3,
        )
        st.subheader("Absolute lift vs control, with 95% intervals")
        ui.chart(charts.lift_intervals(treated))

    significant = results["p_value"].lt(ALPHA).where(results["p_value"].notna())
    ui.table(
        results.assign(significant=significant),
        f"experiment {exp_id}",
        column_config={
            "p_value": st.column_config.NumberColumn(format="%.4f"),
            "srm_p_value": st.column_config.NumberColumn(format="%.4g"),
        },
    )
    st.caption(
        "Unit: the visitor, in the variant of their first session in the experiment. Lift and "
        "intervals are against the control of the same segment (normal approximation; the "
        "relative interval by the delta method); p-values from a pooled two-proportion z-test."
    )


render(ui.page_context("experiments"))
