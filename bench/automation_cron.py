"""Benchmark: the automation pipeline cron against stock base_automation.

Both process the same work in the same run: ``--size`` due steps on deals,
one third each scheduling an activity, queueing a templated email and moving
the deal to another stage. Ours runs ``crm.automation.run._cron_process_due_runs``
(batches locked with SKIP LOCKED, committed per batch); stock runs
``base.automation._check(True)`` with three time-based rules ("after
creation") whose server actions do the same things.

Figures: steps per second, SQL queries per step (Odoo's per-thread query counter) and
peak Python memory (tracemalloc, on for both sides) of the processing only;
creating the data is not timed.

Usage (installs crm_client_suite and base_automation into --db when needed):

    /opt/odoo-venv/bin/python bench/automation_cron.py --db ccs_bench --size 10000
"""

import argparse
import gc
import subprocess
import sys
import threading
import time
import tracemalloc

from benchlib import addons_path

CHUNK = 2000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="ccs_bench")
    parser.add_argument("--size", type=int, default=10000, help="due steps per side (default 10000)")
    parser.add_argument(
        "--stock-size",
        type=int,
        help="due steps for stock (default: --size); stock slows down with the backlog, "
        "so a smaller stock sample favours stock",
    )
    parser.add_argument("--batch", type=int, default=500, help="our cron's batch size")
    parser.add_argument("--no-tracemalloc", action="store_true", help="time without tracing memory")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of our side")
    parser.add_argument(
        "--addons-path",
        default=addons_path(),
        help="addons path holding crm_client_suite",
    )
    return parser.parse_args()


def ensure_database(args):
    exists = subprocess.run(["psql", "-lqt"], capture_output=True, text=True, check=True).stdout.split("\n")
    if any(line.split("|")[0].strip() == args.db for line in exists):
        return
    print(f"installing crm_client_suite and base_automation into {args.db}...", flush=True)
    subprocess.run(
        [
            "odoo",
            "-d",
            args.db,
            "--addons-path",
            args.addons_path,
            "-i",
            "crm_client_suite,base_automation",
            "--without-demo=all",
            "--stop-after-init",
            "--log-level=warn",
        ],
        check=True,
    )


def measure(cr, label, size, fn, trace=True, profile=False):
    gc.collect()
    if trace:
        tracemalloc.start()
        tracemalloc.reset_peak()
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        inner = fn

        def fn():
            profiler.runcall(inner)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)

    # Odoo counts every query of this thread here (cursor.sql_log_count resets on commit).
    thread = threading.current_thread()
    thread.query_count = 0
    thread.query_time = 0
    started = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - started
    queries = thread.query_count
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    figures = {
        "steps_s": size / elapsed,
        "queries_step": queries / size,
        "peak_mb": peak / 1024 / 1024,
        "seconds": elapsed,
    }
    print(
        f"{label:>6}: {size} steps in {elapsed:.1f}s = {figures['steps_s']:.0f} steps/s, "
        f"{figures['queries_step']:.1f} queries/step, peak memory {figures['peak_mb']:.1f} MiB",
        flush=True,
    )
    return figures


def main():
    args = parse_args()
    ensure_database(args)
    import odoo
    from odoo import Command, api
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-d", args.db, "--addons-path", args.addons_path, "--log-level=warn"])
    registry = Registry(args.db)
    size = args.size - args.size % 3
    stock_size = (args.stock_size or args.size) - (args.stock_size or args.size) % 3
    ctx = {
        "tracking_disable": True,
        "mail_create_nolog": True,
        "mail_create_nosubscribe": True,
        "crm_automation_no_enrol": True,
        "mail_notify_force_send": False,
    }
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, ctx)
        admin = env.ref("base.user_admin")
        print(f"creating {size} + {stock_size} deals...", flush=True)
        partners = env["res.partner"].create(
            [{"name": f"Bench contact {i}", "email": f"bench{i}@example.org"} for i in range(200)]
        )
        stage_from, stage_to = env["crm.stage"].create(
            [{"name": "Bench from", "sequence": 90}, {"name": "Bench to", "sequence": 91}]
        )
        run_tag = int(time.time())
        tags = env["crm.tag"].create([{"name": f"bench-{kind}-{run_tag}"} for kind in ("activity", "email", "stage")])
        template = env["mail.template"].create(
            {
                "name": "Bench follow-up",
                "model_id": env["ir.model"]._get_id("crm.lead"),
                "subject": "About {{ object.name }}",
                "body_html": "<p>Hello <t t-out='object.partner_id.name'/>, any news on <t t-out='object.name'/>?</p>",
                "use_default_to": True,
            }
        )
        todo = env.ref("mail.mail_activity_data_todo")
        cr.commit()

        def make_leads(prefix, with_tags, size):
            ids = []
            for start in range(0, size, CHUNK):
                vals = []
                for i in range(start, min(start + CHUNK, size)):
                    kind = i % 3
                    vals.append(
                        {
                            "name": f"{prefix} deal {i}",
                            "type": "opportunity",
                            "partner_id": partners[i % len(partners)].id,
                            "user_id": admin.id,
                            "stage_id": stage_from.id,
                            "tag_ids": [Command.set(tags[kind].ids)] if with_tags else False,
                        }
                    )
                ids += env["crm.lead"].create(vals).ids
                cr.commit()
                env.invalidate_all()
            return ids

        ours_ids = make_leads("Ours", False, size)
        stock_ids = make_leads("Stock", True, stock_size)

        # Ours: three single-step pipelines, every run due now.
        pipelines = env["crm.automation"].create(
            [
                {
                    "name": f"Bench {kind}",
                    "target_model": "crm.lead",
                    "user_id": admin.id,
                    "step_ids": [Command.create({"name": kind, **step})],
                }
                for kind, step in (
                    ("activity", {"action": "activity", "activity_type_id": todo.id}),
                    ("email", {"action": "email", "mail_template_id": template.id}),
                    ("stage", {"action": "stage", "stage_id": stage_to.id}),
                )
            ]
        )
        print("enrolling our deals...", flush=True)
        for kind, pipeline in enumerate(pipelines):
            # Same split as the stock side: deal i gets action i % 3.
            kind_ids = ours_ids[kind::3]
            for start in range(0, len(kind_ids), CHUNK):
                pipeline._enrol(env["crm.lead"].browse(kind_ids[start : start + CHUNK]), "manual", check_domain=False)
                cr.commit()
                env.invalidate_all()
        cr.execute(
            "UPDATE crm_automation_run SET next_due = now() at time zone 'UTC' - interval '1 hour' "
            "WHERE automation_id IN %s",
            (tuple(pipelines.ids),),
        )
        # Stock: the same three actions as time-based rules, due since creation.
        cr.execute(
            "UPDATE crm_lead SET create_date = now() at time zone 'UTC' - interval '2 hours' WHERE id IN %s",
            (tuple(stock_ids),),
        )
        lead_model = env["ir.model"]._get("crm.lead")
        actions = [
            {
                "state": "next_activity",
                "activity_type_id": todo.id,
                "activity_user_type": "specific",
                "activity_user_id": admin.id,
                "activity_summary": "activity",
            },
            {"state": "mail_post", "template_id": template.id, "mail_post_method": "comment"},
            {
                "state": "object_write",
                "update_path": "stage_id",
                "evaluation_type": "value",
                "resource_ref": f"crm.stage,{stage_to.id}",
            },
        ]
        rules = env["base.automation"]
        for kind, action in enumerate(actions):
            rule = env["base.automation"].create(
                {
                    "name": f"Bench stock {kind}",
                    "model_id": lead_model.id,
                    "trigger": "on_time_created",
                    "trg_date_range": 1,
                    "trg_date_range_type": "minutes",
                    "filter_domain": repr([("tag_ids", "in", tags[kind].ids)]),
                }
            )
            env["ir.actions.server"].create(
                {
                    "name": f"Bench stock action {kind}",
                    "model_id": lead_model.id,
                    "usage": "base_automation",
                    "base_automation_id": rule.id,
                    **action,
                }
            )
            rules |= rule
        cr.commit()
        env.invalidate_all()

        Run = env["crm.automation.run"].with_context(crm_cron_commit=True)
        ours = measure(
            cr,
            "ours",
            size,
            lambda: Run._cron_process_due_runs(batch_size=args.batch, time_budget=10**9),
            trace=not args.no_tracemalloc,
            profile=args.profile,
        )
        stock = measure(
            cr,
            "stock",
            stock_size,
            lambda: env["base.automation"].with_context(mail_notify_force_send=False)._check(True),
            trace=not args.no_tracemalloc,
        )
        cr.commit()

        # Both did the same work.
        for label, ids in (("ours", ours_ids), ("stock", stock_ids)):
            leads = env["crm.lead"].browse(ids)
            moved = env["crm.lead"].search_count([("id", "in", ids), ("stage_id", "=", stage_to.id)])
            activities = env["mail.activity"].search_count([("res_model", "=", "crm.lead"), ("res_id", "in", ids)])
            mails = env["mail.message"].search_count(
                [("model", "=", "crm.lead"), ("res_id", "in", ids), ("subject", "like", "About ")]
            )
            print(f"{label:>6}: {moved} deals moved, {activities} activities, {mails} emails", flush=True)
            del leads
        done = env["crm.automation.run"].search_count([("automation_id", "in", pipelines.ids), ("state", "=", "done")])
        print(f"  ours: {done} runs done", flush=True)

        # Leave the database reusable: remove what the run created.
        rules.unlink()
        pipelines.unlink()
        cr.commit()

    ratio = ours["steps_s"] / stock["steps_s"]
    print(
        f"RESULT name=automation_cron size={size} stock_size={stock_size} batch={args.batch} "
        f"ours_steps_s={ours['steps_s']:.0f} stock_steps_s={stock['steps_s']:.0f} "
        f"ours_queries_step={ours['queries_step']:.2f} stock_queries_step={stock['queries_step']:.2f} "
        f"ours_peak_mb={ours['peak_mb']:.1f} stock_peak_mb={stock['peak_mb']:.1f} ratio={ratio:.2f}"
    )


if __name__ == "__main__":
    sys.exit(main())
