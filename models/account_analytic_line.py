from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError


class AccountAnalyticLine(models.Model):
    _inherit = "account.analytic.line"

    crm_client_id = fields.Many2one(
        "res.partner",
        string="Client",
        compute="_compute_crm_client_id",
        store=True,
        index="btree_not_null",
        help="The client whose project this time was spent on.",
    )
    crm_invoice_line_id = fields.Many2one(
        "account.move.line",
        string="Invoice Line",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The line of the client invoice that bills this time. Cancelling or deleting the draft "
        "invoice frees the time for the next invoicing run.",
    )
    crm_invoice_id = fields.Many2one(related="crm_invoice_line_id.move_id", string="Client Invoice")
    crm_billing_state = fields.Selection(
        [("unbilled", "Not Billed"), ("draft", "On a Draft Invoice"), ("posted", "Invoiced")],
        string="Billing",
        compute="_compute_crm_billing_state",
    )

    @api.depends("project_id.partner_id.commercial_partner_id")
    def _compute_crm_client_id(self):
        for line in self:
            line.crm_client_id = line.project_id.partner_id.commercial_partner_id

    @api.depends("crm_invoice_line_id.parent_state")
    def _compute_crm_billing_state(self):
        for line in self:
            state = line.crm_invoice_line_id.parent_state
            line.crm_billing_state = "posted" if state == "posted" else "draft" if state == "draft" else "unbilled"

    def _crm_check_not_invoiced(self):
        """Time billed by a posted invoice is part of the accounts: it no longer changes."""
        posted = self.sudo().filtered(lambda line: line.crm_invoice_line_id.parent_state == "posted")
        if posted:
            raise UserError(
                self.env._(
                    "This time is billed by the posted invoice %(invoice)s and can no longer be changed "
                    "or deleted. Reset the invoice to draft or issue a credit note first.",
                    invoice=posted[0].crm_invoice_line_id.move_id.display_name,
                )
            )

    @api.constrains("task_id", "project_id")
    def _check_crm_task_in_project(self):
        """Stock keeps the task and the project of a timesheet together in the
        form only: through RPC, time could name one client's project and
        another client's task, and be billed to the first."""
        for line in self:
            if line.task_id and line.project_id and line.task_id.project_id != line.project_id:
                raise ValidationError(
                    self.env._(
                        "The task %(task)s belongs to the project %(task_project)s, not to %(project)s. "
                        "Pick a task of the timesheet's project.",
                        task=line.task_id.display_name,
                        task_project=line.task_id.project_id.display_name,
                        project=line.project_id.display_name,
                    )
                )

    def write(self, vals):
        self._crm_check_not_invoiced()
        result = super().write(vals)
        if not self.env.su and {"project_id", "task_id"} & vals.keys():
            # Odoo checks record rules before a write only: moving time to a
            # task or project of a client the user may not see must fail too.
            self.check_access("write")
        return result

    def unlink(self):
        self._crm_check_not_invoiced()
        return super().unlink()
