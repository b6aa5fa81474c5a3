"""Benchmark: last contacted per channel and contact frequency, against a
naive per-record recompute, in the same run on the same data.

Data: ``--contacts`` contacts under ``--contacts / 10`` clients and
``--rows`` (default 5 per contact) outreach spread over 180 days, written
with SQL (cloned rows: the data is not what is measured). The per-channel
dates start from that history.

Measured, each side on the same rows:

* batch: ``--batch`` new outreach (default 10,000) reach the per-channel
  last contacted dates, the overall date and the frequency of their contacts
  and clients. Ours: ``crm.outreach._crm_register_touches`` (one upsert
  statement, one count statement). Naive: per outreach, a grouped read of
  the partner's and the client's outreach, an update or create of each
  per-channel row and two counts, as a stored compute per record would.
* sweep: the daily recount of touches in 30 and 90 days of every touched
  partner. Ours: ``res.partner._crm_refresh_touch_counts()`` (one
  statement). Naive: two counts and a write per partner.

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
    columns of ``overrides`` computed from ``g`` (1..count); return the ids."""
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'res_partner' AND column_name != 'id'"
    )
    columns = [row[0] for row in cr.fetchall()]
    select = [overrides.get(column, f'"{column}"') for column in columns]
    cr.execute(
        f"""INSERT INTO res_partner ({", ".join(f'"{c}"' for c in columns)})
            SELECT {", ".join(select)} FROM res_partner, generate_series(1, %s) AS g
             WHERE res_partner.id = %s ORDER BY g RETURNING id""",
        (count, template_id),
    )
    return [row[0] for row in cr.fetchall()]


def build_data(env, args, now):
    cr = env.cr
    n_clients = max(1, args.contacts // 10)
    template_client = env["res.partner"].create({"name": "LC bench client", "is_company": True})
    template_contact = env["res.partner"].create({"name": "LC bench contact", "parent_id": template_client.id})
    env.flush_all()
    clients = clone_partners(
        cr, template_client.id, n_clients, {"name": "'LC client ' || g", "complete_name": "'LC client ' || g"}
    )
    cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)", (clients,))
    contacts = clone_partners(
        cr, template_contact.id, args.contacts, {"name": "'LC contact ' || g", "complete_name": "'LC contact ' || g"}
    )
    cr.execute(
        """UPDATE res_partner p SET parent_id = c.client, commercial_partner_id = c.client
             FROM (SELECT unnest(%s::int[]) AS id, unnest(%s::int[]) AS client) c WHERE p.id = c.id""",
        (contacts, [clients[i % n_clients] for i in range(len(contacts))]),
    )
    history = insert_outreach(env, contacts, args.rows, now - timedelta(days=180), now - timedelta(hours=1))
    # The per-channel dates of that history, as the add-on would have kept them.
    cr.execute(
        """INSERT INTO crm_last_contact (partner_id, channel, direction, date)
           SELECT pid, channel, direction, max(date) FROM (
               SELECT partner_id AS pid, channel, direction, date FROM crm_outreach WHERE id = ANY(%s)
               UNION ALL
               SELECT client_id, channel, direction, date FROM crm_outreach WHERE id = ANY(%s)) t
            GROUP BY 1, 2, 3""",
        (history, history),
    )
    env.invalidate_all()
    return contacts, clients, history


def insert_outreach(env, contacts, count, start, end):
    """``count`` touches on ``contacts`` between ``start`` and ``end``, with SQL."""
    span = int((end - start).total_seconds())
    env.cr.execute(
        """INSERT INTO crm_outreach (date, channel, direction, outcome, summary, partner_id, client_id,
                                     user_id, company_id, create_uid, create_date, write_uid, write_date)
           SELECT %s::timestamp + ((g * 7919) %% %s) * interval '1 second',
                  (%s::varchar[])[(1 + g %% 6)::int], CASE WHEN g %% 3 = 0 THEN 'inbound' ELSE 'outbound' END,
                  (%s::varchar[])[(1 + g %% 4)::int], 'Bench touch ' || g, p.id, p.commercial_partner_id,
                  1, 1, 1, now(), 1, now()
             FROM generate_series(1::bigint, %s) AS g
             JOIN res_partner p ON p.id = (%s::int[])[(1 + (g * 31) %% %s)::int]
           RETURNING id""",
        (start, span, list(CHANNELS), list(TOUCH), count, contacts, len(contacts)),
    )
    return [row[0] for row in env.cr.fetchall()]


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

        print("daily sweep (touches in 30 and 90 days of every touched partner):")
        sweep_s, sweep_q = measure(
            "ours: one statement", len(contacts) + len(clients), lambda: Partner._crm_refresh_touch_counts()
        )
        cr.execute("SELECT count(*) FROM res_partner WHERE crm_touch_count_90 > 0")
        touched = cr.fetchone()[0]
        sample = Partner.browse(contacts[: args.naive_sample // 2] + clients[: args.naive_sample // 2])
        naive_s, naive_q = measure("naive: per partner (sample)", len(sample), lambda: naive_sweep(env, sample))
        naive_sweep_s = naive_s / len(sample) * touched
        naive_sweep_q = naive_q / len(sample) * touched
        print(f"  naive extrapolated to {touched} touched partners: {naive_sweep_s:.1f}s, {naive_sweep_q:.0f} queries")

        print(f"batch of {args.batch} new outreach (per-channel dates, overall date, frequency):")
        batch = insert_outreach(env, contacts, args.batch, now - timedelta(minutes=30), now)
        env.invalidate_all()
        Outreach = env["crm.outreach"]
        batch_s, batch_q = measure(
            "ours: upsert + count", len(batch), lambda: Outreach.browse(batch)._crm_register_touches()
        )
        cr.execute("SELECT count(*) FROM crm_last_contact WHERE date >= %s", (now - timedelta(minutes=30),))
        moved = cr.fetchone()[0]
        naive_batch = Outreach.browse(
            insert_outreach(env, contacts, args.naive_sample, now - timedelta(minutes=30), now)
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
            f"create_per_s={len(create_vals) / create_s:.0f} create_queries={create_q} "
            f"ratio={naive_batch_s / batch_s:.1f} sweep_ratio={naive_sweep_s / sweep_s:.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
