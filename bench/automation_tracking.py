"""Benchmark: recorded email opens turned into wait-condition resolutions, against OCA automation_oca.

Both sides first send ``--size`` automation emails on deals (not timed): ours
through a pipeline "email, then schedule an activity only if the email was
opened within 3 days"; OCA's through a configuration "mail, then a child
activity step triggered on mail_open". Then every email is opened once, as
each side's public pixel route does it (the signature checked, the open
recorded), and each side's cron turns the opens into the activity step.
Timed: the opens and the cron, separately and together; SQL queries counted
by Odoo's per-thread counter. Both sides must end with ``--size`` activities.

OCA automation_oca is never a dependency of the add-on. Get it with:

    pip download --no-deps 'odoo-addon-automation_oca==18.0.*' -d DIR
    unzip the wheel's odoo/addons/automation_oca into DIR/addons

Usage (installs crm_client_suite and automation_oca into --db when needed):

    /opt/odoo-venv/bin/python bench/automation_tracking.py --db ccs_bench_tracking --size 1000 --oca-addons DIR/addons

Without --oca-addons (nor $CCS_OCA_ADDONS) only our side runs and the ratio is 1.
"""

import argparse
import os
import re
import threading
import time

from benchlib import addons_path, ensure_modules

OPEN_RE = re.compile(r"/crm_client_suite/track/open/(\d+)/(\d+)/(\d+)/(\w+)/blank\.gif")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="ccs_bench_tracking")
    parser.add_argument("--size", type=int, default=1000, help="emails opened per side (default 1000)")
    parser.add_argument(
        "--oca-addons",
        default=os.environ.get("CCS_OCA_ADDONS"),
        help="folder holding OCA automation_oca 18.0 (default: $CCS_OCA_ADDONS)",
    )
    parser.add_argument("--addons-path", default=addons_path(), help="addons path holding crm_client_suite")
    args = parser.parse_args()
    if args.oca_addons:
        if not os.path.isdir(os.path.join(args.oca_addons, "automation_oca")):
            parser.error(f"{args.oca_addons} holds no automation_oca folder")
        args.addons_path = f"{args.addons_path},{os.path.abspath(args.oca_addons)}"
    return args


def ensure_database(args):
    ensure_modules(args.db, ["crm_client_suite"] + (["automation_oca"] if args.oca_addons else []), args.addons_path)


def timed(fn):
    thread = threading.current_thread()
    thread.query_count = 0
    thread.query_time = 0
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started, thread.query_count


def main():
    args = parse_args()
    ensure_database(args)
    import odoo
    from odoo import Command, api, tools
    from odoo.modules.registry import Registry
    from odoo.tools import consteq

    odoo.tools.config.parse_config(["-d", args.db, "--addons-path", args.addons_path, "--log-level=warn"])
    registry = Registry(args.db)
    size = args.size
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
        ICP = env["ir.config_parameter"]
        force_send_limit = ICP.get_param("mail.mail.force.send.limit")
        ICP.set_param("mail.mail.force.send.limit", "0")  # queue the emails: nothing leaves the machine
        oca = bool(args.oca_addons)
        print(f"creating {size} deals per side and sending their emails (not timed)...", flush=True)
        partners = env["res.partner"].create(
            [{"name": f"Tracking contact {i}", "email": f"tracking{i}@example.org"} for i in range(size)]
        )
        lead_model = env["ir.model"]._get("crm.lead")
        template = env["mail.template"].create(
            {
                "name": "Bench tracked offer",
                "model_id": lead_model.id,
                "subject": "Offer for {{ object.name }}",
                "body_html": "<p>Hello <t t-out='object.partner_id.name'/>, "
                "see <a href='https://example.com/offer'>our offer</a>.</p>",
                "use_default_to": True,
                "auto_delete": False,
            }
        )
        todo = env.ref("mail.mail_activity_data_todo")
        tag = env["crm.tag"].create({"name": f"bench-tracking-oca-{int(time.time())}"})

        def make_leads(prefix, tags=False):
            return env["crm.lead"].create(
                [
                    {
                        "name": f"{prefix} tracked deal {i}",
                        "type": "opportunity",
                        "partner_id": partner.id,
                        "user_id": admin.id,
                        "tag_ids": [Command.set(tags.ids)] if tags else False,
                    }
                    for i, partner in enumerate(partners)
                ]
            )

        # Ours: email, then an activity only if opened within 3 days.
        ours_leads = make_leads("Ours")
        pipeline = env["crm.automation"].create(
            {
                "name": "Bench tracking",
                "target_model": "crm.lead",
                "user_id": admin.id,
                "step_ids": [
                    Command.create({"name": "Offer", "action": "email", "mail_template_id": template.id}),
                    Command.create(
                        {
                            "name": "Opened: call",
                            "action": "activity",
                            "activity_type_id": todo.id,
                            "activity_summary": "Opened",
                            "condition": "opened",
                            "condition_days": 3,
                        }
                    ),
                ],
            }
        )
        Run = env["crm.automation.run"].with_context(crm_cron_commit=True)
        pipeline._enrol(ours_leads, "manual")
        cr.commit()
        Run._cron_process_due_runs(time_budget=10**9)  # the emails, then the runs wait on the condition
        mails = env["mail.mail"].search([("model", "=", "crm.lead"), ("res_id", "in", ours_leads.ids)])
        pixels = [OPEN_RE.search(mail.body_html).groups() for mail in mails]
        waiting = Run.search_count([("automation_id", "=", pipeline.id), ("state", "=", "waiting")])
        print(f"  ours: {len(pixels)} tracked emails, {waiting} runs waiting", flush=True)
        cr.commit()

        configuration = None
        oca_steps = None
        if oca:
            oca_leads = make_leads("OCA", tag)
            configuration = env["automation.configuration"].create(
                {
                    "name": "Bench tracking OCA",
                    "model_id": lead_model.id,
                    "editable_domain": repr([("tag_ids", "in", tag.ids)]),
                    "automation_step_ids": [
                        Command.create(
                            {
                                "name": "Offer",
                                "step_type": "mail",
                                "trigger_type": "start",
                                "trigger_interval": 0,
                                "mail_template_id": template.id,
                                "mail_author_id": admin.partner_id.id,
                            }
                        )
                    ],
                }
            )
            mail_step = configuration.automation_step_ids
            env["automation.configuration.step"].create(
                {
                    "name": "Opened: call",
                    "configuration_id": configuration.id,
                    "parent_id": mail_step.id,
                    "step_type": "activity",
                    "trigger_type": "mail_open",
                    "trigger_interval": 0,
                    "activity_type_id": todo.id,
                    "activity_summary": "Opened",
                    "activity_user_type": "specific",
                    "activity_user_id": admin.id,
                }
            )
            configuration.start_automation()
            configuration.run_automation()
            cr.commit()
            env["automation.record.step"].with_context(mail_notify_force_send=False)._cron_automation_steps()
            oca_steps = env["automation.record.step"].search(
                [("configuration_step_id", "=", mail_step.id), ("state", "=", "done")]
            )
            print(f"   oca: {len(oca_steps)} mail steps done", flush=True)
            cr.commit()
        env.invalidate_all()

        # Timed: one open per email as each side's pixel route does it, then its cron.
        Event = env["crm.automation.email.event"]

        def ours_opens():
            for run_id, step_id, message_id, token in pixels:
                Event._crm_record_event("open", int(run_id), int(step_id), int(message_id), token)

        ours_open_s, ours_open_q = timed(ours_opens)
        cr.commit()
        ours_cron_s, ours_cron_q = timed(lambda: Run._cron_process_due_runs(time_budget=10**9))
        cr.commit()
        ours_done = env["mail.activity"].search_count(
            [("res_model", "=", "crm.lead"), ("res_id", "in", ours_leads.ids), ("summary", "=", "Opened")]
        )
        ours_s = ours_open_s + ours_cron_s
        print(
            f"  ours: {size} opens in {ours_open_s:.2f}s ({ours_open_q / size:.1f} queries/open), "
            f"cron {ours_cron_s:.2f}s ({ours_cron_q / size:.1f} queries/run): {ours_done} activities",
            flush=True,
        )
        line = (
            f"RESULT name=automation_tracking size={size} ours_s={ours_s:.2f} ours_opens_s={size / ours_s:.0f} "
            f"ours_queries_open={(ours_open_q + ours_cron_q) / size:.2f} ours_resolved={ours_done}"
        )
        ratio = 1.0
        if oca:
            steps = oca_steps
            tokens = {step.id: step._get_mail_tracking_token() for step in steps}
            env.invalidate_all()

            def oca_opens():
                RecordStep = env["automation.record.step"].sudo()
                for step_id, token in tokens.items():
                    # automation_oca's controller: check the token, then _set_mail_open.
                    if consteq(token, tools.hmac(env(su=True), "automation_oca", step_id)):
                        RecordStep.browse(step_id)._set_mail_open()

            oca_open_s, oca_open_q = timed(oca_opens)
            cr.commit()
            oca_cron_s, oca_cron_q = timed(
                lambda: env["automation.record.step"]
                .with_context(mail_notify_force_send=False)
                ._cron_automation_steps()
            )
            cr.commit()
            oca_done = env["mail.activity"].search_count(
                [("res_model", "=", "crm.lead"), ("res_id", "in", oca_leads.ids), ("summary", "=", "Opened")]
            )
            oca_s = oca_open_s + oca_cron_s
            print(
                f"   oca: {len(tokens)} opens in {oca_open_s:.2f}s ({oca_open_q / max(len(tokens), 1):.1f} "
                f"queries/open), cron {oca_cron_s:.2f}s ({oca_cron_q / max(len(tokens), 1):.1f} queries/step): "
                f"{oca_done} activities",
                flush=True,
            )
            ratio = oca_s / ours_s
            line += (
                f" oca_s={oca_s:.2f} oca_opens_s={len(tokens) / oca_s:.0f}"
                f" oca_queries_open={(oca_open_q + oca_cron_q) / max(len(tokens), 1):.2f} oca_resolved={oca_done}"
            )
        print(f"{line} ratio={ratio:.2f}", flush=True)

        # Leave the database reusable.
        pipeline.unlink()
        if configuration:
            env["automation.record"].search([("configuration_id", "=", configuration.id)]).unlink()
            configuration.automation_step_ids.unlink()
            configuration.unlink()
        ICP.set_param("mail.mail.force.send.limit", force_send_limit or "100")
        cr.commit()


if __name__ == "__main__":
    main()
