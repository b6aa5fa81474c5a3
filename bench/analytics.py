"""Time the sales analytics reports and dashboard against hand-written SQL and stock crm.lead.

Builds, once, with ``generate_series``: --contacts clients, --deals opportunities
and about --history stage-history rows (each deal walks the pipeline from its
first stage, some loop back, some are won or lost), and the stage summary the
add-on keeps when deals move, folded from that history in SQL. Re-runs reuse the
data when the sizes match.

Then, for each figure, in the same process on the same data, the median of
--repeat runs of:

* the add-on: the report's ``_read_group`` as the pivot/graph/dashboard asks it
  (as the admin user);
* hand SQL: the query a developer would write for the same figure on the same
  tables (the summary for stage figures, crm_lead for outcomes, crm_lead's
  kept snapshots of the summary for the ranking's closing and creating owner,
  the client acquisitions and won values per month for CAC);
* stock: the closest ``crm.lead`` ``_read_group`` stock Odoo offers, where one
  exists (stock has no stage conversion, time in stage or ranking).

The last line is ``RESULT name=analytics ... ratio=<worst add-on / hand SQL>``.

Usage (the database needs crm_client_suite installed, without demo)::

    createdb -T ccs_tested ccs_bench
    /opt/odoo-venv/bin/python bench/analytics.py --db ccs_bench --deals 100000 --history 500000 --contacts 100000
"""

import argparse
import statistics
import time

from benchlib import addons_path

import odoo
from odoo.tools import SQL, config

YEAR = ("2025-01-01", "2026-01-01")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", default=addons_path())
    parser.add_argument("--deals", type=int, default=2000)
    parser.add_argument("--history", type=int, default=10000, help="about this many stage-history rows")
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--cases", default="", help="comma-separated figures to time (default: all, the dashboard included)"
    )
    return parser.parse_args()


def build(env, deals, history, contacts):
    """(Re)build the bench data unless it is already there at this size."""
    cr = env.cr
    cr.execute(SQL("SELECT count(*) FROM crm_lead WHERE name LIKE 'Analytics bench %%'"))
    existing = cr.fetchone()[0]
    if existing == deals:
        return False
    if existing:
        # deleting a million partners checks every foreign key to them: start from a fresh copy
        raise SystemExit(f"{existing} bench deals already in {env.cr.dbname}: run on a fresh copy of the database.")
    stages = env["crm.stage"].search([("is_lost", "=", False)], order="sequence, id")
    open_stages = stages.filtered(lambda s: not s.is_won).ids
    won = stages.filtered("is_won")[:1].id
    lost = env["crm.stage"].search([("is_lost", "=", True)], limit=1).id
    for i in range(20 - env["res.users"].search_count([("share", "=", False)])):
        env["res.users"].create({"name": f"Analytics bench user {i}", "login": f"analytics_bench_{i}"})
    users = env["res.users"].search([("share", "=", False)], limit=20).ids
    while len(env["crm.team"].search([])) < 4:
        env["crm.team"].create({"name": f"Analytics bench team {len(env['crm.team'].search([]))}"})
    teams = env["crm.team"].search([]).ids
    sources = [env["utm.source"].create({"name": f"Analytics bench source {i}"}).id for i in range(8)]
    company = env.company.id
    env.flush_all()
    # mean stays per deal: m; a deal g has k = 1 + mod(g, 2m - 1) open-stage stays (cycling
    # through the open stages), then a won stay (one deal in three with k >= open stages),
    # a lost stay (one in three), or stays open.
    mean = max(1, round(history / max(deals, 1)))
    params = {
        "deals": deals,
        "contacts": contacts,
        "open": open_stages,
        "won": won,
        "lost": lost,
        "users": users,
        "teams": teams,
        "sources": sources,
        "company": company,
        "span": 2 * mean - 1,
        "step": 3,
    }
    cr.execute(
        SQL(
            """
            INSERT INTO res_partner (name, complete_name, is_company, active, type, company_id,
                                     crm_client_type, autopost_bills, create_date, write_date, create_uid, write_uid)
            SELECT 'Analytics bench client ' || g, 'Analytics bench client ' || g, TRUE, TRUE, 'contact',
                   %(company)s, (ARRAY['prospect', 'active', 'partner'])[1 + mod(g, 3)], 'ask',
                   now(), now(), 1, 1
              FROM generate_series(1, %(contacts)s) g
            """,
            **params,
        )
    )
    cr.execute(
        SQL(
            "UPDATE res_partner SET commercial_partner_id = id "
            "WHERE name LIKE 'Analytics bench client %%' AND commercial_partner_id IS NULL"
        )
    )
    cr.execute(SQL("SELECT min(id) FROM res_partner WHERE name LIKE 'Analytics bench client %%'"))
    first_partner = cr.fetchone()[0]
    # deals: path length k, outcome o (0 open, 1 won, 2 lost), created over two years
    cr.execute(
        SQL(
            """
            CREATE TEMP TABLE bench_deal AS
            SELECT g, 1 + mod(g, %(span)s) AS k,
                   CASE WHEN mod(g, 3) = 0 AND 1 + mod(g, %(span)s) >= cardinality(%(open)s::int[]) THEN 1
                        WHEN mod(g, 3) = 1 THEN 2 ELSE 0 END AS o,
                   timestamp '2024-07-01' + mod(g::bigint * 7919, 540) * interval '1 day' AS created
              FROM generate_series(1, %(deals)s) g
            """,
            **params,
        )
    )
    cr.execute(
        SQL(
            """
            INSERT INTO crm_lead (name, type, active, stage_id, user_id, team_id, company_id, partner_id,
                                  source_id, currency_id, amount_currency, expected_revenue, probability,
                                  date_closed, date_deadline, create_date, write_date, create_uid, write_uid,
                                  date_last_stage_update, date_last_activity)
            SELECT 'Analytics bench ' || d.g, 'opportunity', d.o <> 2,
                   CASE d.o WHEN 1 THEN %(won)s WHEN 2 THEN %(lost)s
                        ELSE (%(open)s::int[])[1 + mod(d.k - 1, cardinality(%(open)s::int[]))] END,
                   (%(users)s::int[])[1 + mod(d.g, cardinality(%(users)s::int[]))],
                   (%(teams)s::int[])[1 + mod(d.g, cardinality(%(teams)s::int[]))],
                   %(company)s,
                   %(first_partner)s + mod(d.g, %(contacts)s),
                   (%(sources)s::int[])[1 + mod(d.g, cardinality(%(sources)s::int[]))],
                   c.currency_id, 100 * (1 + mod(d.g, 997)), 100 * (1 + mod(d.g, 997)),
                   CASE d.o WHEN 1 THEN 100 WHEN 2 THEN 0 ELSE 10 + mod(d.g, 8) * 10 END,
                   CASE WHEN d.o > 0 THEN d.created + (d.k + 1) * %(step)s * interval '1 day' END,
                   (d.created + mod(d.g, 300) * interval '1 day')::date,
                   d.created, d.created, 1, 1, d.created, d.created
              FROM bench_deal d, res_company c
             WHERE c.id = %(company)s
             ORDER BY d.g
            """,
            first_partner=first_partner,
            **params,
        )
    )
    cr.execute(
        SQL(
            """
            CREATE TEMP TABLE bench_lead AS
            SELECT l.id, d.k, d.o, d.created, l.user_id, l.team_id
              FROM crm_lead l JOIN bench_deal d ON l.name = 'Analytics bench ' || d.g
            """
        )
    )
    # history: k open-stage stays then the final won/lost stay
    cr.execute(
        SQL(
            """
            INSERT INTO crm_deal_stage_history (lead_id, stage_id, next_stage_id, team_id, user_id, company_id,
                                                date_in, date_out, duration_days,
                                                create_date, write_date, create_uid, write_uid)
            SELECT b.id, s.stage, s.next_stage, b.team_id, b.user_id, %(company)s,
                   b.created + s.i * %(step)s * interval '1 day',
                   CASE WHEN s.next_stage IS NOT NULL THEN b.created + (s.i + 1) * %(step)s * interval '1 day' END,
                   CASE WHEN s.next_stage IS NOT NULL THEN %(step)s END,
                   now(), now(), 1, 1
              FROM bench_lead b
        CROSS JOIN LATERAL (
                SELECT i,
                       CASE WHEN i < b.k THEN (%(open)s::int[])[1 + mod(i, cardinality(%(open)s::int[]))]
                            WHEN b.o = 1 THEN %(won)s ELSE %(lost)s END AS stage,
                       CASE WHEN i + 1 < b.k THEN (%(open)s::int[])[1 + mod(i + 1, cardinality(%(open)s::int[]))]
                            WHEN i + 1 = b.k AND b.o = 1 THEN %(won)s
                            WHEN i + 1 = b.k AND b.o = 2 THEN %(lost)s END AS next_stage
                  FROM generate_series(0, b.k - CASE WHEN b.o = 0 THEN 1 ELSE 0 END) i
            ) s
            """,
            **params,
        )
    )
    # the summary the add-on keeps on every move, folded from that history in one pass
    # (paths start at the first stage and never skip: every stay is strict)
    cr.execute(
        SQL(
            """
            INSERT INTO crm_deal_stage_summary (lead_id, stage_id, company_id, team_id, user_id,
                   date_first_in, date_last_in, date_open_in, stay_count, days_total, days_latest,
                   is_entry, is_first_stage, is_strict, advanced, advanced_strict,
                   create_date, write_date, create_uid, write_uid)
            SELECT h.lead_id, h.stage_id, %(company)s, min(h.team_id), min(h.user_id),
                   min(h.date_in), max(h.date_in), max(h.date_in) FILTER (WHERE h.date_out IS NULL), count(*),
                   COALESCE(sum(h.duration_days), 0), COALESCE(max(h.duration_days), 0),
                   h.stage_id = %(first)s, h.stage_id = %(first)s, h.stage_id <> %(lost)s,
                   bool_or(h.next_stage_id IS NOT NULL AND h.next_stage_id <> %(lost)s),
                   bool_or(h.next_stage_id IS NOT NULL AND h.next_stage_id <> %(lost)s),
                   now(), now(), 1, 1
              FROM crm_deal_stage_history h JOIN bench_lead b ON b.id = h.lead_id
          GROUP BY h.lead_id, h.stage_id
            """,
            first=open_stages[0],
            **params,
        )
    )
    env.invalidate_all()
    return True


def build_extra(env, deals, contacts):
    """The data of the contact, engagement, usage and competitor reports, unless already there:
    emails (one client in ten shares its email with another), phones, do-not-contact flags and creation
    dates spread over two years on the bench clients; one touch per deal (calls and emails in and out);
    the bench deals created and last changed by their owners; sign-ins; competitors on one deal in two."""
    cr = env.cr
    cr.execute(SQL("SELECT count(*) FROM crm_outreach WHERE summary LIKE 'Analytics bench touch %%'"))
    if cr.fetchone()[0]:
        return False
    users = env["res.users"].search([("share", "=", False), ("id", "!=", 1)], limit=20).ids
    cr.execute(
        SQL(
            """
            UPDATE res_partner
               SET email = 'bench' || mod(id, %(distinct)s) || '@example.com',
                   email_normalized = 'bench' || mod(id, %(distinct)s) || '@example.com',
                   phone = CASE WHEN mod(id, 2) = 0 THEN '+3491' || lpad(id::text, 7, '0') END,
                   crm_phone_e164 = CASE WHEN mod(id, 2) = 0 THEN '+3491' || lpad(id::text, 7, '0') END,
                   crm_no_call = mod(id, 17) = 0,
                   create_date = timestamp '2024-07-01' + mod(id::bigint * 7919, 540) * interval '1 day',
                   create_uid = (%(users)s::int[])[1 + mod(id, cardinality(%(users)s::int[]))],
                   write_uid = (%(users)s::int[])[1 + mod(id, cardinality(%(users)s::int[]))],
                   write_date = timestamp '2024-07-01' + mod(id::bigint * 7919, 540) * interval '1 day'
                                + mod(id, 4) * interval '20 days'
             WHERE name LIKE %(pattern)s
            """,
            pattern="Analytics bench client %",
            distinct=max(1, contacts * 9 // 10),
            users=users,
        )
    )
    cr.execute(
        SQL(
            """
            UPDATE crm_lead SET create_uid = user_id, write_uid = user_id,
                   write_date = create_date + mod(id, 5) * interval '9 days'
             WHERE name LIKE 'Analytics bench %%'
            """
        )
    )
    cr.execute(
        SQL(
            """
            INSERT INTO crm_outreach (date, channel, direction, outcome, summary, partner_id, client_id, user_id,
                                      company_id, create_date, write_date, create_uid, write_uid)
            SELECT l.create_date + mod(l.id, 200) * interval '1 hour',
                   CASE WHEN mod(l.id, 3) = 0 THEN 'call' ELSE 'email' END,
                   CASE WHEN mod(l.id, 2) = 0 THEN 'inbound' ELSE 'outbound' END,
                   'done', 'Analytics bench touch ' || l.id, l.partner_id, l.partner_id, l.user_id, l.company_id,
                   l.create_date, l.create_date, l.user_id, l.user_id
              FROM crm_lead l WHERE l.name LIKE 'Analytics bench %%'
            """
        )
    )
    cr.execute(
        SQL(
            """
            UPDATE res_partner p SET crm_last_contacted = t.last
              FROM (SELECT client_id, max(date) AS last FROM crm_outreach GROUP BY client_id) t
             WHERE t.client_id = p.id
            """
        )
    )
    cr.execute(
        SQL(
            """
            INSERT INTO res_users_log (create_date, write_date, create_uid, write_uid)
            SELECT timestamp '2024-07-01' + g * interval '1 day', timestamp '2024-07-01' + g * interval '1 day', u, u
              FROM generate_series(0, 539) g, unnest(%(users)s::int[]) u
             WHERE mod(g + u, 3) <> 0
            """,
            users=users,
        )
    )
    competitors = [env["crm.competitor"].create({"name": f"Analytics bench rival {i}"}).id for i in range(5)]
    env.flush_all()
    cr.execute(
        SQL(
            """
            INSERT INTO crm_competitor_crm_lead_rel (crm_lead_id, crm_competitor_id)
            SELECT l.id, (%(competitors)s::int[])[1 + mod(l.id / 2, cardinality(%(competitors)s::int[]))]
              FROM crm_lead l WHERE l.name LIKE %(pattern)s AND mod(l.id, 2) = 0
            """,
            pattern="Analytics bench %",
            competitors=competitors,
        )
    )
    env.invalidate_all()
    return True


def build_cac(env):
    """The spend and churn of the CAC and CLTV figures, unless already there: a sales cost per month,
    team and source over the two years, and one bench client in twenty become past clients in 2025."""
    cr = env.cr
    cr.execute(SQL("SELECT count(*) FROM crm_sales_cost WHERE name = 'Analytics bench cost'"))
    if cr.fetchone()[0]:
        return False
    cr.execute(
        SQL(
            """
            INSERT INTO crm_sales_cost (name, date, team_id, amount, currency_id, company_id, source_id,
                                        create_date, write_date, create_uid, write_uid)
            SELECT 'Analytics bench cost', m::date, t.id, 500 + mod(t.id * 31 + s.id * 7, 400), c.currency_id,
                   c.id, s.id, now(), now(), 1, 1
              FROM generate_series(timestamp '2024-07-01', timestamp '2026-06-01', interval '1 month') m,
                   crm_team t, utm_source s, res_company c
             WHERE s.name LIKE %s AND c.id = %s
            """,
            "Analytics bench source %",
            env.company.id,
        )
    )
    cr.execute(
        SQL(
            """
            UPDATE res_partner SET crm_client_type = 'past', crm_date_past = date '2025-01-01' + mod(id, 365)
             WHERE name LIKE 'Analytics bench client %%' AND mod(id, 20) = 0
            """
        )
    )
    env.invalidate_all()
    return True


def vacuum(registry):
    """VACUUM ANALYZE the tables read (outside a transaction), as autovacuum would after the load."""
    with registry.cursor() as cr:
        cr._cnx.autocommit = True
        for table in (
            "res_partner",
            "crm_lead",
            "crm_deal_stage_history",
            "crm_deal_stage_summary",
            "crm_outreach",
            "res_users_log",
            "crm_competitor_crm_lead_rel",
            "crm_sales_cost",
            "crm_client_acquisition",
            "crm_client_won_month",
            "crm_deal_analytics_daily",
            "crm_deal_analytics_pending",
        ):
            cr.execute(SQL("VACUUM ANALYZE %s", SQL.identifier(table)))
        cr._cnx.autocommit = False


def usage_events_sql(updates=True):
    """Hand SQL of the CRM usage events: ``(u, a, d)`` per record created (and changed since) in the six
    areas, and per sign-in."""
    areas = [
        ("contacts", "res_partner", "(is_company OR parent_id IS NOT NULL)"),
        ("deals", "crm_lead", "TRUE"),
        ("activities", "mail_activity", "res_model IN ('res.partner', 'crm.lead')"),
        ("outreach", "crm_outreach", "TRUE"),
        ("imports", "crm_import_job", "TRUE"),
        ("automation", "crm_automation_run", "TRUE"),
    ]
    parts = []
    for area, table, where in areas:
        parts.append(
            SQL("SELECT create_uid AS u, %s AS a, create_date AS d FROM %s WHERE " + where, area, SQL.identifier(table))
        )
        if updates:
            parts.append(
                SQL(
                    "SELECT write_uid, %s, write_date FROM %s WHERE "
                    + where
                    + " AND write_date > create_date + interval '1 second'",
                    area,
                    SQL.identifier(table),
                )
            )
    if updates:
        parts.append(SQL("SELECT create_uid, 'login', create_date FROM res_users_log"))
    return SQL(" UNION ALL ").join(parts)


def closed_figures_sql(low, high):
    """Hand SQL of the dashboard's closed-deal KPIs of a period."""
    return SQL(
        """
        SELECT sum(CASE WHEN w THEN l.expected_revenue ELSE 0 END), count(*),
               avg(CASE WHEN w THEN 100.0 ELSE 0 END),
               100.0 * sum(CASE WHEN w THEN l.expected_revenue ELSE 0 END) / NULLIF(sum(l.expected_revenue), 0),
               avg(CASE WHEN w THEN l.expected_revenue END),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY CASE WHEN w THEN l.expected_revenue END),
               avg(CASE WHEN w THEN EXTRACT(EPOCH FROM (l.date_closed - l.create_date)) / 86400 END),
               percentile_cont(0.5) WITHIN GROUP (
                   ORDER BY CASE WHEN w THEN EXTRACT(EPOCH FROM (l.date_closed - l.create_date)) / 86400 END),
               percentile_cont(0.9) WITHIN GROUP (
                   ORDER BY CASE WHEN w THEN EXTRACT(EPOCH FROM (l.date_closed - l.create_date)) / 86400 END),
               sum(w::int)
          FROM crm_lead l JOIN crm_stage s ON s.id = l.stage_id
         CROSS JOIN LATERAL (SELECT l.active AND COALESCE(s.is_won, FALSE) AS w) x
         WHERE l.type = 'opportunity' AND l.date_closed >= %s AND l.date_closed < %s
        """,
        low,
        high,
    )


def cac_sql(low, high, by_source):
    """Hand SQL of the CAC figures the dashboard shows: the new clients of the period by source
    (``by_source``), or spend ÷ new clients and CLTV by month. A client is acquired with its first won
    deal; its revenue is its won deal value (the bench has no invoices), its months run from then to
    its churn or today. Spend in company currency (the bench company has one). Like the stage figures
    read the stage summary, these read what the add-on keeps as deals move: the client acquisitions
    (first won deal, churn) and the won value per client and month, with the client's acquisition month."""
    client = """
        client AS (SELECT client_id, month AS m, source_id, churn_month AS churn FROM crm_client_acquisition)
    """
    if by_source:
        return SQL(
            "WITH " + client + " SELECT source_id, count(*) FROM client WHERE m >= %s AND m < %s "
            "GROUP BY 1 ORDER BY 2 DESC",
            low,
            high,
        )
    return SQL(
        "WITH "
        + client
        + """,
        cohort AS (SELECT m, churn, count(*) AS n FROM client GROUP BY 1, 2),
        today AS (SELECT date_trunc('month', now())::date AS m),
        fact AS (
            SELECT date_trunc('month', date)::date AS m, amount AS spend, 0 AS new, 0.0 AS revenue,
                   0 AS active, 0 AS churned FROM crm_sales_cost
            UNION ALL SELECT date_trunc('month', date)::date, amount, 0, 0.0, 0, 0 FROM crm_campaign_cost
            UNION ALL SELECT m, 0.0, n, 0.0, 0, 0 FROM cohort
            UNION ALL SELECT w.month, 0.0, 0, w.amount, 0, 0
                        FROM crm_client_won_month w
                       WHERE w.month >= w.acquired_month
            UNION ALL SELECT g::date, 0.0, 0, 0.0, n, 0
                        FROM cohort, today, generate_series(cohort.m, LEAST(COALESCE(churn, today.m), today.m),
                                                            interval '1 month') g
                       WHERE churn IS NULL OR churn >= cohort.m
            UNION ALL SELECT churn, 0.0, 0, 0.0, 0, n FROM cohort WHERE churn >= m
        )
        SELECT f.m, sum(f.spend) / NULLIF(sum(f.new), 0),
               sum(f.revenue) / NULLIF(sum(f.active), 0) * max(co.crm_gross_margin) / 100.0
                   / NULLIF(sum(f.churned)::float / NULLIF(sum(f.active), 0), 0)
          FROM fact f, res_company co
         WHERE co.id = (SELECT min(id) FROM res_company) AND f.m >= %s AND f.m < %s
      GROUP BY 1
        """,
        low,
        high,
    )


def daily_dashboard_sql(start, end, previous_start, previous_end):
    """Hand SQL of the dashboard's deal figures over the daily sums it reads (crm_deal_analytics_daily):
    closed figures of both periods, medians and percentile of the won deals, open pipeline, funnel, won
    revenue by month, ranking (won, previous won, created)."""
    # the folded sums and the differences pending, as the dashboard reads them (none pending after a fill)
    columns = (
        "kind, day, stage_id, user_id, value, deal_count, won_count, lost_count, won_amount, closed_amount, "
        "cycle_seconds, stayed_count, advanced_count, strict_count, advanced_strict_count, days_sum, days_count, "
        "pipeline_value, weighted_value"
    )
    table = (
        f"(SELECT {columns} FROM crm_deal_analytics_daily UNION ALL "
        f"SELECT {columns} FROM crm_deal_analytics_pending) daily"
    )
    return [
        SQL(
            "SELECT day >= %s, sum(won_amount), sum(deal_count), sum(won_count), sum(lost_count), "
            "sum(closed_amount), sum(cycle_seconds) FROM " + table + " "
            "WHERE kind = 'closed' AND day >= %s AND day <= %s GROUP BY 1",
            start,
            previous_start,
            end,
        ),
        SQL(
            """
            WITH d AS (SELECT kind, value, sum(deal_count) AS n FROM """
            + table
            + """
                        WHERE kind IN ('size', 'cycle') AND day >= %s AND day <= %s GROUP BY 1, 2),
                 r AS (SELECT kind, value, sum(n) OVER w - n AS first, sum(n) OVER w AS last,
                              sum(n) OVER (PARTITION BY kind) AS total
                         FROM d WINDOW w AS (PARTITION BY kind ORDER BY value)),
                 p AS (SELECT DISTINCT kind, f, f * (total - 1) AS pos FROM r, unnest(ARRAY[0.5, 0.9]::numeric[]) f)
            SELECT p.kind, p.f, lo.value + (p.pos - floor(p.pos)) * (hi.value - lo.value)
              FROM p JOIN r lo ON lo.kind = p.kind AND lo.first <= floor(p.pos) AND floor(p.pos) < lo.last
                     JOIN r hi ON hi.kind = p.kind AND hi.first <= ceil(p.pos) AND ceil(p.pos) < hi.last
            """,
            start,
            end,
        ),
        SQL("SELECT sum(pipeline_value), sum(weighted_value), sum(deal_count) FROM " + table + " WHERE kind = 'open'"),
        SQL(
            "SELECT stage_id, sum(deal_count), sum(stayed_count), sum(advanced_count), sum(strict_count), "
            "sum(advanced_strict_count), sum(days_sum), sum(days_count) FROM " + table + " "
            "WHERE kind = 'stage' AND day >= %s AND day <= %s GROUP BY 1",
            start,
            end,
        ),
        SQL(
            "SELECT date_trunc('month', day), sum(won_amount), sum(won_count), sum(lost_count) FROM " + table + " "
            "WHERE kind = 'closed' AND day >= %s AND day <= %s GROUP BY 1",
            start,
            end,
        ),
        SQL(
            "SELECT user_id, sum(won_amount), sum(won_count), sum(lost_count), sum(cycle_seconds) FROM " + table + " "
            "WHERE kind = 'rank_closed' AND day >= %s AND day <= %s AND user_id IS NOT NULL GROUP BY 1",
            start,
            end,
        ),
        SQL(
            "SELECT user_id, sum(won_amount) FROM " + table + " "
            "WHERE kind = 'rank_closed' AND day >= %s AND day <= %s GROUP BY 1",
            previous_start,
            previous_end,
        ),
        SQL(
            "SELECT user_id, sum(deal_count) FROM " + table + " "
            "WHERE kind = 'rank_created' AND day >= %s AND day <= %s AND user_id IS NOT NULL GROUP BY 1",
            start,
            end,
        ),
    ]


def stage_move(env, repeat):
    """One open bench deal moved to the next stage and back, each move its own write (rolled back):
    (ms, queries) of one move with the dashboard's daily upkeep, then without it (``crm_daily_skip``)."""
    cr = env.cr
    [(lead_id, stage_id)] = env.execute_query(
        SQL(
            """SELECT l.id, l.stage_id FROM crm_lead l JOIN crm_stage s ON s.id = l.stage_id
                WHERE l.name LIKE 'Analytics bench %%' AND l.active
                  AND NOT COALESCE(s.is_won, FALSE) AND NOT COALESCE(s.is_lost, FALSE)
             ORDER BY l.id LIMIT 1"""
        )
    )
    other = env["crm.stage"].search([("is_won", "=", False), ("is_lost", "=", False), ("id", "!=", stage_id)])[0]
    figures = []
    for context in ({}, {"crm_daily_skip": True}):
        deal = env["crm.lead"].with_context(**context).browse(lead_id)
        runs, queries = [], []
        for _i in range(repeat + 1):
            with cr.savepoint(flush=False) as savepoint:
                for target in (other.id, stage_id):
                    env.invalidate_all()
                    start, count = time.perf_counter(), cr.sql_log_count
                    deal.write({"stage_id": target})
                    env.flush_all()
                    env["crm.deal.analytics.daily"]._fold()
                    runs.append(time.perf_counter() - start)
                    queries.append(cr.sql_log_count - count)
                savepoint.rollback()
                env.invalidate_all()
        # the first pair warms the caches
        figures.append((statistics.median(runs[2:]) * 1000, statistics.median(queries[2:])))
    return figures


def timed(function, repeat):
    function()  # warm caches
    runs = []
    for _i in range(repeat):
        start = time.perf_counter()
        function()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main():
    args = parse_args()
    config.parse_config(["-d", args.db, "--addons-path", args.addons_path, "--log-level", "warn"])
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        start = time.perf_counter()
        # the partners' own triggers (the search prefixes of the partner search) would cost more than the
        # load itself and feed no report measured here: off while loading, on again before measuring
        cr.execute(SQL("ALTER TABLE res_partner DISABLE TRIGGER USER"))
        built = build(env, args.deals, args.history, args.contacts)
        built = build_extra(env, args.deals, args.contacts) or built
        built = build_cac(env) or built
        if built:
            # the client acquisitions the add-on keeps when deals are won, folded from the deals in one pass
            env["crm.client.acquisition"]._refresh()
            # and the contact analysis rows the add-on keeps when partners change (the load wrote in SQL)
            env["crm.contact.analytics"]._refresh()
        # the summary's snapshots the add-on keeps on each deal as it moves (closing and creating owner),
        # filled in one statement (also on data built before they existed)
        built = bool(env["crm.lead"]._sync_stage_snapshots()) or built
        Daily = env["crm.deal.analytics.daily"]
        if built or Daily._is_empty():
            # and the dashboard's daily sums the add-on keeps as deals change, filled in SQL as on install
            fill = time.perf_counter()
            Daily._fill()
            print(f"daily sums filled in {time.perf_counter() - fill:.1f}s")
            built = True
        cr.execute(SQL("ALTER TABLE res_partner ENABLE TRIGGER USER"))
        cr.commit()
        if built:
            vacuum(registry)
        print(f"data {'built' if built else 'reused'} in {time.perf_counter() - start:.1f}s")
        for table in (
            "crm_lead",
            "crm_deal_stage_history",
            "crm_deal_stage_summary",
            "res_partner",
            "crm_outreach",
            "res_users_log",
        ):
            cr.execute(SQL("SELECT count(*) FROM %s", SQL.identifier(table)))
            print(f"{table}: {cr.fetchone()[0]} rows")

        admin = env(user=env.ref("base.user_admin"))
        low, high = YEAR
        Funnel = admin["crm.deal.funnel.report"]
        Outcome = admin["crm.deal.outcome.report"]
        Ranking = admin["crm.salesperson.ranking.report"]
        Lead = admin["crm.lead"]
        Contacts = admin["crm.contact.report"]
        Engagement = admin["crm.client.engagement.report"]
        Usage = admin["crm.usage.report"]
        Competitor = admin["crm.deal.competitor.report"]
        touch = ("done", "replied", "meeting_booked", "not_interested")
        quarter = ("2025-10-01", "2026-01-01")

        def sql(query):
            return lambda: env.cr.execute(query) or env.cr.fetchall()

        def outcomes():
            return Outcome._read_group(
                [("date_closed", ">=", low), ("date_closed", "<", high)],
                ["user_id"],
                ["win_rate:avg", "win_rate_value:avg", "deal_size:avg", "deal_size_median:avg", "cycle_p90:avg"],
            )

        def forecast():
            return Outcome._read_group(
                [("outcome", "=", "open")], ["date_deadline:month"], ["pipeline_value:sum", "weighted_value:sum"]
            )

        cases = [
            (
                "funnel",
                lambda: Funnel._read_group(
                    [("date_first_in", ">=", low), ("date_first_in", "<", high)],
                    ["stage_id"],
                    ["deal_count:sum", "stayed_count:sum", "conversion:avg", "conversion_strict:avg"],
                ),
                sql(
                    SQL(
                        """
                        SELECT stage_id, count(*), sum((stay_count > 0)::int),
                               avg(CASE WHEN advanced THEN 100.0 ELSE 0 END),
                               avg(CASE WHEN is_strict THEN CASE WHEN advanced_strict THEN 100.0 ELSE 0 END END)
                          FROM crm_deal_stage_summary
                         WHERE date_first_in >= %s AND date_first_in < %s
                      GROUP BY stage_id
                        """,
                        low,
                        high,
                    )
                ),
                lambda: Lead._read_group(
                    [("date_last_stage_update", ">=", low), ("date_last_stage_update", "<", high)],
                    ["stage_id"],
                    ["__count"],
                ),
            ),
            (
                # grouped by month in a time zone other than UTC: the days of the daily sums are UTC days,
                # so the report's query answers (the hand SQL converts the dates the same way)
                "funnel_tz",
                lambda: Funnel.with_context(tz="Europe/Madrid")._read_group(
                    [("date_first_in", ">=", low), ("date_first_in", "<", high)],
                    ["stage_id", "date_first_in:month"],
                    ["deal_count:sum", "stayed_count:sum", "conversion:avg", "conversion_strict:avg"],
                ),
                sql(
                    SQL(
                        """
                        SELECT stage_id, date_trunc('month', timezone('Europe/Madrid', timezone('UTC', date_first_in))),
                               count(*), sum((stay_count > 0)::int),
                               avg(CASE WHEN advanced THEN 100.0 ELSE 0 END),
                               avg(CASE WHEN is_strict THEN CASE WHEN advanced_strict THEN 100.0 ELSE 0 END END)
                          FROM crm_deal_stage_summary
                         WHERE date_first_in >= %s AND date_first_in < %s
                      GROUP BY 1, 2
                        """,
                        low,
                        high,
                    )
                ),
                None,
            ),
            (
                "cumulative",
                lambda: Funnel._read_group(
                    [], ["stage_id"], ["conversion_cumulative:avg", "conversion_cumulative_strict:avg"]
                ),
                sql(
                    SQL(
                        """
                        SELECT stage_id,
                               100.0 * count(*) / sum(count(*) FILTER (WHERE is_first_stage)) OVER (),
                               100.0 * count(*) FILTER (WHERE is_strict)
                                   / sum(count(*) FILTER (WHERE is_first_stage AND is_strict)) OVER ()
                          FROM crm_deal_stage_summary GROUP BY stage_id
                        """
                    )
                ),
                None,
            ),
            (
                "time_in_stage",
                lambda: Funnel._read_group([], ["stage_id"], ["days_cumulative:avg", "days_latest_open:avg"]),
                sql(
                    SQL(
                        """
                        SELECT stage_id,
                               avg(CASE WHEN stay_count > 1 OR (stay_count = 1 AND date_open_in IS NULL)
                                        THEN days_total END),
                               avg(CASE WHEN date_open_in IS NOT NULL
                                        THEN date_part('epoch', now() at time zone 'UTC' - date_open_in) / 86400
                                        WHEN stay_count > 0 THEN days_latest END)
                          FROM crm_deal_stage_summary GROUP BY stage_id
                        """
                    )
                ),
                None,
            ),
            (
                # the same read against hand SQL over the daily sums it is answered from (sums plus pending)
                "time_in_stage_sums",
                lambda: Funnel._read_group([], ["stage_id"], ["days_cumulative:avg", "days_latest_open:avg"]),
                sql(
                    SQL(
                        """
                        SELECT stage_id, sum(days_sum) / NULLIF(sum(days_count), 0),
                               (sum(days_latest_closed_sum)
                                + (sum(open_count) * date_part('epoch', now() at time zone 'UTC')::numeric
                                   - sum(open_epoch_sum)) / 86400) / NULLIF(sum(stayed_count), 0)
                          FROM (SELECT stage_id, deal_count, days_sum, days_count, days_latest_closed_sum,
                                       open_count, open_epoch_sum, stayed_count
                                  FROM crm_deal_analytics_daily WHERE kind = 'stage'
                                 UNION ALL
                                SELECT stage_id, deal_count, days_sum, days_count, days_latest_closed_sum,
                                       open_count, open_epoch_sum, stayed_count
                                  FROM crm_deal_analytics_pending WHERE kind = 'stage') f
                      GROUP BY stage_id HAVING sum(deal_count) > 0
                        """
                    )
                ),
                None,
            ),
            (
                "outcomes",
                outcomes,
                sql(
                    SQL(
                        """
                        SELECT l.user_id,
                               avg(CASE WHEN l.active AND s.is_won THEN 100.0 ELSE 0 END),
                               100.0 * sum(CASE WHEN l.active AND s.is_won THEN l.expected_revenue ELSE 0 END)
                                   / NULLIF(sum(l.expected_revenue), 0),
                               avg(CASE WHEN l.active AND s.is_won THEN l.expected_revenue END),
                               percentile_cont(0.5) WITHIN GROUP (
                                   ORDER BY CASE WHEN l.active AND s.is_won THEN l.expected_revenue END),
                               percentile_cont(0.9) WITHIN GROUP (
                                   ORDER BY CASE WHEN l.active AND s.is_won
                                            THEN EXTRACT(EPOCH FROM (l.date_closed - l.create_date)) / 86400 END)
                          FROM crm_lead l JOIN crm_stage s ON s.id = l.stage_id
                         WHERE l.type = 'opportunity' AND l.date_closed >= %s AND l.date_closed < %s
                      GROUP BY l.user_id
                        """,
                        low,
                        high,
                    )
                ),
                lambda: Lead.with_context(active_test=False)._read_group(
                    [("date_closed", ">=", low), ("date_closed", "<", high)],
                    ["user_id"],
                    ["expected_revenue:sum", "expected_revenue:avg", "__count"],
                ),
            ),
            (
                "forecast",
                forecast,
                sql(
                    SQL(
                        """
                        SELECT date_trunc('month', l.date_deadline), sum(l.expected_revenue),
                               sum(l.expected_revenue * l.probability / 100)
                          FROM crm_lead l LEFT JOIN crm_stage s ON s.id = l.stage_id
                         WHERE l.type = 'opportunity' AND l.active AND NOT COALESCE(s.is_won, FALSE)
                           AND NOT COALESCE(s.is_lost, FALSE)
                      GROUP BY 1
                        """
                    )
                ),
                lambda: Lead._read_group(
                    [("stage_id.is_won", "=", False)],
                    ["date_deadline:month"],
                    ["expected_revenue:sum", "prorated_revenue:sum"],
                ),
            ),
            (
                "outcomes_tz",
                lambda: Outcome.with_context(tz="Europe/Madrid")._read_group(
                    [("date_closed", ">=", low), ("date_closed", "<", high)],
                    ["date_closed:month"],
                    ["won_amount:sum", "win_rate:avg"],
                ),
                sql(
                    SQL(
                        """
                        SELECT date_trunc('month', timezone('Europe/Madrid', timezone('UTC', l.date_closed))),
                               sum(CASE WHEN l.active AND s.is_won THEN l.expected_revenue ELSE 0 END),
                               avg(CASE WHEN NOT l.active OR s.is_lost THEN 0.0 WHEN s.is_won THEN 100.0 END)
                          FROM crm_lead l LEFT JOIN crm_stage s ON s.id = l.stage_id
                         WHERE l.type = 'opportunity' AND l.date_closed >= %s AND l.date_closed < %s
                      GROUP BY 1
                        """,
                        low,
                        high,
                    )
                ),
                None,
            ),
            (
                # the same reads against hand SQL over the daily sums they are answered from (sums plus
                # pending; the medians and percentile from the won deals' counts per size and cycle)
                "outcomes_sums",
                outcomes,
                sql(
                    SQL(
                        """
                        WITH f AS (SELECT kind, user_id, value, deal_count, won_count, lost_count, won_amount,
                                          closed_amount
                                     FROM crm_deal_analytics_daily
                                    WHERE kind IN ('closed', 'size', 'cycle') AND day >= %(low)s AND day < %(high)s
                                UNION ALL
                                   SELECT kind, user_id, value, deal_count, won_count, lost_count, won_amount,
                                          closed_amount
                                     FROM crm_deal_analytics_pending
                                    WHERE kind IN ('closed', 'size', 'cycle') AND day >= %(low)s AND day < %(high)s),
                             s AS (SELECT user_id, 100.0 * sum(won_count) / NULLIF(sum(won_count) + sum(lost_count), 0)
                                          AS rate,
                                          100.0 * sum(won_amount) / NULLIF(sum(closed_amount), 0) AS rate_value,
                                          sum(won_amount) / NULLIF(sum(won_count), 0) AS size
                                     FROM f WHERE kind = 'closed' GROUP BY user_id HAVING sum(deal_count) > 0),
                             d AS (SELECT kind, user_id, value, sum(deal_count) AS n FROM f
                                    WHERE kind IN ('size', 'cycle') GROUP BY 1, 2, 3 HAVING sum(deal_count) <> 0),
                             r AS (SELECT d.*, sum(n) OVER w - n AS first, sum(n) OVER w AS last,
                                          sum(n) OVER (PARTITION BY kind, user_id) AS total, lead(value) OVER w AS next
                                     FROM d WINDOW w AS (PARTITION BY kind, user_id ORDER BY value)),
                             p AS (SELECT kind, user_id,
                                          value + (pos - floor(pos))
                                              * (CASE WHEN ceil(pos) < last THEN value ELSE next END - value) AS v
                                     FROM (SELECT r.*, CASE kind WHEN 'size' THEN 0.5 ELSE 0.9 END * (total - 1) AS pos
                                             FROM r) x
                                    WHERE first <= floor(pos) AND floor(pos) < last)
                        SELECT s.user_id, s.rate, s.rate_value, s.size, ps.v, pc.v / 86400
                          FROM s
                     LEFT JOIN p ps ON ps.kind = 'size' AND ps.user_id IS NOT DISTINCT FROM s.user_id
                     LEFT JOIN p pc ON pc.kind = 'cycle' AND pc.user_id IS NOT DISTINCT FROM s.user_id
                        """,
                        low=low,
                        high=high,
                    )
                ),
                None,
            ),
            (
                "forecast_sums",
                forecast,
                sql(
                    SQL(
                        """
                        SELECT date_trunc('month', day), sum(pipeline_value), sum(weighted_value)
                          FROM (SELECT day, deal_count, pipeline_value, weighted_value
                                  FROM crm_deal_analytics_daily WHERE kind = 'open'
                             UNION ALL
                                SELECT day, deal_count, pipeline_value, weighted_value
                                  FROM crm_deal_analytics_pending WHERE kind = 'open') f
                      GROUP BY 1 HAVING sum(deal_count) > 0
                        """
                    )
                ),
                None,
            ),
            (
                "ranking",
                lambda: Ranking._read_group(
                    [("date", ">=", low), ("date", "<", high)],
                    ["user_id"],
                    ["won_amount:sum", "win_rate:avg", "cycle_days:avg", "created_count:sum"],
                    order="won_amount:sum desc",
                ),
                sql(
                    SQL(
                        """
                        SELECT user_id, sum(won), avg(rate), avg(cycle), sum(created) FROM (
                            SELECT l.crm_stage_user_id AS user_id,
                                   CASE WHEN w THEN l.expected_revenue ELSE 0 END AS won,
                                   CASE WHEN w THEN 100.0 ELSE 0 END AS rate,
                                   CASE WHEN w THEN EXTRACT(EPOCH FROM (l.date_closed - l.create_date)) / 86400
                                        END AS cycle,
                                   0 AS created
                              FROM crm_lead l JOIN crm_stage st ON st.id = l.stage_id
                             CROSS JOIN LATERAL (SELECT l.active AND COALESCE(st.is_won, FALSE) AS w) x
                             WHERE l.type = 'opportunity' AND l.date_closed >= %(low)s AND l.date_closed < %(high)s
                         UNION ALL
                            SELECT l.crm_entry_user_id, 0, NULL, NULL, 1 FROM crm_lead l
                             WHERE l.type = 'opportunity' AND l.crm_date_entry >= %(low)s
                               AND l.crm_date_entry < %(high)s
                        ) e GROUP BY user_id ORDER BY 2 DESC
                        """,
                        low=low,
                        high=high,
                    )
                ),
                lambda: Lead.with_context(active_test=False)._read_group(
                    [("date_closed", ">=", low), ("date_closed", "<", high), ("stage_id.is_won", "=", True)],
                    ["user_id"],
                    ["expected_revenue:sum"],
                    order="expected_revenue:sum desc",
                ),
            ),
            (
                "contacts_growth",
                lambda: Contacts._read_group([], ["create_date:month"], ["count:sum", "count_cumulative:sum"]),
                sql(
                    SQL(
                        """
                        SELECT date_trunc('month', create_date), count(*),
                               sum(count(*)) OVER (ORDER BY date_trunc('month', create_date))
                          FROM res_partner WHERE active AND (is_company OR parent_id IS NOT NULL)
                      GROUP BY 1
                        """
                    )
                ),
                lambda: admin["res.partner"]._read_group(
                    ["|", ("is_company", "=", True), ("parent_id", "!=", False)], ["create_date:month"], ["__count"]
                ),
            ),
            (
                "contacts_quality",
                lambda: Contacts._read_group(
                    [],
                    ["client_type"],
                    ["missing_email:sum", "missing_phone:sum", "duplicate_count:sum", "do_not_contact:sum"],
                ),
                sql(
                    SQL(
                        """
                        WITH e AS (SELECT email_normalized FROM res_partner
                                    WHERE active AND email_normalized IS NOT NULL GROUP BY 1 HAVING count(*) > 1),
                             v AS (SELECT crm_vat_normalized FROM res_partner
                                    WHERE active AND crm_vat_normalized IS NOT NULL GROUP BY 1 HAVING count(*) > 1),
                             n AS (SELECT x FROM (SELECT crm_phone_e164 AS x FROM res_partner WHERE active
                                                  UNION ALL SELECT crm_mobile_e164 FROM res_partner WHERE active) t
                                    WHERE x IS NOT NULL GROUP BY 1 HAVING count(*) > 1)
                        SELECT c.crm_client_type,
                               sum((COALESCE(p.email, '') = '')::int),
                               sum((COALESCE(p.phone, '') = '' AND COALESCE(p.mobile, '') = '')::int),
                               sum((e.email_normalized IS NOT NULL OR v.crm_vat_normalized IS NOT NULL
                                    OR n1.x IS NOT NULL OR n2.x IS NOT NULL)::int),
                               sum((p.crm_no_email OR p.crm_no_call OR p.crm_no_messenger OR p.crm_no_social
                                    OR bl.id IS NOT NULL)::int)
                          FROM res_partner p
                          JOIN res_partner c ON c.id = COALESCE(p.commercial_partner_id, p.id)
                     LEFT JOIN mail_blacklist bl ON bl.email = p.email_normalized AND bl.active
                     LEFT JOIN e ON e.email_normalized = p.email_normalized
                     LEFT JOIN v ON v.crm_vat_normalized = p.crm_vat_normalized
                     LEFT JOIN n n1 ON n1.x = p.crm_phone_e164
                     LEFT JOIN n n2 ON n2.x = p.crm_mobile_e164
                         WHERE p.active AND (p.is_company OR p.parent_id IS NOT NULL)
                      GROUP BY 1
                        """
                    )
                ),
                None,
            ),
            (
                "engagement",
                lambda: Engagement._read_group(
                    [("row_kind", "=", "touch"), ("date", ">=", low), ("date", "<", high)],
                    ["channel", "date:month"],
                    ["touch_count:sum", "inbound_count:sum"],
                ),
                sql(
                    SQL(
                        """
                        SELECT o.channel, date_trunc('month', o.date), count(*), sum((o.direction = 'inbound')::int)
                          FROM crm_outreach o
                         WHERE o.outcome IN %s AND o.client_id IS NOT NULL AND o.date >= %s AND o.date < %s
                      GROUP BY 1, 2
                        """,
                        touch,
                        low,
                        high,
                    )
                ),
                lambda: admin["crm.outreach"]._read_group(
                    [("outcome", "in", touch), ("date", ">=", low), ("date", "<", high)],
                    ["channel", "date:month"],
                    ["__count"],
                ),
            ),
            (
                "response_time",
                lambda: Engagement._read_group(
                    [("inbound_email_count", "=", 1), ("date", ">=", quarter[0]), ("date", "<", quarter[1])],
                    ["user_id"],
                    ["response_hours:avg", "unanswered_count:sum"],
                ),
                sql(
                    SQL(
                        """
                        SELECT o.user_id, avg(o.crm_response_hours), sum((o.crm_reply_date IS NULL)::int)
                          FROM crm_outreach o
                         WHERE o.direction = 'inbound' AND o.channel = 'email' AND o.outcome IN %(touch)s
                           AND o.client_id IS NOT NULL AND o.date >= %(low)s AND o.date < %(high)s
                      GROUP BY 1
                        """,
                        touch=touch,
                        low=quarter[0],
                        high=quarter[1],
                    )
                ),
                None,
            ),
            (
                "inactive_clients",
                lambda: Engagement._read_group(
                    [("row_kind", "=", "client")],
                    ["client_type"],
                    ["days_since_contact:avg", "inactive_count:sum", "never_contacted_count:sum"],
                ),
                sql(
                    SQL(
                        """
                        SELECT crm_client_type, avg(EXTRACT(EPOCH FROM (now() - crm_last_contacted)) / 86400),
                               sum(COALESCE(crm_inactive, FALSE)::int), sum((crm_last_contacted IS NULL)::int)
                          FROM res_partner WHERE active AND is_company GROUP BY 1
                        """
                    )
                ),
                None,
            ),
            (
                "usage_weekly",
                lambda: Usage._read_group(
                    [("date", ">=", quarter[0]), ("date", "<", quarter[1])], ["date:week"], ["active_users:sum"]
                ),
                sql(
                    SQL(
                        """
                        SELECT date_trunc('week', e.d), count(DISTINCT e.u) FROM (%s) e
                          JOIN res_users u ON u.id = e.u AND NOT u.share AND u.id <> 1
                         WHERE e.d >= %s AND e.d < %s GROUP BY 1
                        """,
                        usage_events_sql(),
                        *quarter,
                    )
                ),
                None,
            ),
            (
                "usage_areas",
                lambda: Usage._read_group(
                    [("date", ">=", low), ("date", "<", high), ("action", "=", "create")],
                    ["user_id", "area"],
                    ["created_count:sum"],
                ),
                sql(
                    SQL(
                        """
                        SELECT e.u, e.a, count(*) FROM (%s) e
                          JOIN res_users u ON u.id = e.u AND NOT u.share AND u.id <> 1
                         WHERE e.d >= %s AND e.d < %s GROUP BY 1, 2
                        """,
                        usage_events_sql(updates=False),
                        low,
                        high,
                    )
                ),
                None,
            ),
            (
                "competitors",
                lambda: Competitor._read_group(
                    [("date_closed", ">=", low), ("date_closed", "<", high)],
                    ["competitor_id"],
                    ["win_rate:avg", "won_amount:sum", "lost_amount:sum"],
                ),
                sql(
                    SQL(
                        """
                        SELECT r.crm_competitor_id,
                               avg(CASE WHEN NOT l.active OR s.is_lost THEN 0.0 WHEN s.is_won THEN 100.0 END),
                               sum(CASE WHEN l.active AND s.is_won AND NOT s.is_lost
                                        THEN l.expected_revenue ELSE 0 END),
                               sum(CASE WHEN NOT l.active OR s.is_lost THEN l.expected_revenue ELSE 0 END)
                          FROM crm_competitor_crm_lead_rel r JOIN crm_lead l ON l.id = r.crm_lead_id
                     LEFT JOIN crm_stage s ON s.id = l.stage_id
                         WHERE l.type = 'opportunity' AND l.date_closed >= %s AND l.date_closed < %s
                      GROUP BY 1
                        """,
                        low,
                        high,
                    )
                ),
                None,
            ),
        ]
        Cac = admin["crm.cac.report"]
        cases += [
            (
                "cac_by_source",
                lambda: Cac._read_group(
                    [("month", ">=", low), ("month", "<", high), ("new_clients", ">", 0)],
                    ["source_id"],
                    ["new_clients:sum"],
                    order="new_clients:sum desc",
                ),
                sql(cac_sql(low, high, by_source=True)),
                None,
            ),
            (
                "cac_by_month",
                lambda: Cac._read_group(
                    [("month", ">=", low), ("month", "<", high)], ["month:month"], ["cac:avg", "cltv:avg"]
                ),
                sql(cac_sql(low, high, by_source=False)),
                None,
            ),
        ]
        cases.append(
            (
                # the same figure as contacts_quality, by hand on the rows the report reads (kept per
                # partner): what the report's view itself costs
                "contacts_quality_rows",
                cases[[case[0] for case in cases].index("contacts_quality")][1],
                sql(
                    SQL(
                        """
                        SELECT client_type, sum(missing_email::int), sum(missing_phone::int),
                               sum(is_duplicate::int), sum(do_not_contact::int)
                          FROM crm_contact_analytics GROUP BY 1
                        """
                    )
                ),
                None,
            )
        )
        Dashboard = admin["crm.analytics.dashboard"]
        results = []
        only = {name for name in args.cases.split(",") if name}
        extra = {}
        if not only or "stage_move" in only:
            (move_ms, move_queries), (bare_ms, bare_queries) = stage_move(admin, args.repeat)
            print(
                f"stage move: {move_ms:.1f} ms, {move_queries:.0f} queries with the daily upkeep; "
                f"{bare_ms:.1f} ms, {bare_queries:.0f} queries without"
            )
            extra = {
                "stage_move_ms": f"{move_ms:.1f}",
                "stage_move_queries": f"{move_queries:.0f}",
                "stage_move_bare_ms": f"{bare_ms:.1f}",
                "stage_move_bare_queries": f"{bare_queries:.0f}",
            }
        for name, ours, hand, stock in cases:
            if only and name not in only:
                continue
            t_ours = timed(ours, args.repeat)
            t_hand = timed(hand, args.repeat)
            t_stock = timed(stock, args.repeat) if stock else None
            results.append((name, t_ours, t_hand, t_stock))
        # the dashboard: one call; hand SQL: one hand query per figure it shows
        if only and "dashboard" not in only:
            cr.rollback()
            report(args, results, extra)
            return
        t_dash = timed(lambda: Dashboard.get_dashboard_data(low, "2025-12-31"), args.repeat)
        hand = {case[0]: case[2] for case in cases}
        previous = ("2024-01-01", "2025-01-01")
        hand_dash = [
            sql(closed_figures_sql(*YEAR)),
            sql(closed_figures_sql(*previous)),
            sql(
                SQL(
                    """
                    SELECT sum(l.expected_revenue), sum(l.expected_revenue * l.probability / 100), count(*)
                      FROM crm_lead l LEFT JOIN crm_stage s ON s.id = l.stage_id
                     WHERE l.type = 'opportunity' AND l.active AND NOT COALESCE(s.is_won, FALSE)
                       AND NOT COALESCE(s.is_lost, FALSE)
                    """
                )
            ),
            hand["funnel"],
            sql(
                SQL(
                    """
                    SELECT date_trunc('month', l.date_closed),
                           sum(CASE WHEN l.active AND s.is_won THEN l.expected_revenue ELSE 0 END),
                           avg(CASE WHEN l.active AND s.is_won THEN 100.0 ELSE 0 END)
                      FROM crm_lead l JOIN crm_stage s ON s.id = l.stage_id
                     WHERE l.type = 'opportunity' AND l.date_closed >= %s AND l.date_closed < %s
                  GROUP BY 1
                    """,
                    *YEAR,
                )
            ),
            hand["ranking"],
            hand["ranking"],
            hand["cac_by_source"],
            hand["cac_by_month"],
        ]
        t_dash_hand = timed(lambda: [query() for query in hand_dash], args.repeat)
        results.append(("dashboard", t_dash, t_dash_hand, None))
        # the same figures by hand over the daily sums the dashboard reads (and the same CAC queries)
        periods = Dashboard._dashboard_period(low, "2025-12-31")
        hand_daily = [sql(query) for query in daily_dashboard_sql(*periods)]
        hand_daily += [hand["cac_by_source"], hand["cac_by_month"]]
        t_daily_hand = timed(lambda: [query() for query in hand_daily], args.repeat)
        results.append(("dashboard_on_daily", t_dash, t_daily_hand, None))
        cr.rollback()
    report(args, results, extra)


def report(args, results, extra=None):
    print(f"{'figure':<22}{'add-on ms':>11}{'hand SQL ms':>13}{'stock ms':>10}{'ratio':>8}")
    worst = 0.0
    slowest = 0.0
    for name, t_ours, t_hand, t_stock in results:
        ratio = t_ours / t_hand if t_hand else 0.0
        worst = max(worst, ratio)
        slowest = max(slowest, t_ours)
        stock = f"{t_stock * 1000:10.1f}" if t_stock is not None else f"{'-':>10}"
        print(f"{name:<22}{t_ours * 1000:11.1f}{t_hand * 1000:13.1f}{stock}{ratio:8.2f}")
    print(
        f"RESULT name=analytics deals={args.deals} history={args.history} contacts={args.contacts} "
        + " ".join(f"{name}_ms={t_ours * 1000:.1f}" for name, t_ours, _h, _s in results)
        + "".join(f" {key}={value}" for key, value in (extra or {}).items())
        + f" slowest_ms={slowest * 1000:.1f} ratio={worst:.2f}"
    )


if __name__ == "__main__":
    main()
