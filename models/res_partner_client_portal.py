from collections import defaultdict
from datetime import timedelta

from odoo import fields, models

CUSTOMER_MOVE_TYPES = ("out_invoice", "out_refund")


class ResPartner(models.Model):
    """What the client portal (/my/client) shows of a client.

    The controller checks that the portal user is a contact of the client,
    then calls these on the client with sudo: every domain here is bound to
    the client's hierarchy (``_crm_portal_hierarchy_domain``), so nothing of
    another client can come out.
    """

    _inherit = "res.partner"

    def _crm_portal_hierarchy_domain(self, field="partner_id"):
        """The records whose partner ``field`` is in the client's hierarchy: the
        client, its contacts, its sub-companies and theirs, at any depth.

        The one definition of "the client" for every section of /my/client,
        the /my counter and the time CSV. The portal record rules that guard
        the record URLs say the same with ``child_of`` the portal user's
        commercial partner (security/client_portal_rules.xml for projects and
        tasks, security/crm_case_rules.xml for cases; stock's invoice rule
        follows ``message_partner_ids`` the same way).
        """
        self.ensure_one()
        return [(field, "child_of", self.id)]

    def _crm_portal_project_domain(self):
        return self._crm_portal_hierarchy_domain() + [("privacy_visibility", "=", "portal")]

    def _crm_portal_projects(self):
        self.ensure_one()
        projects = self.env["project.project"].search(self._crm_portal_project_domain(), order="name, id")
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
        return self.env["project.project"].search_count(self._crm_portal_project_domain())

    def _crm_portal_time_domain(self, date_from=None, date_to=None):
        self.ensure_one()
        # The line's client is its project's commercial partner: a sub-company's
        # time has the sub-company as client, a child of this one.
        domain = self._crm_portal_hierarchy_domain("crm_client_id") + [("project_id.privacy_visibility", "=", "portal")]
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
        """The posted invoices and credit notes of the client's hierarchy;
        drafts never show."""
        self.ensure_one()
        return self.env["account.move"].search(
            self._crm_portal_hierarchy_domain("commercial_partner_id")
            + [("move_type", "in", CUSTOMER_MOVE_TYPES), ("state", "=", "posted")],
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
            self._crm_portal_hierarchy_domain() + [("state", "in", ("sent", "sale"))],
            order="date_order desc, id desc",
        )

    def _crm_portal_deals(self):
        """Open deals of the client, shown read-only."""
        self.ensure_one()
        return self.env["crm.lead"].search(
            self._crm_portal_hierarchy_domain() + [("type", "=", "opportunity"), ("stage_id.is_won", "=", False)],
            order="date_deadline, id",
        )
