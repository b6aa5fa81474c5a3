"""Time opening the deal pipeline kanban on many deals, add-on vs stock crm.

Both measurements run in the same process on the same database and data:

* stock: the kanban arch of crm alone (the add-on's inheriting views switched
  off inside a rolled-back savepoint) and the column aggregates of stock crm
  (expected_revenue and recurring_revenue_monthly sums);
* add-on: the kanban arch as the add-on ships it, with the weighted value
  (prorated_revenue) summed per column and its extra card fields (is_stalled,
  deal currency and amount).

"Opening the kanban" is what the web client asks for: ``web_read_group`` on
stage_id with the column aggregates, then the first page (40 cards) of every
column with ``web_search_read`` and the card fields. The median of --repeat
runs is reported, as the admin user.

Usage (the database needs crm_client_suite installed, without demo)::

    odoo -d ccs_h4_bench --addons-path=~/.cache/crm_client_suite/addons -i crm_client_suite \
        --without-demo=all --stop-after-init
    /opt/odoo-venv/bin/python bench/pipeline_kanban.py --db ccs_h4_bench \ --size 100000

The deals are inserted once with SQL (re-runs top the table up to --size).
"""

import argparse
import statistics
import time
from contextlib import contextmanager

from benchlib import addons_path
from lxml import etree

import odoo
from odoo.modules import module
from odoo.tools import SQL, config

DOMAIN = [("type", "=", "opportunity")]
PAGE = 40


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", default=addons_path())
    parser.add_argument("--size", type=int, default=100_000, help="number of deals")
    parser.add_argument("--repeat", type=int, default=7)
    return parser.parse_args()


def insert_deals(env, size):
    """Top crm_lead up to ``size`` opportunities in one INSERT ... SELECT."""
    env.cr.execute(SQL("SELECT count(*) FROM crm_lead WHERE type = 'opportunity'"))
    missing = size - env.cr.fetchone()[0]
    if missing <= 0:
        return 0
    Stage = env["crm.stage"]
    stages = Stage.search([("team_id", "=", False)])
    open_stages = stages.filtered(lambda s: not s.is_lost)
    users = env["res.users"].search([("share", "=", False)], limit=20)
    teams = env["crm.team"].search([])
    currencies = (env.ref("base.EUR") | env.ref("base.USD")).ids
    env.ref("base.EUR").active = True
    company = env.company
    env.flush_all()
    env.cr.execute(
        SQL(
            """
            INSERT INTO crm_lead (
                name, type, active, stage_id, user_id, team_id, company_id, priority,
                currency_id, amount_currency, expected_revenue, probability, automated_probability,
                prorated_revenue, recurring_revenue, recurring_revenue_monthly, color,
                date_last_stage_update, date_last_activity, date_open, create_date, write_date,
                create_uid, write_uid)
            SELECT 'Bench deal ' || g,
                   'opportunity',
                   TRUE,
                   (%(stages)s::int[])[1 + mod(g, cardinality(%(stages)s::int[]))],
                   (%(users)s::int[])[1 + mod(g, cardinality(%(users)s::int[]))],
                   (%(teams)s::int[])[1 + mod(g, cardinality(%(teams)s::int[]))],
                   %(company)s,
                   mod(g, 4)::text,
                   (%(currencies)s::int[])[1 + mod(g, 2)],
                   mod(g, 997) * 100,
                   mod(g, 997) * 100,
                   10 + mod(g, 5) * 20,
                   10 + mod(g, 5) * 20,
                   mod(g, 997) * (10 + mod(g, 5) * 20),
                   0, 0, 0,
                   now() - mod(g, 90) * interval '1 day',
                   now() - mod(g, 90) * interval '1 day',
                   now() - mod(g, 120) * interval '1 day',
                   now() - mod(g, 120) * interval '1 day',
                   now(),
                   1, 1
              FROM generate_series(1, %(missing)s) g
            """,
            stages=open_stages.ids,
            users=users.ids,
            teams=teams.ids or [None],
            company=company.id,
            currencies=currencies,
            missing=missing,
        )
    )
    env.cr.execute(SQL("ANALYZE crm_lead"))
    env.invalidate_all()
    return missing


@contextmanager
def stock_views(env):
    """The crm.lead views as stock crm has them: the add-on's inheriting views off."""
    env.cr.execute(SQL("SAVEPOINT stock_views"))
    views = env["ir.ui.view"].search(
        [("model", "=", "crm.lead"), ("inherit_id", "!=", False), ("mode", "=", "extension")]
    )
    ours = views.filtered(lambda v: v.xml_id.startswith("crm_client_suite."))
    ours.active = False
    env.registry.clear_cache("default", "templates")
    try:
        yield
    finally:
        env.cr.execute(SQL("ROLLBACK TO SAVEPOINT stock_views"))
        env.invalidate_all()
        env.registry.clear_cache("default", "templates")


def kanban_request(env):
    """The specification and aggregates the web client derives from the kanban arch."""
    Lead = env["crm.lead"]
    arch = Lead.get_views([(False, "kanban")])["views"]["kanban"]["arch"]
    root = etree.fromstring(arch)
    spec = {}
    for node in root.iter("field"):
        name = node.get("name")
        field = Lead._fields.get(name)
        if not field:
            continue
        if field.type in ("many2one", "many2many", "one2many"):
            sub = {"display_name": {}}
            if field.type == "many2many" and "color" in env[field.comodel_name]._fields:
                sub["color"] = {}
            spec[name] = {"fields": sub}
        else:
            spec[name] = {}
    progressbar = root.find(".//progressbar")
    aggregates = []
    for attr in ("sum_field", "recurring_revenue_sum_field", "weighted_revenue_sum_field"):
        if progressbar is not None and progressbar.get(attr):
            aggregates.append(f"{progressbar.get(attr)}:sum")
    return spec, aggregates


def open_kanban(env, spec, aggregates):
    Lead = env["crm.lead"]
    groups = Lead.web_read_group(DOMAIN, aggregates, ["stage_id"], lazy=True)
    for group in groups["groups"]:
        stage = group["stage_id"]
        stage_domain = [("stage_id", "=", stage and stage[0])]
        Lead.web_search_read(DOMAIN + stage_domain, spec, limit=PAGE, order="priority desc, id desc")
    return groups


def measure(env, requests, repeat):
    """Median time of each request, interleaved (ABAB...) so that neither side
    benefits from caches warmed by the other or suffers from a cold start."""
    for spec, aggregates in requests:
        open_kanban(env, spec, aggregates)  # warm caches
    timings = [[] for _request in requests]
    for _i in range(repeat):
        for index, (spec, aggregates) in enumerate(requests):
            env.invalidate_all()
            start = time.perf_counter()
            open_kanban(env, spec, aggregates)
            timings[index].append(time.perf_counter() - start)
    return [statistics.median(values) for values in timings]


def main():
    args = parse_args()
    config.parse_config(["-d", args.db, "--addons-path", args.addons_path, "--log-level", "warn"])
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        start = time.perf_counter()
        inserted = insert_deals(env, args.size)
        cr.commit()
        print(f"inserted {inserted} deals in {time.perf_counter() - start:.1f}s")

        admin = env.ref("base.user_admin")
        user_env = env(user=admin)
        total = env["crm.lead"].search_count(DOMAIN)

        with stock_views(user_env):
            stock_spec, stock_aggregates = kanban_request(user_env)
        suite_spec, suite_aggregates = kanban_request(user_env)
        stock, suite = measure(user_env, [(stock_spec, stock_aggregates), (suite_spec, suite_aggregates)], args.repeat)

        print(f"deals: {total}")
        print(f"stock crm: {len(stock_spec)} fields, aggregates {stock_aggregates}: {stock * 1000:.1f} ms")
        print(f"add-on:    {len(suite_spec)} fields, aggregates {suite_aggregates}: {suite * 1000:.1f} ms")

        # The stalled-deal cron on the same data, rolled back (no commit between batches).
        module.current_test = True
        try:
            cr.execute(SQL("SAVEPOINT cron"))
            start = time.perf_counter()
            alerted = env["crm.lead"]._cron_notify_stalled()
            cron = time.perf_counter() - start
            cr.execute(SQL("ROLLBACK TO SAVEPOINT cron"))
        finally:
            module.current_test = False
        print(f"stalled cron: {alerted} deals alerted in {cron:.1f}s")
        cr.rollback()

    print(
        f"RESULT name=pipeline_kanban size={total} stock_ms={stock * 1000:.1f} "
        f"addon_ms={suite * 1000:.1f} cron_stalled_s={cron:.1f} cron_alerted={alerted} "
        f"ratio={suite / stock:.2f}"
    )


if __name__ == "__main__":
    main()
