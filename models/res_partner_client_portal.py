from collections import defaultdict
from datetime import timedelta

from odoo import fields, models

CUSTOMER_MOVE_TYPES = ("out_invoice", "out_refund")


class ResPartner(models.Model):
    """What the client portal (/my/client) shows of a client.

    The controller checks that the portal user is a contact of the client,
    then calls these on the client with sudo: every domain here is bound to
    the client, so nothing of another client can come out.
    """

    _inherit = "res.partner"

    def _crm_portal_projects(self):
        self.ensure_one()
        projects = self.env["project.project"].search(
            [("partner_id", "child_of", self.id), ("privacy_visibility", "=", "portal")], order="name, id"
        )
        rows = []
        for project in projects:
            total, open_tasks = project.task_count, project.open_task_count
            rows.append(
                {
                    "project": project,
                    "open_tasks": open_tasks,
                    "progress": round(100 * (total - open_tasks) / total) if total else 0,
                }
            )
        return rows

    def _crm_portal_project_count(self):
        self.ensure_one()
        return self.env["project.project"].search_count(
            [("partner_id", "child_of", self.id), ("privacy_visibility", "=", "portal")]
        )

    def _crm_portal_time_domain(self, date_from=None, date_to=None):
        self.ensure_one()
        domain = [("crm_client_id", "=", self.id), ("project_id.privacy_visibility", "=", "portal")]
        if date_from:
            domain.append(("date", ">=", date_from))
        if date_to:
            domain.append(("date", "<=", date_to))
        return domain

    def _crm_portal_time_summary(self, date_from, date_to, today=None):
        """Hours by project and by team member: this week, last week, and the
        period ``date_from`` - ``date_to``."""
        self.ensure_one()
        today = today or fields.Date.context_today(self)
        monday = today - timedelta(days=today.weekday())
        periods = {
            "this_week": (monday, monday + timedelta(days=6)),
            "last_week": (monday - timedelta(days=7), monday - timedelta(days=1)),
            "period": (date_from, date_to),
        }
        Line = self.env["account.analytic.line"]
        summary = {"project": defaultdict(dict), "member": defaultdict(dict)}
        for key, (start, end) in periods.items():
            for project, employee, hours in Line._read_group(
                self._crm_portal_time_domain(start, end), ["project_id", "employee_id"], ["unit_amount:sum"]
            ):
                for kind, record in (("project", project), ("member", employee)):
                    summary[kind][record][key] = summary[kind][record].get(key, 0.0) + hours
        return {
            kind: sorted(rows.items(), key=lambda item: item[0].display_name or "") for kind, rows in summary.items()
        }

    def _crm_portal_time_rows(self, date_from, date_to):
        """The time entries of the period, for the CSV download."""
        self.ensure_one()
        lines = self.env["account.analytic.line"].search(
            self._crm_portal_time_domain(date_from, date_to), order="date, id"
        )
        return [
            (
                fields.Date.to_string(line.date),
                line.project_id.display_name,
                line.task_id.display_name or "",
                line.employee_id.name or "",
                line.name or "",
                round(line.unit_amount, 2),
            )
            for line in lines
        ]

    def _crm_portal_invoices(self):
        """The client's posted invoices and credit notes; drafts never show."""
        self.ensure_one()
        return self.env["account.move"].search(
            [
                ("commercial_partner_id", "=", self.id),
                ("move_type", "in", CUSTOMER_MOVE_TYPES),
                ("state", "=", "posted"),
            ],
            order="invoice_date desc, id desc",
        )

    def _crm_portal_payable(self, invoices):
        """The posted customer invoices of ``invoices`` that still wait for
        payment: the portal offers to pay them on their stock portal page."""
        return invoices.filtered(
            lambda move: move.move_type == "out_invoice"
            and move.state == "posted"
            and move.payment_state in ("not_paid", "partial")
            and not move.currency_id.is_zero(move.amount_residual)
        )

    def _crm_portal_payment_provider(self):
        """Whether a payment provider is configured for the client's invoices:
        with ``account_payment`` installed, the stock invoice page then shows
        its pay button. Read without depending on ``payment``."""
        self.ensure_one()
        if "payment.provider" not in self.env:
            return False
        return bool(
            self.env["payment.provider"]
            .sudo()
            .search_count([("state", "in", ("enabled", "test")), ("company_id", "in", self.env.companies.ids)], limit=1)
        )

    def _crm_portal_orders(self):
        """Quotations sent to the client and its confirmed orders, shown
        read-only; a draft quotation, not yet shared, never shows."""
        self.ensure_one()
        return self.env["sale.order"].search(
            [("partner_id", "child_of", self.id), ("state", "in", ("sent", "sale"))],
            order="date_order desc, id desc",
        )

    def _crm_portal_deals(self):
        """Open deals of the client, shown read-only."""
        self.ensure_one()
        return self.env["crm.lead"].search(
            [
                ("partner_id", "child_of", self.id),
                ("type", "=", "opportunity"),
                ("stage_id.is_won", "=", False),
            ],
            order="date_deadline, id",
        )
