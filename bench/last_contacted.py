"""Benchmark: last contacted per channel and contact frequency, against a
naive per-record recompute, in the same run on the same data.

Data: ``--contacts`` contacts under ``--contacts / 10`` clients and
``--rows`` (default 5 per contact) outreach spread over 180 days, written
with SQL from ``generate_series`` (cloned rows: the data is not what is
measured), the indexes of the two tables created once after the load, as
bulk loads do. The per-channel dates start from that history.

Measured, each side on the same rows:

* batch: ``--batch`` new outreach (default 10,000) reach the per-channel
  last contacted dates, the overall date and the frequency of their contacts
  and clients. Ours: ``crm.outreach._crm_register_touches`` (one upsert
  statement, one count statement). Naive: per outreach, a grouped read of
  the partner's and the client's outreach, an update or create of each
  per-channel row and two counts, as a stored compute per record would.
* sweep: the daily recount of touches in 30 and 90 days. Ours, first the
  full recount of every touched partner that install, upgrade and a
  rebuild run (``res.partner._crm_rebuild_touch_counts()``, one statement;
  the history's counts start at 0, so it rewrites every touched partner),
  then the next day's cron (``_cron_crm_contact_frequency``), which
  recounts only the partners with a touch in the day that slid out of each
  window. Naive: every touched partner, two counts and a write each, as a
  daily recompute per record would (it has no notion of windows).
* inactivity: the daily inactivity cron, a rule flagging contacts
  untouched for 90 days and scheduling an activity for their owner (the
  contacts belong to ``OWNERS`` salespeople in turn). Ours:
  ``crm.inactivity.rule._cron_flag_inactive()`` (SKIP LOCKED batches of
  500, one activity create per batch, one inbox notice per owner and
  batch). Naive: per contact, its last touch read from the outreach, then
  the flag and the activity scheduled with stock's
  ``activity_schedule`` (which mails the owner about each one).

The naive side runs on ``--naive-sample`` records only (it is slow) and is
extrapolated linearly to the full size; the figures say so. Everything runs
in one transaction that is rolled back: the database is left as it was.

Usage (installs crm_client_suite into --db when needed):

    /opt/odoo-venv/bin/python bench/last_contacted.py --db ccs_bench_lc --contacts 100000
"""

import argparse
import subprocess
import threading
import time
from datetime import datetime, timedelta

from benchlib import addons_path

CHANNELS = ("email", "call", "messenger", "social", "platform", "meeting")
TOUCH = ("done", "replied", "meeting_booked", "not_interested")
INACTIVE_DAYS = 90
OWNERS = 10


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="ccs_bench_lc")
    parser.add_argument("--contacts", type=int, default=2000, help="contacts (default 2000)")
    parser.add_argument("--rows", type=int, help="outreach rows in the history (default 5 per contact)")
    parser.add_argument("--batch", type=int, default=10000, help="new outreach in the measured batch")
    parser.add_argument("--naive-sample", type=int, default=500, help="records the naive side really processes")
    parser.add_argument("--addons-path", default=addons_path())
    args = parser.parse_args()
    args.rows = args.rows or 5 * args.contacts
    return args


def ensure_database(args):
    exists = subprocess.run(["psql", "-lqt"], capture_output=True, text=True, check=True).stdout.split("\n")
    if any(line.split("|")[0].strip() == args.db for line in exists):
        installed = subprocess.run(
            [
                "psql",
                "-d",
                args.db,
                "-Atc",
                "SELECT 1 FROM ir_module_module WHERE name = 'crm_client_suite' AND state = 'installed'",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if installed:
            return
    print(f"installing crm_client_suite into {args.db}...", flush=True)
    subprocess.run(
        [
            "odoo",
            "-d",
            args.db,
            "--addons-path",
            args.addons_path,
            "-i",
            "crm_client_suite",
            "--without-demo=all",
            "--stop-after-init",
            "--log-level=warn",
        ],
        check=True,
    )


def measure(label, size, fn):
    """Run ``fn``; print and return (seconds, queries) per Odoo's per-thread query counter."""
    thread = threading.current_thread()
    thread.query_count = 0
    thread.query_time = 0
    started = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - started
    queries = thread.query_count
    print(f"  {label:<34} {size:>9} records in {elapsed:8.2f}s, {queries:>8} queries", flush=True)
    return elapsed, queries


def clone_partners(cr, template_id, count, overrides):
    """Insert ``count`` copies of partner ``template_id`` with SQL, the
    columns of ``overrides`` computed from ``g`` (1..count); return their
    ids, a range (one statement on a sequence nobody else draws from)."""
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'res_partner' AND column_name != 'id'"
    )
    columns = [row[0] for row in cr.fetchall()]
    select = [overrides.get(column, f'"{column}"') for column in columns]
    cr.execute(
        f"""WITH new AS (
                INSERT INTO res_partner ({", ".join(f'"{c}"' for c in columns)})
                SELECT {", ".join(select)} FROM res_partner, generate_series(1, %s) AS g
                 WHERE res_partner.id = %s ORDER BY g RETURNING id)
            SELECT min(id), max(id), count(*) FROM new""",
        (count, template_id),
    )
    first, last, inserted = cr.fetchone()
    assert last - first + 1 == inserted == count, "the bench needs a database nobody else writes to"
    return range(first, last + 1)


def without_indexes(cr, tables, build):
    """Run ``build`` with the indexes (but the primary keys) of ``tables``
    dropped and the add-on's partner triggers off, then create the indexes
    again, as bulk loads do: all in the bench's transaction, which is rolled
    back at the end. Creating an index once is much faster than updating it
    row by row, and the measured statements then meet every index."""
    from odoo.tools import SQL

    cr.execute(
        """SELECT ic.relname, pg_get_indexdef(i.indexrelid)
             FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
            WHERE t.relname = ANY(%s) AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
        (list(tables),),
    )
    indexes = cr.fetchall()
    for name, _definition in indexes:
        cr.execute(SQL("DROP INDEX %s", SQL.identifier(name)))
    cr.execute("ALTER TABLE res_partner DISABLE TRIGGER USER")
    build()
    cr.execute("ALTER TABLE res_partner ENABLE TRIGGER USER")
    cr.execute("SET LOCAL maintenance_work_mem = '1GB'")
    for _name, definition in indexes:
        cr.execute(definition)


def build_data(env, args, now):
    cr = env.cr
    n_clients = max(1, args.contacts // 10)
    template_client = env["res.partner"].create({"name": "LC bench client", "is_company": True})
    template_contact = env["res.partner"].create({"name": "LC bench contact", "parent_id": template_client.id})
    owners = env["res.users"].create(
        [{"name": f"LC bench salesperson {i}", "login": f"lc_bench_sales_{i}"} for i in range(OWNERS)]
    )
    env.flush_all()
    owner_of = f"(ARRAY[{', '.join(str(uid) for uid in owners.ids)}])[1 + g %% {OWNERS}]"
    data = {}

    def build():
        timer = time.perf_counter()
        clients = clone_partners(
            cr, template_client.id, n_clients, {"name": "'LC client ' || g", "complete_name": "'LC client ' || g"}
        )
        cr.execute(
            "UPDATE res_partner SET commercial_partner_id = id WHERE id BETWEEN %s AND %s", (clients[0], clients[-1])
        )
        # Contact g belongs to client (g - 1) % n_clients, as the outreach below assumes.
        client_of = f"{clients[0]} + (g - 1) %% {n_clients}"  # %% : a query with parameters
        contacts = clone_partners(
            cr,
            template_contact.id,
            args.contacts,
            {
                "name": "'LC contact ' || g",
                "complete_name": "'LC contact ' || g",
                "parent_id": client_of,
                "commercial_partner_id": client_of,
                "user_id": owner_of,
            },
        )
        print(f"  partners in {time.perf_counter() - timer:.1f}s", flush=True)
        timer = time.perf_counter()
        data["history"] = insert_outreach(
            env, contacts, n_clients, args.rows, now - timedelta(days=180), now - timedelta(hours=1)
        )
        print(f"  outreach in {time.perf_counter() - timer:.1f}s", flush=True)
        history = data["history"]
        # The overall last contacted date of that history, as the add-on would have kept it.
        cr.execute(
            """UPDATE res_partner p SET crm_last_contacted = m.date
                 FROM (SELECT pid, max(date) AS date FROM (
                           SELECT partner_id AS pid, date FROM crm_outreach WHERE id BETWEEN %s AND %s
                           UNION ALL
                           SELECT client_id, date FROM crm_outreach WHERE id BETWEEN %s AND %s) t
                        GROUP BY pid) m
                WHERE p.id = m.pid""",
            (history[0], history[-1], history[0], history[-1]),
        )
        data["contacts"], data["clients"] = contacts, clients

    timer = time.perf_counter()
    without_indexes(cr, ("res_partner", "crm_outreach"), build)
    print(f"  data and indexes in {time.perf_counter() - timer:.1f}s", flush=True)
    history = data["history"]
    # The per-channel dates of that history, as the add-on would have kept them.
    cr.execute(
        """INSERT INTO crm_last_contact (partner_id, channel, direction, date)
           SELECT pid, channel, direction, max(date) FROM (
               SELECT partner_id AS pid, channel, direction, date FROM crm_outreach WHERE id BETWEEN %s AND %s
               UNION ALL
               SELECT client_id, channel, direction, date FROM crm_outreach WHERE id BETWEEN %s AND %s) t
            GROUP BY 1, 2, 3""",
        (history[0], history[-1], history[0], history[-1]),
    )
    env.invalidate_all()
    return data["contacts"], data["clients"], history


def insert_outreach(env, contacts, n_clients, count, start, end):
    """``count`` touches on ``contacts`` (a range of ids, contact g under
    client g % ``n_clients`` of the range before them) between ``start``
    and ``end``, with SQL; return their ids (a range). Dates come from a
    hash of ``g``: each contact's touches fall independently over the span."""
    span = int((end - start).total_seconds())
    env.cr.execute("SELECT parent_id FROM res_partner WHERE id = %s", (contacts[0],))
    first_client = env.cr.fetchone()[0]
    env.cr.execute(
        """WITH new AS (
               INSERT INTO crm_outreach (date, channel, direction, outcome, summary, partner_id, client_id,
                                         user_id, company_id, create_uid, create_date, write_uid, write_date)
               SELECT %(start)s::timestamp + ((hashint8(g)::bigint + 2147483648) %% %(span)s) * interval '1 second',
                      (%(channels)s::varchar[])[(1 + g %% 6)::int],
                      CASE WHEN g %% 3 = 0 THEN 'inbound' ELSE 'outbound' END,
                      (%(touch)s::varchar[])[(1 + g %% 4)::int], 'Bench touch ' || g,
                      %(first)s + c.i, %(first_client)s + c.i %% %(clients)s,
                      1, 1, 1, now(), 1, now()
                 FROM generate_series(1::bigint, %(count)s) AS g, LATERAL (SELECT (g * 31) %% %(contacts)s AS i) c
               RETURNING id)
           SELECT min(id), max(id), count(*) FROM new""",
        {
            "start": start,
            "span": span,
            "channels": list(CHANNELS),
            "touch": list(TOUCH),
            "first": contacts[0],
            "first_client": first_client,
            "clients": n_clients,
            "count": count,
            "contacts": len(contacts),
        },
    )
    first, last, inserted = env.cr.fetchone()
    assert last - first + 1 == inserted == count, "the bench needs a database nobody else writes to"
    return range(first, last + 1)


def naive_register(env, outreach):
    """Per outreach: recompute the partner's and client's per-channel dates
    and frequency from scratch, record by record."""
    Outreach = env["crm.outreach"]
    Last = env["crm.last.contact"]
    now = datetime.now()
    for record in outreach:
        for partner, fname in ((record.partner_id, "partner_id"), (record.client_id, "client_id")):
            domain = [(fname, "=", partner.id), ("outcome", "in", TOUCH)]
            groups = Outreach._read_group(domain, ["channel", "direction"], ["date:max"])
            for channel, direction, date in groups:
                row = Last.search(
                    [("partner_id", "=", partner.id), ("channel", "=", channel), ("direction", "=", direction)]
                )
                if row:
                    row.date = date
                else:
                    Last.create({"partner_id": partner.id, "channel": channel, "direction": direction, "date": date})
            partner.crm_last_contacted = max(group[2] for group in groups)
            naive_count(Outreach, partner, fname, now)
        env.flush_all()


def naive_count(Outreach, partner, fname, now):
    base = [(fname, "=", partner.id), ("outcome", "in", TOUCH)]
    partner.write(
        {
            "crm_touch_count_30": Outreach.search_count(base + [("date", ">=", now - timedelta(days=30))]),
            "crm_touch_count_90": Outreach.search_count(base + [("date", ">=", now - timedelta(days=90))]),
        }
    )


def naive_inactivity(env, rule, contacts, now):
    """Per contact: its last touch from the outreach, then the flag and the
    owner's activity, scheduled with stock's per-record API, when it is
    older than the rule's days."""
    Outreach = env["crm.outreach"]
    limit = now - timedelta(days=rule.days)
    for contact in contacts:
        [(last,)] = Outreach._read_group([("partner_id", "=", contact.id), ("outcome", "in", TOUCH)], [], ["date:max"])
        if last and last < limit and not contact.crm_inactive:
            contact.write({"crm_inactive": True, "crm_inactive_since": now, "crm_inactivity_rule_id": rule.id})
            contact.activity_schedule(
                activity_type_id=rule.activity_type_id.id,
                summary=rule._summary(),
                user_id=contact.user_id.id,
                date_deadline=now.date(),
                automated=True,
            )
        env.flush_all()


def naive_sweep(env, partners):
    Outreach = env["crm.outreach"]
    now = datetime.now()
    for partner in partners:
        naive_count(Outreach, partner, "client_id" if partner.is_company else "partner_id", now)
    env.flush_all()


def main():
    args = parse_args()
    ensure_database(args)
    import odoo
    from odoo import api
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-d", args.db, "--addons-path", args.addons_path, "--log-level=warn"])
    registry = Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True})
        now = datetime.now().replace(microsecond=0)
        started = time.perf_counter()
        print(f"creating {args.contacts} contacts and {args.rows} outreach rows...", flush=True)
        contacts, clients, _history = build_data(env, args, now)
        cr.execute("ANALYZE res_partner; ANALYZE crm_outreach; ANALYZE crm_last_contact")
        print(f"  data in {time.perf_counter() - started:.1f}s", flush=True)
        Partner = env["res.partner"]

        print("daily sweep (touches in 30 and 90 days):")
        full_s, full_q = measure(
            "ours: full recount (install, rebuild)",
            len(contacts) + len(clients),
            lambda: Partner._crm_rebuild_touch_counts(now),
        )
        cr.execute("SELECT count(*) FROM res_partner WHERE crm_touch_count_90 > 0")
        touched = cr.fetchone()[0]
        changed = []
        sweep_s, sweep_q = measure(
            "ours: the next day's cron",
            touched,
            lambda: changed.append(Partner._cron_crm_contact_frequency(now=now + timedelta(days=1))),
        )
        print(f"  ({changed[0]} partners' counts changed the next day)")
        sample = Partner.browse(list(contacts[: args.naive_sample // 2]) + list(clients[: args.naive_sample // 2]))
        naive_s, naive_q = measure("naive: per partner (sample)", len(sample), lambda: naive_sweep(env, sample))
        naive_sweep_s = naive_s / len(sample) * touched
        naive_sweep_q = naive_q / len(sample) * touched
        print(f"  naive extrapolated to {touched} touched partners: {naive_sweep_s:.1f}s, {naive_sweep_q:.0f} queries")

        print(f"daily inactivity sweep (contacts untouched for {INACTIVE_DAYS} days: flag, activity for the owner):")
        Rule = env["crm.inactivity.rule"]
        Rule.search([]).active = False
        rule = Rule.create(
            {"name": "Bench inactivity", "applies_to": "contact", "days": INACTIVE_DAYS, "action": "activity"}
        )
        flag_s, flag_q = measure(
            "ours: SKIP LOCKED batches", len(contacts), lambda: (Rule._cron_flag_inactive(), env.flush_all())
        )
        cr.execute("SELECT count(*) FROM res_partner WHERE crm_inactivity_rule_id = %s", (rule.id,))
        flagged = cr.fetchone()[0]
        # The naive side flags the last contacts again, the flag taken off.
        sample = Partner.browse(list(contacts[-args.naive_sample :]))
        cr.execute("UPDATE res_partner SET crm_inactive = FALSE WHERE id = ANY(%s)", (sample.ids,))
        env.invalidate_all()
        naive_s, naive_q = measure(
            "naive: per contact (sample)", len(sample), lambda: naive_inactivity(env, rule, sample, now)
        )
        naive_flag_s = naive_s / len(sample) * len(contacts)
        naive_flag_q = naive_q / len(sample) * len(contacts)
        print(f"  naive extrapolated to {len(contacts)} contacts: {naive_flag_s:.1f}s, {naive_flag_q:.0f} queries")
        print(f"  ({flagged} contacts flagged, each with an activity)")

        print(f"batch of {args.batch} new outreach (per-channel dates, overall date, frequency):")
        batch = insert_outreach(env, contacts, len(clients), args.batch, now - timedelta(minutes=30), now)
        env.invalidate_all()
        Outreach = env["crm.outreach"]
        batch_s, batch_q = measure(
            "ours: upsert + count", len(batch), lambda: Outreach.browse(batch)._crm_register_touches()
        )
        cr.execute("SELECT count(*) FROM crm_last_contact WHERE date >= %s", (now - timedelta(minutes=30),))
        moved = cr.fetchone()[0]
        naive_batch = Outreach.browse(
            insert_outreach(env, contacts, len(clients), args.naive_sample, now - timedelta(minutes=30), now)
        )
        env.invalidate_all()
        naive_s, naive_q = measure(
            "naive: per outreach (sample)", len(naive_batch), lambda: naive_register(env, naive_batch)
        )
        naive_batch_s = naive_s / len(naive_batch) * len(batch)
        naive_batch_q = naive_q / len(naive_batch) * len(batch)
        print(f"  naive extrapolated to {len(batch)} outreach: {naive_batch_s:.1f}s, {naive_batch_q:.0f} queries")
        print(f"  ({moved} per-channel dates moved by the batch)")

        create_vals = [
            {
                "summary": f"Bench call {i}",
                "channel": "call",
                "outcome": "done",
                "partner_id": contacts[i * 7 % len(contacts)],
            }
            for i in range(min(args.batch, 2000))
        ]
        create_s, create_q = measure(
            "ours: ORM create, end to end", len(create_vals), lambda: (Outreach.create(create_vals), env.flush_all())
        )
        cr.rollback()
        print(
            f"RESULT name=last_contacted contacts={len(contacts)} rows={args.rows} batch={len(batch)} "
            f"batch_s={batch_s:.3f} batch_queries={batch_q} naive_batch_s={naive_batch_s:.1f} "
            f"naive_batch_queries={naive_batch_q:.0f} sweep_s={sweep_s:.3f} sweep_queries={sweep_q} "
            f"naive_sweep_s={naive_sweep_s:.1f} naive_sweep_queries={naive_sweep_q:.0f} "
            f"full_sweep_s={full_s:.3f} full_sweep_queries={full_q} sweep_changed={changed[0]} "
            f"inactivity_s={flag_s:.3f} inactivity_queries={flag_q} inactive={flagged} "
            f"naive_inactivity_s={naive_flag_s:.1f} naive_inactivity_queries={naive_flag_q:.0f} "
            f"create_per_s={len(create_vals) / create_s:.0f} create_queries={create_q} "
            f"ratio={naive_batch_s / batch_s:.1f} sweep_ratio={naive_sweep_s / sweep_s:.1f} "
            f"full_sweep_ratio={naive_sweep_s / full_s:.1f} "
            f"inactivity_ratio={naive_flag_s / flag_s:.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
