from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class ResPartner(models.Model):
    _inherit = "res.partner"

    crm_project_count = fields.Integer(string="Project Count", compute="_compute_crm_project_figures")
    crm_hours_this_week = fields.Float(string="Hours This Week", compute="_compute_crm_project_figures")
    crm_hours_unbilled = fields.Float(string="Unbilled Hours", compute="_compute_crm_project_figures")
    crm_open_task_count = fields.Integer(string="Open Tasks", compute="_compute_crm_project_figures")
    crm_billing_rate_ids = fields.One2many("crm.billing.rate", "partner_id", string="Billing Rates")

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
