"""Benchmark: the automation pipeline cron against stock base_automation and OCA automation_oca.

All sides process the same work in the same run: ``--size`` due steps on
deals, split evenly between the ``--actions`` (by default scheduling an
activity, sending a templated email and moving the deal to another stage).
Ours runs ``crm.automation.run._cron_process_due_runs`` (batches locked with
SKIP LOCKED, committed per batch); stock runs ``base.automation._check(True)``
with time-based rules ("after creation") whose server actions do the same
things; OCA runs ``automation.record.step._cron_automation_steps()`` of
automation_oca 18.0 with one configuration per action (activity, mail,
server action steps), when ``--oca-addons`` (or $CCS_OCA_ADDONS) names a
folder holding automation_oca. Get it without installing it into Odoo's venv:

    pip download --no-deps 'odoo-addon-automation_oca==18.0.*' -d DIR
    unzip the wheel's odoo/addons/automation_oca into DIR/addons

It is never a runtime dependency of the add-on.

Figures: steps per second, SQL queries per step (Odoo's per-thread query counter) and
peak Python memory (tracemalloc, on for both sides) of the processing only;
creating the data is not timed.

Usage (installs crm_client_suite, base_automation and automation_oca into --db when needed):

    /opt/odoo-venv/bin/python bench/automation_cron.py --db ccs_bench --size 10000 --oca-addons DIR/addons
"""

import argparse
import gc
import os
import sys
import threading
import time
import tracemalloc

from benchlib import addons_path, ensure_modules

CHUNK = 2000
ACTIONS = ("activity", "email", "stage")


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
    parser.add_argument(
        "--actions",
        default=",".join(ACTIONS),
        help=f"comma-separated actions to run, among {', '.join(ACTIONS)} (default: all)",
    )
    parser.add_argument(
        "--oca-addons",
        default=os.environ.get("CCS_OCA_ADDONS"),
        help="folder holding OCA automation_oca 18.0, to compare with it too (default: $CCS_OCA_ADDONS)",
    )
    parser.add_argument("--oca-size", type=int, help="due steps for automation_oca (default: --stock-size)")
    parser.add_argument("--no-tracemalloc", action="store_true", help="time without tracing memory")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of our side")
    parser.add_argument(
        "--addons-path",
        default=addons_path(),
        help="addons path holding crm_client_suite",
    )
    args = parser.parse_args()
    args.actions = [action.strip() for action in args.actions.split(",") if action.strip()]
    unknown = set(args.actions) - set(ACTIONS)
    if unknown or not args.actions:
        parser.error(f"unknown actions {sorted(unknown)}: choose among {', '.join(ACTIONS)}")
    if args.oca_addons:
        if not os.path.isdir(os.path.join(args.oca_addons, "automation_oca")):
            parser.error(f"{args.oca_addons} holds no automation_oca folder")
        args.addons_path = f"{args.addons_path},{os.path.abspath(args.oca_addons)}"
    return args


def ensure_database(args):
    ensure_modules(
        args.db,
        ["crm_client_suite", "base_automation"] + (["automation_oca"] if args.oca_addons else []),
        args.addons_path,
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


def split_size(size, kinds):
    return size - size % len(kinds)


def main():
    args = parse_args()
    ensure_database(args)
    import odoo
    from odoo import Command, api
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-d", args.db, "--addons-path", args.addons_path, "--log-level=warn"])
    registry = Registry(args.db)
    kinds = args.actions
    size = split_size(args.size, kinds)
    stock_size = split_size(args.stock_size or args.size, kinds)
    oca_size = split_size(args.oca_size or args.stock_size or args.size, kinds) if args.oca_addons else 0
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
        print(f"actions {', '.join(kinds)}; creating {size} + {stock_size} + {oca_size} deals...", flush=True)
        partners = env["res.partner"].create(
            [{"name": f"Bench contact {i}", "email": f"bench{i}@example.org"} for i in range(200)]
        )
        stage_from, stage_to = env["crm.stage"].create(
            [{"name": "Bench from", "sequence": 90}, {"name": "Bench to", "sequence": 91}]
        )
        run_tag = int(time.time())
        # One tag per action and side, so that each side's rules see only its deals.
        tags = {
            side: env["crm.tag"].create([{"name": f"bench-{side}-{kind}-{run_tag}"} for kind in kinds])
            for side in ("stock", "oca")
        }
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
        lead_model = env["ir.model"]._get("crm.lead")
        cr.commit()

        def make_leads(prefix, side_tags, size):
            ids = []
            for start in range(0, size, CHUNK):
                vals = []
                for i in range(start, min(start + CHUNK, size)):
                    kind = i % len(kinds)
                    vals.append(
                        {
                            "name": f"{prefix} deal {i}",
                            "type": "opportunity",
                            "partner_id": partners[i % len(partners)].id,
                            "user_id": admin.id,
                            "stage_id": stage_from.id,
                            "tag_ids": [Command.set(side_tags[kind].ids)] if side_tags else False,
                        }
                    )
                ids += env["crm.lead"].create(vals).ids
                cr.commit()
                env.invalidate_all()
            return ids

        ours_ids = make_leads("Ours", None, size)
        stock_ids = make_leads("Stock", tags["stock"], stock_size)
        oca_ids = make_leads("OCA", tags["oca"], oca_size) if oca_size else []

        # Ours: one single-step pipeline per action, every run due now.
        our_steps = {
            "activity": {"action": "activity", "activity_type_id": todo.id},
            "email": {"action": "email", "mail_template_id": template.id},
            "stage": {"action": "stage", "stage_id": stage_to.id},
        }
        pipelines = env["crm.automation"].create(
            [
                {
                    "name": f"Bench {kind}",
                    "target_model": "crm.lead",
                    "user_id": admin.id,
                    "step_ids": [Command.create({"name": kind, **our_steps[kind]})],
                }
                for kind in kinds
            ]
        )
        print("enrolling our deals...", flush=True)
        for kind, pipeline in enumerate(pipelines):
            # Same split as the other sides: deal i gets action i % len(kinds).
            kind_ids = ours_ids[kind :: len(kinds)]
            for start in range(0, len(kind_ids), CHUNK):
                pipeline._enrol(env["crm.lead"].browse(kind_ids[start : start + CHUNK]), "manual", check_domain=False)
                cr.commit()
                env.invalidate_all()
        cr.execute(
            "UPDATE crm_automation_run SET next_due = now() at time zone 'UTC' - interval '1 hour' "
            "WHERE automation_id IN %s",
            (tuple(pipelines.ids),),
        )
        # Stock: the same actions as time-based rules, due since creation.
        cr.execute(
            "UPDATE crm_lead SET create_date = now() at time zone 'UTC' - interval '2 hours' WHERE id IN %s",
            (tuple(stock_ids),),
        )
        stage_action = {
            "state": "object_write",
            "update_path": "stage_id",
            "evaluation_type": "value",
            "resource_ref": f"crm.stage,{stage_to.id}",
        }
        stock_actions = {
            "activity": {
                "state": "next_activity",
                "activity_type_id": todo.id,
                "activity_user_type": "specific",
                "activity_user_id": admin.id,
                "activity_summary": "activity",
            },
            "email": {"state": "mail_post", "template_id": template.id, "mail_post_method": "comment"},
            "stage": stage_action,
        }
        rules = env["base.automation"]
        for kind, name in enumerate(kinds):
            rule = env["base.automation"].create(
                {
                    "name": f"Bench stock {name}",
                    "model_id": lead_model.id,
                    "trigger": "on_time_created",
                    "trg_date_range": 1,
                    "trg_date_range_type": "minutes",
                    "filter_domain": repr([("tag_ids", "in", tags["stock"][kind].ids)]),
                }
            )
            env["ir.actions.server"].create(
                {
                    "name": f"Bench stock action {name}",
                    "model_id": lead_model.id,
                    "usage": "base_automation",
                    "base_automation_id": rule.id,
                    **stock_actions[name],
                }
            )
            rules |= rule
        # OCA automation_oca: one configuration per action, records and steps created (not timed), due now.
        configurations = env["automation.configuration"] if oca_size else None
        oca_server_actions = env["ir.actions.server"]
        if oca_size:
            print("enrolling the OCA deals...", flush=True)
            for kind, name in enumerate(kinds):
                step = {
                    "name": name,
                    "trigger_type": "start",
                    "trigger_interval": 0,
                    "mail_author_id": admin.partner_id.id,
                }
                if name == "activity":
                    step.update(
                        step_type="activity",
                        activity_type_id=todo.id,
                        activity_summary="activity",
                        activity_user_type="specific",
                        activity_user_id=admin.id,
                    )
                elif name == "email":
                    step.update(step_type="mail", mail_template_id=template.id)
                else:
                    action = env["ir.actions.server"].create(
                        {"name": "Bench OCA stage", "model_id": lead_model.id, **stage_action}
                    )
                    oca_server_actions |= action
                    step.update(step_type="action", server_action_id=action.id)
                configuration = env["automation.configuration"].create(
                    {
                        "name": f"Bench OCA {name}",
                        "model_id": lead_model.id,
                        "editable_domain": repr([("tag_ids", "in", tags["oca"][kind].ids)]),
                        "automation_step_ids": [Command.create(step)],
                    }
                )
                configuration.start_automation()
                configuration.run_automation()
                configurations |= configuration
                cr.commit()
                env.invalidate_all()
            cr.execute(
                "UPDATE automation_record_step SET scheduled_date = now() at time zone 'UTC' - interval '1 hour' "
                "WHERE state = 'scheduled' AND record_id IN (SELECT id FROM automation_record "
                "WHERE configuration_id IN %s)",
                (tuple(configurations.ids),),
            )
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
        oca = None
        if oca_size:
            oca = measure(
                cr,
                "oca",
                oca_size,
                lambda: env["automation.record.step"]
                .with_context(mail_notify_force_send=False)
                ._cron_automation_steps(),
                trace=not args.no_tracemalloc,
            )
            cr.commit()

        # All sides did the same work.
        for label, ids in (("ours", ours_ids), ("stock", stock_ids), ("oca", oca_ids)):
            if not ids:
                continue
            moved = env["crm.lead"].search_count([("id", "in", ids), ("stage_id", "=", stage_to.id)])
            activities = env["mail.activity"].search_count([("res_model", "=", "crm.lead"), ("res_id", "in", ids)])
            mails = env["mail.message"].search_count(
                [("model", "=", "crm.lead"), ("res_id", "in", ids), ("subject", "like", "About ")]
            )
            print(f"{label:>6}: {moved} deals moved, {activities} activities, {mails} emails", flush=True)
        done = env["crm.automation.run"].search_count([("automation_id", "in", pipelines.ids), ("state", "=", "done")])
        print(f"  ours: {done} runs done", flush=True)

        ratio = ours["steps_s"] / stock["steps_s"]
        line = (
            f"RESULT name=automation_cron actions={'+'.join(kinds)} size={size} stock_size={stock_size} "
            f"batch={args.batch} ours_steps_s={ours['steps_s']:.0f} stock_steps_s={stock['steps_s']:.0f} "
            f"ours_queries_step={ours['queries_step']:.2f} stock_queries_step={stock['queries_step']:.2f} "
            f"ours_peak_mb={ours['peak_mb']:.1f} stock_peak_mb={stock['peak_mb']:.1f}"
        )
        if oca:
            line += (
                f" oca_size={oca_size} oca_steps_s={oca['steps_s']:.0f} oca_queries_step={oca['queries_step']:.2f}"
                f" oca_peak_mb={oca['peak_mb']:.1f} oca_ratio={ours['steps_s'] / oca['steps_s']:.2f}"
            )
        print(f"{line} ratio={ratio:.2f}", flush=True)

        # Leave the database reusable: remove what the run created.
        rules.unlink()
        pipelines.unlink()
        if configurations:
            env["automation.record"].search([("configuration_id", "in", configurations.ids)]).unlink()
            configurations.automation_step_ids.unlink()
            configurations.unlink()
            oca_server_actions.unlink()
        cr.commit()


if __name__ == "__main__":
    sys.exit(main())
