from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

PAYMENT_STATUSES = [
    ("not_paid", "Not Paid"),
    ("partial", "Partially Paid"),
    ("paid", "Paid"),
    ("overdue", "Overdue"),
]
CUSTOMER_MOVE_TYPES = ("out_invoice", "out_refund")


class ResPartner(models.Model):
    _inherit = "res.partner"

    crm_project_count = fields.Integer(string="Project Count", compute="_compute_crm_project_figures")
    crm_hours_this_week = fields.Float(string="Hours This Week", compute="_compute_crm_project_figures")
    crm_hours_unbilled = fields.Float(string="Unbilled Hours", compute="_compute_crm_project_figures")
    crm_open_task_count = fields.Integer(string="Open Tasks", compute="_compute_crm_project_figures")
    crm_billing_rate_ids = fields.One2many("crm.billing.rate", "partner_id", string="Billing Rates")

    # Invoices and profitability (company currency) ----------------------------
    crm_invoice_count = fields.Integer(string="Client Invoice Count", compute="_compute_crm_invoice_figures")
    crm_payment_status = fields.Selection(
        PAYMENT_STATUSES,
        string="Payment Status",
        compute="_compute_crm_invoice_figures",
        help="Overdue: an invoice is past its due date. Partially Paid: an invoice is paid in part. "
        "Not Paid: invoices wait for payment. Paid: every posted invoice is paid.",
    )
    crm_outstanding_balance = fields.Monetary(
        string="Outstanding Balance",
        compute="_compute_crm_invoice_figures",
        currency_field="crm_company_currency_id",
    )
    crm_invoiced_revenue = fields.Monetary(
        string="Invoiced Revenue",
        compute="_compute_crm_invoice_figures",
        currency_field="crm_company_currency_id",
        help="Untaxed amount of the client's posted invoices, less its credit notes.",
    )
    crm_time_cost = fields.Monetary(
        string="Time Cost",
        compute="_compute_crm_invoice_figures",
        currency_field="crm_company_currency_id",
        help="Hours logged on the client's projects at the hourly cost of each employee.",
    )
    crm_profit = fields.Monetary(
        string="Profit",
        compute="_compute_crm_invoice_figures",
        currency_field="crm_company_currency_id",
        help="Invoiced revenue minus the cost of the time logged on the client's projects.",
    )

    def _compute_crm_project_figures(self):
        clients = self.filtered("id")
        (self - clients).update(
            {"crm_project_count": 0, "crm_hours_this_week": 0.0, "crm_hours_unbilled": 0.0, "crm_open_task_count": 0}
        )
        if not clients:
            return
        projects = self.env["project.project"].search([("partner_id", "in", clients.ids)])
        for client in clients:
            own = projects.filtered(lambda p, client=client: p.partner_id == client)
            client.crm_project_count = len(own)
            client.crm_hours_this_week = sum(own.mapped("crm_hours_this_week"))
            client.crm_hours_unbilled = sum(own.mapped("crm_hours_unbilled"))
            client.crm_open_task_count = sum(own.mapped("open_task_count"))

    def _compute_crm_invoice_figures(self):
        """Invoice history, payment status and profitability: a few grouped
        queries for the whole batch, within what the user may read."""
        clients = self.filtered("id")
        empty = {
            "crm_invoice_count": 0,
            "crm_payment_status": False,
            "crm_outstanding_balance": 0.0,
            "crm_invoiced_revenue": 0.0,
            "crm_time_cost": 0.0,
            "crm_profit": 0.0,
        }
        self.update(empty)
        if not clients:
            return
        Move = self.env["account.move"]
        figures = {client.id: dict(empty, states=set()) for client in clients}
        if Move.has_access("read"):
            domain = [
                ("commercial_partner_id", "in", clients.ids),
                ("move_type", "in", CUSTOMER_MOVE_TYPES),
                ("state", "=", "posted"),
            ]
            groups = Move._read_group(
                domain,
                ["commercial_partner_id", "move_type", "payment_state"],
                ["__count", "amount_untaxed_signed:sum", "amount_residual_signed:sum"],
            )
            for partner, move_type, payment_state, count, untaxed, residual in groups:
                values = figures[partner.id]
                values["crm_invoice_count"] += count
                values["crm_invoiced_revenue"] += untaxed
                values["crm_outstanding_balance"] += residual
                if move_type == "out_invoice":
                    values["states"].add(payment_state)
            today = fields.Date.context_today(self)
            overdue = Move._read_group(
                domain
                + [
                    ("move_type", "=", "out_invoice"),
                    ("payment_state", "in", ("not_paid", "partial")),
                    ("invoice_date_due", "<", today),
                ],
                ["commercial_partner_id"],
            )
            for (partner,) in overdue:
                figures[partner.id]["states"].add("overdue")
        Line = self.env["account.analytic.line"]
        if Line.has_access("read"):
            for client, amount in Line._read_group(
                [("crm_client_id", "in", clients.ids)], ["crm_client_id"], ["amount:sum"]
            ):
                figures[client.id]["crm_time_cost"] = -amount
        for client in clients:
            values = figures[client.id]
            states = values.pop("states")
            values["crm_payment_status"] = self._crm_payment_status(states)
            values["crm_profit"] = values["crm_invoiced_revenue"] - values["crm_time_cost"]
            client.update(values)

    @api.model
    def _crm_payment_status(self, states):
        """One status from the payment states of a client's posted invoices."""
        for status, found in (
            ("overdue", {"overdue"}),
            ("partial", {"partial"}),
            ("not_paid", {"not_paid"}),
            ("paid", {"paid", "in_payment", "reversed"}),
        ):
            if states & found:
                return status
        return False

    def _crm_revenue_by_month(self):
        """Invoiced revenue (untaxed, company currency) of this client per month:
        a list of (first day of the month, amount), oldest first."""
        self.ensure_one()
        groups = self.env["account.move"]._read_group(
            [
                ("commercial_partner_id", "=", self.id),
                ("move_type", "in", CUSTOMER_MOVE_TYPES),
                ("state", "=", "posted"),
            ],
            ["invoice_date:month"],
            ["amount_untaxed_signed:sum"],
            order="invoice_date:month",
        )
        return [(month, amount) for month, amount in groups]

    def action_crm_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action["domain"] = [("commercial_partner_id", "=", self.id), ("move_type", "in", CUSTOMER_MOVE_TYPES)]
        action["context"] = {"default_move_type": "out_invoice", "default_partner_id": self.id}
        return action

    def action_crm_view_revenue(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_account_invoice_report_all")
        action["domain"] = [("commercial_partner_id", "=", self.id)]
        action["context"] = {"search_default_current": 0, "group_by": ["invoice_date:month"]}
        action["views"] = [(False, "graph"), (False, "pivot")]
        return action

    # Client projects ---------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        if not self.env.context.get("crm_no_client_project"):
            clients = partners.filtered(
                lambda p: p._crm_is_client() and (p.company_id or self.env.company).crm_client_auto_project
            )
            clients._crm_ensure_client_project()
        return partners

    def _crm_is_client(self):
        """A client is a company partner at the top of its hierarchy."""
        self.ensure_one()
        return self.is_company and not self.parent_id and self.crm_client_type != "supplier"

    def _prepare_crm_client_project_values(self):
        self.ensure_one()
        return {
            "name": self.name,
            "company_id": self.company_id.id or self.env.company.id,
            "user_id": self.user_id.id or False,
            "crm_team_id": self.team_id.id or False,
            "privacy_visibility": "portal",
            "type_ids": [(6, 0, self.env["project.project"]._crm_board_stages().ids)],
        }

    def _crm_ensure_client_project(self):
        """Give each client of ``self`` its project, unless it has one already
        (archived projects count): calling it again creates nothing."""
        Project = self.env["project.project"].sudo().with_context(active_test=False)
        clients = self.filtered(lambda p: p._crm_is_client())
        if not clients:
            return Project
        with_project = {
            partner.id for (partner,) in Project._read_group([("partner_id", "in", clients.ids)], ["partner_id"])
        }
        todo = clients.filtered(lambda c: c.id not in with_project)
        if not todo:
            return Project
        projects = Project.with_context(mail_create_nosubscribe=True).create(
            [client._prepare_crm_client_project_values() for client in todo]
        )
        # project_sms reads the project stage (a field of the Project Stages
        # group) when a project is created with a partner: set it afterwards,
        # as crm.lead._create_client_project does.
        for project, client in zip(projects, todo, strict=True):
            project.partner_id = client
        return projects

    def action_crm_create_project(self):
        self.ensure_one()
        self.check_access("write")
        if not self._crm_is_client():
            raise UserError(
                self.env._("Only a client company gets a client project: %(name)s is not one.", name=self.display_name)
            )
        self._crm_ensure_client_project()
        return self.action_crm_view_projects()

    def action_crm_view_projects(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("project.open_view_project_all")
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action

    # Time and invoices ----------------------------------------------------------

    def action_crm_view_time(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_client_suite.action_crm_client_time")
        action["domain"] = [("crm_client_id", "=", self.id)]
        return action

    def action_crm_invoice_time_now(self):
        """Invoice the client's unbilled time up to today, with the code of the weekly run."""
        self.ensure_one()
        if not self.env.user.has_group("crm_client_suite.group_admin"):
            raise AccessError(self.env._("Only Admins of CRM Client Suite can invoice a client's time."))
        self.check_access("write")
        invoicing = self.env["crm.time.invoicing"].sudo()
        moves, failures = invoicing._invoice_time(fields.Date.context_today(self), client_ids=self.ids)
        if failures:
            raise UserError(next(iter(failures.values())))
        if not moves:
            raise UserError(self.env._("%(client)s has no unbilled time to invoice.", client=self.display_name))
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action.update({"domain": [("id", "in", moves.ids)], "views": [(False, "list"), (False, "form")]})
        if len(moves) == 1:
            action.update({"res_id": moves.id, "views": [(False, "form")], "view_mode": "form"})
        return action
