"""Opens and clicks of the emails that automation steps send.

Each email of an email step carries an open pixel, and its links go through
Odoo's ``link_tracker`` then through the add-on's click route. The URLs are
signed with ``tools.hmac`` over (kind, run, step, message, link): a forged
URL, or one moved to another email, run or link, records nothing. An open is
recorded once per email, a click once per email and link: the unique index
makes a replayed URL, or two requests at once, record nothing more.

A recorded open or click counts as an inbound email touch of the contact
(last contacted), shows in the timeline, wakes the runs waiting on the email
and enrols the records of the pipelines triggered by it.
"""

import lxml.html
from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.tools import SQL, consteq
from odoo.tools.mail import URL_SKIP_PROTOCOL_REGEX

from odoo.addons.link_tracker.tools.html import find_links_with_urls_and_labels

TRACKING_SCOPE = "crm_client_suite.automation_tracking"
EVENT_KINDS = [("open", "Opened"), ("click", "Clicked")]
OPEN_ROUTE = "/crm_client_suite/track/open"
CLICK_ROUTE_PART = "ccs"  # /r/<code>/ccs/<run>/<step>/<message>/<token>


def tracking_token(env, kind, run_id, step_id, message_id, link_id=0):
    """The signature of one open pixel or one tracked link of one email."""
    return tools.hmac(env(su=True), TRACKING_SCOPE, (kind, int(run_id), int(step_id), int(message_id), int(link_id)))


class CrmAutomationEmailEvent(models.Model):
    _name = "crm.automation.email.event"
    _description = "Automation Email Open or Click"
    _order = "date desc, id desc"

    run_id = fields.Many2one("crm.automation.run", required=True, ondelete="cascade", index=True)
    automation_id = fields.Many2one(related="run_id.automation_id", string="Pipeline")
    step_id = fields.Many2one("crm.automation.step", string="Email Step", ondelete="set null")
    message_id = fields.Many2one("mail.message", string="Email", required=True, ondelete="cascade")
    kind = fields.Selection(EVENT_KINDS, required=True)
    link_id = fields.Many2one("link.tracker", ondelete="cascade")
    url = fields.Char(related="link_id.url", string="URL")
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    partner_id = fields.Many2one("res.partner", string="Contact", index="btree_not_null", ondelete="cascade")

    def init(self):
        res = super().init()
        # Once per email (and link): the replay guard, also under concurrency.
        self.env.cr.execute(
            SQL(
                """
                CREATE UNIQUE INDEX IF NOT EXISTS crm_automation_email_event_once
                    ON crm_automation_email_event (message_id, kind, COALESCE(link_id, 0))
                """
            )
        )
        return res

    # ------------------------------------------------------------------
    # Signing the email
    # ------------------------------------------------------------------

    @api.model
    def _crm_track_mails(self, mails, step, run_by_res_id):
        """Add the open pixel and the tracked links to ``mails`` (mail.mail of
        ``step``, one per record, not sent yet), signed for their run. One
        batch of link.tracker look-ups for all mails."""
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        short_prefix = base_url + "/r/"
        parsed, all_links = [], []
        seen = set()
        for mail in mails:
            run_id = run_by_res_id.get(mail.res_id)
            if not run_id or not mail.body_html or mail.res_id in seen:
                continue
            seen.add(mail.res_id)  # one email per record: the step's
            root = lxml.html.fromstring(mail.body_html)
            nodes, urls_and_labels = find_links_with_urls_and_labels(
                root, base_url, skip_regex=rf"^{URL_SKIP_PROTOCOL_REGEX}", skip_prefix=short_prefix
            )
            parsed.append((mail, run_id, root, nodes, len(all_links)))
            # The label as title: link.tracker would otherwise fetch each page.
            all_links += [{**vals, "title": vals["label"] or vals["url"]} for vals in urls_and_labels]
        links = self.env["link.tracker"].sudo().search_or_create(all_links) if all_links else []
        for mail, run_id, root, nodes, start in parsed:
            message_id = mail.mail_message_id.id
            for offset, node in enumerate(nodes):
                link = links[start + offset]
                token = tracking_token(self.env, "click", run_id, step.id, message_id, link.id)
                node.set("href", f"{link.short_url}/{CLICK_ROUTE_PART}/{run_id}/{step.id}/{message_id}/{token}")
            body = lxml.html.tostring(root, encoding="unicode", method="xml") if nodes else mail.body_html
            token = tracking_token(self.env, "open", run_id, step.id, message_id)
            pixel = Markup(
                '<img src="%s/%s/%s/%s/%s/%s/blank.gif" alt="" width="1" height="1" style="display:none"/>'
            ) % (
                base_url,
                OPEN_ROUTE.lstrip("/"),
                run_id,
                step.id,
                message_id,
                token,
            )
            mail.body_html = tools.mail.append_content_to_html(Markup(body), pixel, plaintext=False)

    # ------------------------------------------------------------------
    # Recording an open or a click
    # ------------------------------------------------------------------

    @api.model
    def _crm_record_event(self, kind, run_id, step_id, message_id, token, link=None):
        """Record one open or click if ``token`` signs it; return the new
        event, or an empty recordset (bad token, unknown email, or already
        recorded). Writes nothing unless the token is good."""
        self = self.sudo()
        link_id = link.id if link else 0
        if not token or not consteq(str(token), tracking_token(self.env, kind, run_id, step_id, message_id, link_id)):
            return self.browse()
        # The run, its email on the same record and the step, checked in one query.
        self.env["crm.automation.run"].flush_model(["res_model", "res_id"])
        self.env["mail.message"].flush_model(["model", "res_id"])
        found = self.env.execute_query(
            SQL(
                """
                SELECT r.res_model, r.res_id, s.id
                  FROM crm_automation_run r
                  JOIN mail_message m ON m.id = %(message)s AND m.model = r.res_model AND m.res_id = r.res_id
             LEFT JOIN crm_automation_step s ON s.id = %(step)s
                 WHERE r.id = %(run)s
                """,
                run=int(run_id),
                message=int(message_id),
                step=int(step_id),
            )
        )
        if not found:
            return self.browse()
        res_model, res_id, step = found[0]
        run = self.env["crm.automation.run"].browse(int(run_id))
        record = self.env[res_model].browse(res_id).exists()
        contact = record._crm_automation_contact() if record else self.env["res.partner"]
        now = fields.Datetime.now()
        rows = self.env.execute_query(
            SQL(
                """
                INSERT INTO crm_automation_email_event
                       (run_id, step_id, message_id, kind, link_id, date, partner_id,
                        create_uid, create_date, write_uid, write_date)
                VALUES (%(run)s, %(step)s, %(message)s, %(kind)s, %(link)s, %(now)s, %(partner)s,
                        %(uid)s, %(now)s, %(uid)s, %(now)s)
                ON CONFLICT DO NOTHING
             RETURNING id
                """,
                run=run.id,
                step=step,
                message=int(message_id),
                kind=kind,
                link=link_id or None,
                now=now,
                partner=contact.id or None,
                uid=self.env.uid,
            )
        )
        if not rows:
            return self.browse()
        event = self.browse(rows[0][0])
        if contact:
            contact._crm_register_inbound_touch("email", now)
        run._crm_wake()
        self.env["crm.automation"]._crm_enrol_on_email_event(event)
        return event


class MailMail(models.Model):
    _inherit = "mail.mail"

    @api.model_create_multi
    def create(self, vals_list):
        mails = super().create(vals_list)
        tracking = self.env.context.get("crm_tracking")
        if tracking:
            step = self.env["crm.automation.step"].browse(tracking["step_id"])
            tracked = mails.sudo().filtered(lambda mail: mail.model == step.target_model)
            self.env["crm.automation.email.event"]._crm_track_mails(tracked, step, tracking["runs"])
        return mails
