import logging
from collections import defaultdict
from datetime import timedelta

from odoo import api, models
from odoo.tools import SQL

from .crm_automation_run import claimed_batches

_logger = logging.getLogger(__name__)

BATCH_SIZE = 50


class CrmTimeSummary(models.AbstractModel):
    """The weekly time summary email of each client.

    Every Monday, each client with time logged on its projects the week
    before gets one email with its hours by project and by team member, sent
    to its contacts who opted in. Clients are claimed in batches with
    ``FOR NO KEY UPDATE SKIP LOCKED`` and marked with the last day summed
    (``crm_time_summary_sent_until``) in the same transaction as the email
    is queued, so a rerun or a second worker sends nothing twice.
    """

    _name = "crm.time.summary"
    _description = "Weekly Time Summary of Clients"

    @api.model
    def _cron_send_time_summary(self, batch_size=BATCH_SIZE):
        end = self.env["crm.time.invoicing"]._crm_last_sunday()
        return self.sudo()._send_time_summaries(end - timedelta(days=6), end, batch_size=batch_size)

    @api.model
    def _send_time_summaries(self, start, end, batch_size=BATCH_SIZE):
        """Send the summary of the week ``start`` - ``end`` to every client
        due; return the clients emailed."""
        sent = self.env["res.partner"]
        failed = []

        def claim():
            return self._lock_due_clients(start, end, batch_size, failed)

        for clients in claimed_batches(self.env, claim):
            sent_now, failed_now = self._send_batch(clients, start, end)
            sent |= sent_now
            failed += failed_now.ids
        return sent

    @api.model
    def _lock_due_clients(self, start, end, limit, skip_ids=()):
        """Clients with time in the week, in a company that sends summaries, with
        a contact who opted in, and no summary of this week yet."""
        self.env["account.analytic.line"].flush_model(["crm_client_id", "date", "company_id", "project_id"])
        self.env["res.partner"].flush_model(
            ["crm_time_summary_sent_until", "crm_time_summary_optin", "email", "commercial_partner_id", "active"]
        )
        self.env["res.company"].flush_model(["crm_time_summary_weekly"])
        self.env.cr.execute(
            SQL(
                """
                SELECT client.id
                  FROM res_partner client
                 WHERE client.id IN (
                           SELECT line.crm_client_id
                             FROM account_analytic_line line
                             JOIN res_company company ON company.id = line.company_id
                            WHERE line.crm_client_id IS NOT NULL
                              AND line.project_id IS NOT NULL
                              AND line.date BETWEEN %(start)s AND %(end)s
                              AND company.crm_time_summary_weekly)
                   AND (client.crm_time_summary_sent_until IS NULL OR client.crm_time_summary_sent_until < %(end)s)
                   AND EXISTS (SELECT 1 FROM res_partner contact
                                WHERE contact.commercial_partner_id = client.id
                                  AND contact.active AND contact.crm_time_summary_optin
                                  AND COALESCE(contact.email, '') != '')
                   AND client.id != ALL(%(skip)s)
                 ORDER BY client.id
                 LIMIT %(limit)s
                   FOR NO KEY UPDATE OF client SKIP LOCKED
                """,
                start=start,
                end=end,
                skip=list(skip_ids),
                limit=limit,
            ),
            log_exceptions=False,
        )
        return self.env["res.partner"].browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _summaries(self, clients, start, end):
        """{client: {"projects": [(name, hours)], "members": [(name, hours)], "total": hours}}
        in one grouped query for the batch."""
        groups = self.env["account.analytic.line"]._read_group(
            [
                ("crm_client_id", "in", clients.ids),
                ("project_id", "!=", False),
                ("date", ">=", start),
                ("date", "<=", end),
                ("company_id.crm_time_summary_weekly", "=", True),
            ],
            ["crm_client_id", "project_id", "employee_id"],
            ["unit_amount:sum"],
        )
        by_client = defaultdict(lambda: {"projects": defaultdict(float), "members": defaultdict(float)})
        for client, project, employee, hours in groups:
            by_client[client]["projects"][project.display_name] += hours
            by_client[client]["members"][employee.name or ""] += hours
        return {
            client: {
                "projects": sorted(values["projects"].items()),
                "members": sorted(values["members"].items()),
                "total": sum(values["projects"].values()),
            }
            for client, values in by_client.items()
        }

    @api.model
    def _send_batch(self, clients, start, end):
        template = self.env.ref("crm_client_suite.mail_template_crm_time_summary")
        summaries = self._summaries(clients, start, end)
        recipients = self.env["res.partner"].search(
            [
                ("commercial_partner_id", "in", clients.ids),
                ("crm_time_summary_optin", "=", True),
                ("email", "!=", False),
            ]
        )
        by_client = recipients.grouped("commercial_partner_id")
        sent = failed = self.env["res.partner"]
        for client in clients:
            contacts = by_client.get(client)
            if not contacts:
                continue
            try:
                with self.env.cr.savepoint():
                    template.with_context(
                        crm_summary=summaries.get(client, {}),
                        crm_summary_start=start,
                        crm_summary_end=end,
                    ).send_mail(
                        client.id,
                        email_layout_xmlid="mail.mail_notification_light",
                        email_values={"recipient_ids": [(6, 0, contacts.ids)]},
                    )
                    client.crm_time_summary_sent_until = end
                sent |= client
            except Exception:  # one client's failure never holds back the others
                _logger.exception("The weekly time summary of client %s could not be sent", client.id)
                failed |= client
        return sent, failed
