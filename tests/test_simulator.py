"""The simulator: determinism, the contract (audited independently), faults, planted truths, CLI.

Planted truths are measured by reading the landing files with DuckDB (the way a consumer would),
not by trusting truth.json; where truth.json states a realized figure, the test checks that the
files say the same.
"""

from __future__ import annotations

import csv
import hashlib
import json
import statistics
import subprocess
import sys
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest

from shopsight import contract
from shopsight.cli import main as cli_main
from shopsight.settings import REPO_ROOT
from shopsight.simulator import simulate
from tests.contract_checker import audit

SHANGHAI = ZoneInfo(contract.BUSINESS_TIMEZONE)
ROW_FAULT_KINDS = {
    "bad_type",
    "bad_enum",
    "missing_required",
    "items_not_reconciled",
    "late_beyond_window",
}


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def faulty_landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A year at scale 0.01 with --faults 0.01."""
    root = tmp_path_factory.mktemp("sim_faults")
    truth = simulate(root / "landing", date(2015, 1, 1), 365, 0.01, 11, faults=0.01)
    return root / "landing", truth


def _connect(landing: Path) -> duckdb.DuckDBPyConnection:
    """Views over the landing files, read as any consumer of the contract would."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    channel = landing / "channel"

    def csv(entity: str) -> str:
        e = contract.entity(entity)
        return f"read_csv('{landing}/{e.key}/*/*.csv', all_varchar = true, filename = true)"

    con.execute(f"""
        create view orders as
        select * replace (order_ts::timestamptz as order_ts, updated_at::timestamptz as updated_at,
                          order_amount::decimal(18, 2) as order_amount)
        from {csv("orders")}
    """)
    con.execute("""
        create view counted as
        select *, timezone('Asia/Shanghai', order_ts)::date as d,
               terminal <> 'offline_pos' as is_online,
               terminal in ('mobile_app', 'mobile_web', 'mini_program') as is_wireless
        from (
            select * from orders qualify row_number() over (
                partition by order_id order by updated_at desc) = 1)
        where status in ('paid', 'refunded')
    """)
    con.execute(f"""
        create view items as select * replace (quantity::bigint as quantity,
            unit_price::decimal(18, 2) as unit_price) from {csv("order_items")}
    """)
    con.execute(f"""
        create view shipments as select * replace (shipped_ts::timestamptz as shipped_ts,
            promised_delivery_ts::timestamptz as promised_delivery_ts,
            delivered_ts::timestamptz as delivered_ts, updated_at::timestamptz as updated_at)
        from {csv("shipments")}
    """)
    con.execute(
        f"create view sessions as select * from read_parquet('{channel}/sessions/*/*.parquet')"
    )
    con.execute(
        f"create view links as select * from read_parquet('{channel}/identity_links/*/*.parquet')"
    )
    con.execute(f"""
        create view events as select * replace (event_ts::timestamptz as event_ts)
        from read_json('{landing}/content/content_events/*/*.jsonl', format = 'newline_delimited',
            columns = {{event_id: 'VARCHAR', event_ts: 'VARCHAR', platform: 'VARCHAR',
                       platform_user_id: 'VARCHAR', content_id: 'VARCHAR', event_type: 'VARCHAR',
                       sku_id: 'VARCHAR', dwell_seconds: 'BIGINT'}})
    """)
    con.execute("""
        create view persons as
        select e.*, coalesce(l.buyer_id, e.platform || ':' || e.platform_user_id) as person
        from events e left join links l using (platform, platform_user_id)
    """)
    return con


@pytest.fixture(scope="session")
def landing_db(simulated_landing: tuple[Path, dict[str, Any]]) -> duckdb.DuckDBPyConnection:
    return _connect(simulated_landing[0])


def _daily_gmv(con: duckdb.DuckDBPyConnection) -> dict[date, float]:
    return dict(
        con.execute("select d, sum(order_amount)::double from counted group by d").fetchall()
    )


def _file_hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# --- the contract ------------------------------------------------------------------------------


def test_clean_landing_zone_passes_the_contract_checker(simulated_landing):
    landing, truth = simulated_landing
    report = audit(landing)
    assert report.layout == []
    assert report.unreadable == []
    assert report.schema_drift == []
    assert report.duplicates == []
    assert report.rows == [], report.rows[:10]
    assert {e: v["rows"] for e, v in truth["entities"].items()} == report.landed
    assert {e: v["files"] for e, v in truth["entities"].items()} == report.files


def test_a_clean_run_has_no_faults_of_any_kind(truth):
    assert truth["params"]["faults"] == 0
    for key in ("faults", "duplicates", "schema_drift", "truncated_files"):
        assert truth[key] == []


def test_checker_finds_exactly_the_injected_faults(faulty_landing):
    landing, truth = faulty_landing
    report = audit(landing)
    expected = {
        (r["entity"], r["file"], r["row_number"], r["reason"])
        for f in truth["faults"]
        for r in f["expected_rows"]
    }
    assert report.row_keys() == expected
    assert sorted(report.duplicates) == sorted(
        (d["entity"], d["file"], d["row_number"]) for d in truth["duplicates"]
    )
    assert sorted(report.schema_drift) == sorted(
        (d["entity"], d["file"], d["column"]) for d in truth["schema_drift"]
    )
    assert [(e, dt, f) for e, dt, f, _ in report.unreadable] == [
        (t["entity"], t["dt"], t["file"]) for t in truth["truncated_files"]
    ]
    # Each fault's own row carries its reason, where the truth says it is.
    own = {(f["entity"], f["file"], f["row_number"], f["expected_reason"]) for f in truth["faults"]}
    assert own <= report.row_keys()


def test_faults_are_spread_over_kinds_and_entities(faulty_landing):
    _, truth = faulty_landing
    faults = truth["faults"]
    assert 200 <= len(faults) <= 1000  # "a few hundred" at --faults 0.01 and --scale 0.01
    assert {f["kind"] for f in faults} == ROW_FAULT_KINDS
    for kind in ROW_FAULT_KINDS - {"items_not_reconciled"}:
        assert len({f["entity"] for f in faults if f["kind"] == kind}) >= 3, kind
    assert len({d["entity"] for d in truth["duplicates"]}) >= 3
    assert {d["file"].rsplit(".", 1)[1] for d in truth["schema_drift"]} == {
        "csv",
        "jsonl",
        "parquet",
    }
    assert len(truth["truncated_files"]) == 1
    cascaded = [f for f in faults if f["entity"] == "order_items"]
    assert all(any(r["entity"] == "orders" for r in f["expected_rows"]) for f in cascaded)


def test_realized_truth_excludes_rows_that_should_not_load(faulty_landing):
    """truth.json's daily GMV is over the rows that load: the files minus the quarantine."""
    landing, truth = faulty_landing
    bad = {(r["file"], r["row_number"]) for f in truth["faults"] for r in f["expected_rows"]}
    latest: dict[str, dict[str, str]] = {}
    skipped = 0
    for path in sorted((landing / "sales" / "orders").glob("*/*.csv")):
        rel = path.relative_to(landing).as_posix()
        with path.open(newline="") as f:
            for n, rec in enumerate(csv.DictReader(f), start=1):
                if (rel, n) in bad:
                    skipped += 1
                    continue
                seen = latest.get(rec["order_id"])
                updated = datetime.fromisoformat(rec["updated_at"])
                if seen is None or datetime.fromisoformat(seen["updated_at"]) < updated:
                    latest[rec["order_id"]] = rec
    assert skipped > 50
    gmv: dict[str, Decimal] = defaultdict(Decimal)
    for rec in latest.values():
        if rec["status"] in ("paid", "refunded"):
            local = datetime.fromisoformat(rec["order_ts"]).astimezone(SHANGHAI)
            gmv[local.date().isoformat()] += Decimal(rec["order_amount"])
    for day, values in truth["daily"].items():
        assert float(gmv.get(day, 0)) == pytest.approx(values["gmv"], abs=0.005), day


# --- determinism, layout, CLI ------------------------------------------------------------------


def test_same_arguments_give_byte_identical_files(tmp_path):
    args = (date(2015, 10, 20), 30, 0.01, 3)
    simulate(tmp_path / "a" / "landing", *args, faults=0.02)
    simulate(tmp_path / "b" / "landing", *args, faults=0.02)
    first, second = _file_hashes(tmp_path / "a"), _file_hashes(tmp_path / "b")
    assert len(first) > 300 and "truth.json" in first
    assert first == second
    simulate(tmp_path / "c" / "landing", *args[:3], 4, faults=0.02)
    assert _file_hashes(tmp_path / "c") != first


def test_short_run_is_complete_and_resolvable(tmp_path):
    landing = tmp_path / "landing"
    truth = simulate(landing, date(2016, 3, 1), 90, 0.01, 5)
    assert audit(landing).clean
    for e in contract.ENTITIES:
        folders = sorted(p.name for p in (landing / e.source / e.name).iterdir())
        assert folders[0] == "dt=2016-03-01", e.key  # every feed delivers from the first day
        if not e.snapshot:
            assert len(folders) == 90, e.key
    assert len(truth["daily"]) == 90
    assert truth["experiments"] == {}  # no experiment window inside these 90 days


def test_volumes_are_linear_in_scale(tmp_path):
    small = simulate(tmp_path / "s" / "landing", date(2015, 3, 1), 28, 0.01, 9)
    big = simulate(tmp_path / "b" / "landing", date(2015, 3, 1), 28, 0.03, 9)
    for entity in ("orders", "order_items", "sessions", "content_events"):
        ratio = big["entities"][entity]["rows"] / small["entities"][entity]["rows"]
        assert 2.5 < ratio < 3.5, (entity, ratio)


def test_truth_json_lands_beside_the_landing_zone_by_default(tmp_path):
    simulate(tmp_path / "data" / "landing", date(2015, 1, 1), 2, 0.01, 1)
    assert (tmp_path / "data" / "truth.json").exists()
    custom = tmp_path / "elsewhere" / "t.json"
    simulate(tmp_path / "x" / "landing", date(2015, 1, 1), 2, 0.01, 1, truth_path=custom)
    assert json.loads(custom.read_text())["params"]["days"] == 2
    assert not (tmp_path / "x" / "truth.json").exists()


def test_cli_help_and_a_tiny_run(tmp_path, capsys):
    helped = subprocess.run(
        [sys.executable, "-m", "shopsight.cli", "simulate", "--help"],
        capture_output=True, text=True, cwd=REPO_ROOT, check=False,
    )  # fmt: skip
    assert helped.returncode == 0
    for option in ("--out", "--start", "--days", "--scale", "--seed", "--faults", "--truth"):
        assert option in helped.stdout
    code = cli_main(
        ["simulate", "--out", str(tmp_path / "landing"), "--days", "3", "--scale", "0.01",
         "--start", "2016-11-10", "--faults", "0.05"]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "rows/s" in out and "sessions" in out and "faults:" in out
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth["params"] == {
        "start": "2016-11-10", "days": 3, "scale": 0.01, "seed": 7, "faults": 0.05,
    }  # fmt: skip
    assert cli_main(["simulate", "--out", str(tmp_path / "l2"), "--days", "0"]) == 2


# --- planted truths, measured from the files ---------------------------------------------------


def test_double_11_2015_wireless_share_is_68_percent(landing_db, truth):
    online, wireless = landing_db.execute("""
        select sum(order_amount) filter (where is_online),
               sum(order_amount) filter (where is_wireless)
        from counted where d = date '2015-11-11'
    """).fetchone()
    share = float(wireless / online)
    assert share == pytest.approx(0.68, abs=0.01)
    assert truth["daily"]["2015-11-11"]["wireless_gmv_share"] == pytest.approx(share, abs=1e-6)


def test_wireless_share_rises_and_tracks_the_planted_target(landing_db, truth):
    rows = landing_db.execute("""
        select year(d),
               sum(order_amount) filter (where is_wireless)
               / sum(order_amount) filter (where is_online)
        from counted group by 1 order by 1
    """).fetchall()
    shares = dict(rows)
    assert 0.5 < shares[2015] < shares[2016] < 0.85
    assert (
        truth["daily"]["2016-11-11"]["wireless_gmv_share"]
        > truth["daily"]["2015-11-11"]["wireless_gmv_share"]
    )
    errors = [
        abs(v["wireless_gmv_share"] - v["planted_wireless_share"])
        for v in truth["daily"].values()
        if v["wireless_gmv_share"] is not None
    ]
    assert statistics.median(errors) < 0.01


def test_festival_peaks_and_dips_are_roughly_as_planted(landing_db, truth):
    gmv = _daily_gmv(landing_db)
    festival_days = {date.fromisoformat(f["date"]) for f in truth["festivals"]}

    def ordinary_around(day: date) -> float:
        near = [day + timedelta(days=k) for k in range(-14, 15) if k]
        return statistics.median(gmv[d] for d in near if d not in festival_days and d in gmv)

    planted = {(f["date"], f["festival"]): f["planted_multiplier"] for f in truth["festivals"]}
    for (day, name), mult in planted.items():
        d = date.fromisoformat(day)
        ratio = gmv[d] / ordinary_around(d)
        if name == "double_11":
            assert 0.6 * mult < ratio < 1.5 * mult, (day, ratio)
        elif name == "618":
            assert 0.5 * mult < ratio < 1.8 * mult, (day, ratio)
        elif name == "spring_festival" and mult <= 0.5:
            assert ratio < 0.85, (day, ratio)
    assert {"double_11", "618", "double_12", "spring_festival", "brand_day"} <= {
        n for _, n in planted
    }


def test_weekly_rhythm_and_growth(landing_db):
    by_weekday = dict(
        landing_db.execute("""
        select isodow(d), count(*) from counted
        where d not in (select unnest([date '2015-11-11', date '2016-11-11'])) group by 1
    """).fetchall()
    )
    assert by_weekday[1] > by_weekday[5]  # Mondays busier than Fridays
    by_year = dict(
        landing_db.execute("select year(d), count(*) from counted group by 1").fetchall()
    )
    assert 8_500 < by_year[2015] < 11_500  # ~1M counted orders a year at scale 1
    assert by_year[2016] > 1.2 * by_year[2015]


def test_truth_daily_figures_match_the_files(landing_db, truth):
    measured = {
        d.isoformat(): (n, float(g), float(net))
        for d, n, g, net in landing_db.execute("""
            select d, count(*), sum(order_amount), sum(order_amount) filter (where status = 'paid')
            from counted group by d
        """).fetchall()
    }
    for day, v in truth["daily"].items():
        n, g, net = measured[day]
        assert (v["counted_orders"], v["gmv"], v["net_sales"]) == (
            n,
            pytest.approx(g),
            pytest.approx(net),
        )


def test_content_product_uv_more_than_doubles(landing_db, truth):
    uv = dict(
        landing_db.execute("""
        select year(timezone('Asia/Shanghai', event_ts)), count(distinct person)
        from persons where event_type = 'product_click' group by 1
    """).fetchall()
    )
    assert uv[2016] / uv[2015] > 2
    assert truth["content"]["yearly"]["2015"]["content_product_uv"] == uv[2015]
    assert truth["content"]["yearly"]["2016"]["content_product_uv"] == uv[2016]
    assert truth["content"]["planted_product_uv_growth"] > 2
    linked = landing_db.execute("select avg((person not like '%:%')::int) from persons").fetchone()[
        0
    ]
    assert 0.05 < linked < 0.9  # some content people are known buyers, many are not


def test_product_clicks_lead_to_orders_of_the_clicked_sku(landing_db):
    attributed, lines = landing_db.execute("""
        with clicks as (
            select person, sku_id, event_ts from persons where event_type = 'product_click'),
        lines as (select c.order_id, c.buyer_id, c.order_ts, i.sku_id
                  from counted c join items i using (order_id) where c.terminal <> 'offline_pos')
        select count(distinct l.order_id) filter (where exists (
                   select 1 from clicks k where k.person = l.buyer_id and k.sku_id = l.sku_id
                   and k.event_ts between l.order_ts - interval 7 day and l.order_ts)),
               count(distinct l.order_id)
        from lines l
    """).fetchone()
    assert 0.03 < attributed / lines < 0.2


def test_creators_and_followers_grow(simulated_landing):
    landing, _ = simulated_landing
    rows = duckdb.execute(f"""
        select c.kind, s.dt, sum(s.followers), min(s.followers)
        from read_json('{landing}/content/creator_stats/*/*.jsonl') s
        join (select * from read_csv('{landing}/reference/creators/*/*.csv')
              qualify row_number() over (partition by creator_id order by filename desc) = 1) c
          using (creator_id)
        where s.dt in (date '2015-01-01', date '2016-12-31') group by all order by all
    """).fetchall()
    by_kind: dict[str, list[tuple[int, int]]] = {}
    for kind, _, total, smallest in rows:
        by_kind.setdefault(kind, []).append((total, smallest))
    assert set(by_kind) == set(contract.CREATOR_KINDS)
    for kind, ((first, _), (last, _)) in by_kind.items():
        assert last > first, kind
    assert min(s for s in [m for v in by_kind["net_red"] for m in [v[1]]]) >= 100


def test_experiment_results_follow_the_planted_lift(landing_db, truth):
    for exp_id, exp in truth["experiments"].items():
        measured = landing_db.execute(f"""
            with s as (select * from sessions where experiment_id = '{exp_id}'),
            first as (select visitor_id, variant, buyer_id, session_start_ts from s
                      qualify row_number() over (
                          partition by visitor_id order by session_start_ts, session_id) = 1),
            seg as (select f.*, exists (select 1 from counted c where c.buyer_id = f.buyer_id
                        and c.order_ts < '{exp["start_ts"]}'::timestamptz
                        and c.order_ts >= '{exp["start_ts"]}'::timestamptz - interval 365 day)
                        as is_returning
                    from first f),
            conv as (select distinct s.visitor_id from s join counted c using (session_id)
                     where c.terminal <> 'offline_pos')
            select variant, is_returning, count(*), count(conv.visitor_id)
            from seg left join conv using (visitor_id) group by all
        """).fetchall()
        total = sum(n for _, _, n, _ in measured)
        for variant, returning, visitors, converters in measured:
            segment = "returning" if returning else "new"
            realized = exp["realized"][variant][segment]
            assert (realized["visitors"], realized["converters"]) == (visitors, converters)
            p = exp["planted_conversion"][variant][segment]
            sd = (visitors * p * (1 - p)) ** 0.5
            assert abs(converters - visitors * p) < 4 * sd + 1, (exp_id, variant, segment)
        control = sum(n for v, _, n, _ in measured if v == exp["control"])
        assert control / total == pytest.approx(exp["allocation"][exp["control"]], abs=0.05)
        rate = {
            v: exp["realized"][v]["all"]["converters"] / exp["realized"][v]["all"]["visitors"]
            for v in exp["allocation"]
        }
        assert rate["personalized_advanced"] > rate["control"]
        ret = exp["realized"]["control"]
        assert ret["returning"]["converters"] / ret["returning"]["visitors"] > (
            ret["new"]["converters"] / ret["new"]["visitors"]
        )
    assert set(truth["experiments"]) == {"exp_d11_venue_2015", "exp_d11_venue_2016"}


def test_omnichannel_fulfilment_and_shipping(landing_db, truth):
    shares = dict(
        (y, (store, pickup, offline))
        for y, store, pickup, offline in landing_db.execute("""
            select year(d),
                   avg((fulfilment in ('store_ship', 'store_pickup'))::int)
                       filter (where is_online),
                   avg((fulfilment = 'store_pickup')::int) filter (where is_online),
                   sum(order_amount) filter (where terminal = 'offline_pos') / sum(order_amount)
            from counted group by 1
        """).fetchall()
    )
    assert 0 < shares[2015][0] < shares[2016][0] < 0.15
    assert 0 < shares[2015][1] < shares[2016][1]
    assert 0.003 < shares[2015][2] < shares[2016][2] < 0.08
    within_1h, p50, on_time, d11_within = landing_db.execute("""
        with s as (select * from shipments qualify row_number() over (
                       partition by order_id order by updated_at desc) = 1),
        o as (select c.d, date_diff('second', c.order_ts, s.shipped_ts) / 60.0 as minutes,
                     s.delivered_ts <= s.promised_delivery_ts as on_time, s.delivered_ts
              from counted c join s using (order_id))
        select avg((minutes <= 60)::int), quantile_cont(minutes, 0.5),
               avg(on_time::int) filter (where delivered_ts is not null),
               avg((minutes <= 60)::int) filter (where d = date '2015-11-11')
        from o
    """).fetchone()
    assert 0.6 < within_1h < 0.9 and p50 < 60
    assert 0.7 < on_time < 0.99
    assert d11_within < within_1h - 0.15  # Double 11 backlog
    day = truth["omnichannel"]["daily"]["2016-06-01"]
    assert day["online_orders"] > 0 and 0 <= day["shipped_within_1h_share"] <= 1
    omni = landing_db.execute("""
        select count(*) from (select buyer_id from counted group by 1
            having bool_or(terminal = 'offline_pos') and bool_or(terminal <> 'offline_pos'))
    """).fetchone()[0]
    assert omni > 20  # buyers who shop both online and in stores


def test_orders_sessions_and_identities_connect(landing_db):
    bad = landing_db.execute("""
        select count(*) from orders o left join sessions s using (session_id)
        where o.terminal <> 'offline_pos' and (s.session_id is null or s.buyer_id <> o.buyer_id)
    """).fetchone()[0]
    assert bad == 0  # every online order happens in a logged-in session of its buyer
    assert (
        landing_db.execute(
            "select count(*) from orders where terminal = 'offline_pos' and session_id is not null"
        ).fetchone()[0]
        == 0
    )
    unlinked = landing_db.execute("""
        select count(*) from sessions s left join links l
          on l.platform = 'taobao' and l.platform_user_id = s.visitor_id
        where s.buyer_id is not null and l.buyer_id is distinct from s.buyer_id
    """).fetchone()[0]
    assert unlinked == 0  # a logged-in visitor's taobao id resolves to that buyer
    anonymous = landing_db.execute("select avg((buyer_id is null)::int) from sessions").fetchone()[
        0
    ]
    assert 0.2 < anonymous < 0.8


def test_refunds_cancellations_and_late_data(landing_db, simulated_landing):
    refunds = landing_db.execute("""
        select count(*), bool_and(r.updated_at > p.updated_at and r.filename > p.filename)
        from orders r join orders p using (order_id)
        where r.status = 'refunded' and p.status = 'paid'
    """).fetchone()
    assert refunds[0] > 100 and refunds[1]  # a second, later version in a later delivery
    share = landing_db.execute("select avg((status = 'cancelled')::int) from orders").fetchone()[0]
    assert 0.01 < share < 0.1
    lateness = landing_db.execute("""
        select max(date_diff('day', timezone('Asia/Shanghai', updated_at)::date,
                   regexp_extract(filename, 'dt=([0-9-]+)', 1)::date))
        from orders
    """).fetchone()[0]
    assert 1 <= lateness <= contract.LATE_DATA_DAYS  # some late data, all inside the window


def test_dormant_buyers_come_back(landing_db, truth):
    gaps = landing_db.execute("""
        select count(*) from (
            select d - lag(d) over (partition by buyer_id order by d) as gap from counted)
        where gap > 180
    """).fetchone()[0]
    assert gaps > 50
    assert sum(m["reactivated"] for k, m in truth["lifecycle"].items() if k.startswith("2016")) > 0
    assert truth["lifecycle"]["2016-12"]["dormant"] > 0
    assert 0.1 < truth["lifecycle"]["2016-12"]["repeat_purchase_rate"] < 0.9


def test_distributions_are_skewed(landing_db, simulated_landing):
    mean, median, p99 = landing_db.execute(
        "select avg(order_amount)::double, median(order_amount)::double, "
        "quantile_cont(order_amount, 0.99)::double from counted"
    ).fetchone()
    assert mean > 1.2 * median and p99 > 6 * median  # log-normal order values
    top = landing_db.execute("""
        select sum(n) filter (where rk <= 5) / sum(n) from (
            select brand_id, count(*) as n, row_number() over (order by count(*) desc) as rk
            from counted group by 1)
    """).fetchone()[0]
    assert 0.2 < top < 0.7  # a few big brands
    landing, _ = simulated_landing
    buyers = f"read_csv('{landing}/reference/buyers/*/*.csv', all_varchar = true)"
    tiers = {t for (t,) in duckdb.execute(f"select distinct city_tier from {buyers}").fetchall()}
    assert tiers == set(contract.CITY_TIERS)


def test_timestamps_use_several_offsets(simulated_landing):
    landing, _ = simulated_landing
    text = (landing / "sales/orders/dt=2015-11-11/marketplace.csv").read_text()
    assert "+08:00" in text and "Z," in text
    assert '"' in (landing / "reference/brands/dt=2015-01-01/brands.csv").read_text()  # RFC 4180


def test_landing_contract_doc_matches_the_contract():
    doc = (REPO_ROOT / "docs" / "landing-contract.md").read_text()
    for e in contract.ENTITIES:
        assert f"`{e.key}`" in doc, e.key
        for c in e.columns:
            assert f"`{c.name}`" in doc, (e.key, c.name)
            for value in c.enum or ():
                assert f"`{value}`" in doc, (e.key, c.name, value)
        for rule in e.rules:
            assert f"`{rule.code}`" in doc, rule.code
    for code in contract.REASON_CODES:
        assert f"`{code}`" in doc, code
