"""The peer baseline: what an analyst without Shopsight does, in pandas.

It reads the landing files as they are (every complete delivery, no warehouse), keeps the latest
version of each order and session, resolves people through the identity links, and computes
three marts: the executive overview, the mobile share and the experiment results, with the
column names of the KPI catalogue. Written the way a competent analyst would (vectorised
pandas, scipy for the statistics), not deliberately slow; it skips what the product adds
(contract checks, quarantine, tests, history), so it is a generous baseline.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from shopsight.settings import REPO_ROOT

SHANGHAI_OFFSET = pd.Timedelta(hours=8)  # Asia/Shanghai has had no DST since 1991
WIRELESS = ("mobile_app", "mobile_web", "mini_program")
Z_975 = stats.norm.ppf(0.975)


def _complete_files(landing: Path, source: str, entity: str, ext: str) -> list[tuple[str, Path]]:
    """(dt, file) for every data file of every dt folder that has its _SUCCESS marker."""
    out: list[tuple[str, Path]] = []
    for folder in sorted((landing / source / entity).glob("dt=*")):
        if (folder / "_SUCCESS").exists():
            dt = folder.name.removeprefix("dt=")
            out.extend((dt, f) for f in sorted(folder.glob(f"*.{ext}")))
    return out


def _read_all(files: list[tuple[str, Path]], read: Callable[[Path], pd.DataFrame]) -> pd.DataFrame:
    frames = []
    for dt, path in files:
        frame = read(path)
        frame["_dt"] = dt
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _csv(landing: Path, source: str, entity: str) -> pd.DataFrame:
    return _read_all(
        _complete_files(landing, source, entity, "csv"),
        lambda p: pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""]),
    )


def _jsonl(landing: Path, source: str, entity: str) -> pd.DataFrame:
    return _read_all(
        _complete_files(landing, source, entity, "jsonl"),
        lambda p: pd.read_json(p, lines=True, dtype=False),
    )


def _parquet(landing: Path, source: str, entity: str) -> pd.DataFrame:
    return _read_all(_complete_files(landing, source, entity, "parquet"), pd.read_parquet)


def _instant(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, format="ISO8601")


def _business_date(instants: pd.Series) -> pd.Series:
    return (instants.dt.tz_convert(None) + SHANGHAI_OFFSET).dt.normalize()


def _latest_snapshot(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["_dt"] == frame["_dt"].max()]


def _counted_orders(landing: Path) -> pd.DataFrame:
    orders = _csv(landing, "sales", "orders")
    orders["updated_at"] = _instant(orders["updated_at"])
    orders = orders.sort_values(["updated_at", "_dt"]).drop_duplicates("order_id", keep="last")
    orders = orders[orders["status"].isin(["paid", "refunded"])].copy()
    orders["order_ts"] = _instant(orders["order_ts"])
    orders["date"] = _business_date(orders["order_ts"])
    orders["amount"] = orders["order_amount"].astype(float)
    orders["online"] = orders["terminal"] != "offline_pos"
    orders["wireless"] = orders["terminal"].isin(WIRELESS)
    return orders


def _sessions(landing: Path) -> pd.DataFrame:
    sessions = _parquet(landing, "channel", "sessions")
    sessions = sessions.sort_values("_dt").drop_duplicates("session_id", keep="last")
    sessions["session_start_ts"] = pd.to_datetime(sessions["session_start_ts"], utc=True)
    sessions["date"] = _business_date(sessions["session_start_ts"])
    return sessions


def _content_viewers(landing: Path) -> pd.DataFrame:
    """(date, person) of every content view, people resolved through the identity links."""
    events = _jsonl(landing, "content", "content_events")
    events = events.sort_values("_dt").drop_duplicates("event_id", keep="first")
    views = events[events["event_type"] == "view"].copy()
    links = _parquet(landing, "channel", "identity_links")
    links = links.sort_values(["linked_at", "_dt"]).drop_duplicates(
        ["platform", "platform_user_id"], keep="last"
    )
    views = views.merge(
        links[["platform", "platform_user_id", "buyer_id"]],
        on=["platform", "platform_user_id"],
        how="left",
    )
    views["person"] = views["buyer_id"].fillna(views["platform"] + ":" + views["platform_user_id"])
    views["date"] = _business_date(_instant(views["event_ts"]))
    return views[["date", "person"]]


def overview(landing: Path, orders: pd.DataFrame, sessions: pd.DataFrame) -> pd.DataFrame:
    sales = orders.groupby("date").agg(
        gmv=("amount", "sum"),
        orders=("order_id", "size"),
        buyers=("buyer_id", "nunique"),
    )
    sales["net_sales"] = sales["gmv"] - orders[orders["status"] == "refunded"].groupby("date")[
        "amount"
    ].sum().reindex(sales.index, fill_value=0.0)
    sales["online_gmv"] = orders[orders["online"]].groupby("date")["amount"].sum()
    sales["wireless_gmv"] = orders[orders["wireless"]].groupby("date")["amount"].sum()
    sales[["online_gmv", "wireless_gmv"]] = sales[["online_gmv", "wireless_gmv"]].fillna(0.0)

    converting = set(orders["session_id"].dropna())
    sessions = sessions.assign(converting=sessions["session_id"].isin(converting))
    traffic = sessions.groupby("date").agg(visitors=("visitor_id", "nunique"))
    traffic["converting_visitors"] = (
        sessions[sessions["converting"]].groupby("date")["visitor_id"].nunique()
    )
    traffic["converting_visitors"] = traffic["converting_visitors"].fillna(0).astype(int)

    content = _content_viewers(landing).groupby("date").agg(content_uv=("person", "nunique"))
    festivals = pd.read_csv(REPO_ROOT / "seeds" / "festivals.csv", parse_dates=["date"])
    festivals = festivals.groupby("date")["festival_name"].agg(", ".join).rename("festival")

    out = sales.join(traffic, how="outer").join(content, how="left").join(festivals, how="left")
    for col in ("gmv", "net_sales", "online_gmv", "wireless_gmv"):
        out[col] = out[col].fillna(0.0)
    for col in ("orders", "buyers", "visitors", "converting_visitors", "content_uv"):
        out[col] = out[col].fillna(0).astype(int)
    out["aov"] = out["gmv"] / out["orders"].replace(0, np.nan)
    out["gmv_per_buyer"] = out["gmv"] / out["buyers"].replace(0, np.nan)
    out["conversion_rate"] = out["converting_visitors"] / out["visitors"].replace(0, np.nan)
    out["mobile_gmv_share"] = out["wireless_gmv"] / out["online_gmv"].replace(0, np.nan)
    return out.rename_axis("date").reset_index()


def mobile_share(landing: Path, orders: pd.DataFrame) -> pd.DataFrame:
    online = orders[orders["online"]]
    keys = ["date", "brand_id"]
    out = online.groupby(keys).agg(
        online_gmv=("amount", "sum"),
        online_orders=("order_id", "size"),
        online_buyers=("buyer_id", "nunique"),
    )
    wireless = (
        online[online["wireless"]]
        .groupby(keys)
        .agg(
            wireless_gmv=("amount", "sum"),
            wireless_orders=("order_id", "size"),
            wireless_buyers=("buyer_id", "nunique"),
        )
    )
    out = out.join(wireless, how="left")
    out["pc_gmv"] = online[online["terminal"] == "pc"].groupby(keys)["amount"].sum()
    out = out.fillna(0)
    for col in ("wireless_orders", "wireless_buyers"):
        out[col] = out[col].astype(int)
    out["mobile_gmv_share"] = out["wireless_gmv"] / out["online_gmv"].replace(0, np.nan)
    out["mobile_order_share"] = out["wireless_orders"] / out["online_orders"]
    out["mobile_buyer_share"] = out["wireless_buyers"] / out["online_buyers"]
    brands = _latest_snapshot(_csv(landing, "reference", "brands"))
    brands = brands.drop_duplicates("brand_id", keep="last")[["brand_id", "category"]]
    return out.reset_index().merge(brands, on="brand_id", how="left")


def experiment_results(landing: Path, orders: pd.DataFrame, sessions: pd.DataFrame) -> pd.DataFrame:
    experiments = _latest_snapshot(_csv(landing, "reference", "experiments"))
    experiments = experiments.drop_duplicates("experiment_id", keep="last").copy()
    experiments["start_ts"] = _instant(experiments["start_ts"])
    experiments["end_ts"] = _instant(experiments["end_ts"])

    s = sessions[sessions["experiment_id"].notna()].merge(experiments, on="experiment_id")
    s = s[(s["session_start_ts"] >= s["start_ts"]) & (s["session_start_ts"] <= s["end_ts"])]
    unit_key = ["experiment_id", "visitor_id"]
    firsts = s.sort_values(["session_start_ts", "session_id"]).drop_duplicates(unit_key)

    online_orders = orders[orders["online"]]
    converters = s[s["session_id"].isin(set(online_orders["session_id"].dropna()))][unit_key]
    firsts = firsts.merge(
        converters.drop_duplicates().assign(converter=True), on=unit_key, how="left"
    )
    firsts["converter"] = firsts["converter"].fillna(False).astype(bool)

    prior = firsts[firsts["buyer_id"].notna()][[*unit_key, "buyer_id", "start_ts"]].merge(
        orders[["buyer_id", "order_ts"]], on="buyer_id"
    )
    prior = prior[
        (prior["order_ts"] < prior["start_ts"])
        & (prior["order_ts"] >= prior["start_ts"] - pd.Timedelta(days=365))
    ]
    firsts = firsts.merge(
        prior[unit_key].drop_duplicates().assign(returning=True), on=unit_key, how="left"
    )
    firsts["segment"] = np.where(firsts["returning"].fillna(False).astype(bool), "returning", "new")

    counts = pd.concat(
        [
            firsts.groupby(["experiment_id", "variant", "segment"]).agg(
                visitors=("visitor_id", "size"), converters=("converter", "sum")
            ),
            firsts.assign(segment="all")
            .groupby(["experiment_id", "variant", "segment"])
            .agg(visitors=("visitor_id", "size"), converters=("converter", "sum")),
        ]
    )
    # Every planned variant in every segment, even with nobody in it.
    weights = {
        (row.experiment_id, variant): float(weight)
        for row in experiments.itertuples()
        for variant, weight in json.loads(row.allocation).items()
    }
    variants = set(weights) | set(zip(firsts["experiment_id"], firsts["variant"], strict=True))
    grid = pd.MultiIndex.from_tuples(
        [(e, v, seg) for e, v in sorted(variants) for seg in ("all", "new", "returning")],
        names=["experiment_id", "variant", "segment"],
    )
    cells = counts.reindex(grid, fill_value=0).reset_index()
    cells["conversion_rate"] = cells["converters"] / cells["visitors"].replace(0, np.nan)

    cells = cells.merge(experiments[["experiment_id", "control_variant"]])
    control = cells[cells["variant"] == cells["control_variant"]][
        ["experiment_id", "segment", "visitors", "converters", "conversion_rate"]
    ].rename(columns={"visitors": "n_c", "converters": "x_c", "conversion_rate": "p_c"})
    out = cells.merge(control, on=["experiment_id", "segment"], how="left")
    treated = out["variant"] != out["control_variant"]
    p, pc = out["conversion_rate"], out["p_c"]
    # Zero counts make a statistic undefined: NaN, never an infinity.
    n, nc = out["visitors"].replace(0, np.nan), out["n_c"].replace(0, np.nan)
    x, xc = out["converters"].replace(0, np.nan), out["x_c"].replace(0, np.nan)
    abs_lift = p - pc
    se_abs = np.sqrt(p * (1 - p) / n + pc * (1 - pc) / nc)
    rel_lift = p / pc.replace(0, np.nan) - 1
    se_log = np.sqrt((1 - p) / x + (1 - pc) / xc)
    pooled = (out["converters"] + out["x_c"]) / (n + nc)
    se_pooled = np.sqrt(pooled * (1 - pooled) * (1 / n + 1 / nc)).replace(0, np.nan)
    z = abs_lift / se_pooled
    lifts = {
        "abs_lift": abs_lift,
        "abs_lift_ci_low": abs_lift - Z_975 * se_abs,
        "abs_lift_ci_high": abs_lift + Z_975 * se_abs,
        "rel_lift": rel_lift,
        "rel_lift_ci_low": np.exp(np.log(rel_lift + 1) - Z_975 * se_log) - 1,
        "rel_lift_ci_high": np.exp(np.log(rel_lift + 1) + Z_975 * se_log) - 1,
        "p_value": pd.Series(2 * stats.norm.sf(np.abs(z)), index=out.index),
    }
    for col, values in lifts.items():
        out[col] = values.where(treated)

    srm: dict[str, float] = {}
    for exp_id, group in out[out["segment"] == "all"].groupby("experiment_id"):
        planned = group[[(exp_id, v) in weights for v in group["variant"]]]
        expected = np.array([weights[(exp_id, v)] for v in planned["variant"]])
        observed = planned["visitors"].to_numpy(dtype=float)
        if observed.sum() > 0:
            srm[exp_id] = float(stats.chisquare(observed, expected * observed.sum()).pvalue)
    is_all = out["segment"] == "all"
    out["srm_p_value"] = out["experiment_id"].map(srm).where(is_all)
    out["srm_flag"] = (out["srm_p_value"] < 0.001).where(is_all & out["srm_p_value"].notna())
    return out.drop(columns=["control_variant", "n_c", "x_c", "p_c"])


def run(landing: Path) -> dict[str, pd.DataFrame]:
    """The three marts computed from the landing zone, keyed by their mart names."""
    orders = _counted_orders(landing)
    sessions = _sessions(landing)
    return {
        "kpi_overview_daily": overview(landing, orders, sessions),
        "kpi_mobile_share_daily": mobile_share(landing, orders),
        "kpi_experiment_results": experiment_results(landing, orders, sessions),
    }
