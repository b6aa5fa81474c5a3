from odoo import api, fields, models


def _alias_contact_selection(self):
    return self.env["mail.alias"]._fields["alias_contact"].selection


class CrmTeam(models.Model):
    """Each sales team can have its own after-sales case alias.

    Stock crm already gives a team one alias through ``mail.alias.mixin``
    (``alias_id``), and it creates leads. A case alias is a second
    ``mail.alias`` record owned by the team: its model is ``crm.case``, its
    parent is the team (so "Accept Emails From: Followers" means the team's
    followers, and the gateway prefers senders of the team's company), and its
    defaults put the new case in the team and the team's company.
    """

    _inherit = "crm.team"

    crm_case_alias_id = fields.Many2one(
        "mail.alias", string="Case Alias Record", ondelete="restrict", copy=False, readonly=True
    )
    crm_case_alias_name = fields.Char(
        string="Case Email Alias",
        compute="_compute_crm_case_alias",
        inverse="_inverse_crm_case_alias_name",
        help="Emails to this address open an after-sales case in this team. The client is found from "
        "the sender's address; an unknown sender's case waits for the team to set its client.",
    )
    crm_case_alias_contact = fields.Selection(
        _alias_contact_selection,
        string="Accept Cases From",
        compute="_compute_crm_case_alias",
        inverse="_inverse_crm_case_alias_contact",
    )
    crm_case_alias_domain = fields.Char(string="Case Alias Domain", compute="_compute_crm_case_alias")
    crm_case_alias_email = fields.Char(string="Case Email", compute="_compute_crm_case_alias")

    @api.depends(
        "crm_case_alias_id.alias_name",
        "crm_case_alias_id.alias_contact",
        "crm_case_alias_id.alias_full_name",
        "company_id.alias_domain_id",
    )
    def _compute_crm_case_alias(self):
        for team in self:
            alias = team.crm_case_alias_id.sudo()
            team.crm_case_alias_name = alias.alias_name
            team.crm_case_alias_contact = alias.alias_contact or "everyone"
            team.crm_case_alias_domain = alias.alias_domain or team._crm_case_alias_domain().name
            team.crm_case_alias_email = alias.alias_full_name if alias.alias_name and alias.alias_domain else False

    def _inverse_crm_case_alias_name(self):
        to_create, creating = [], self.browse()
        for team in self:
            if team.crm_case_alias_id:
                team.crm_case_alias_id.sudo().alias_name = team.crm_case_alias_name
            elif team.crm_case_alias_name:
                to_create.append(team._crm_case_alias_values())
                creating |= team
        if to_create:
            aliases = self.env["mail.alias"].sudo().create(to_create)
            for team, alias in zip(creating, aliases, strict=True):
                team.crm_case_alias_id = alias

    def _inverse_crm_case_alias_contact(self):
        # Without an alias yet, the value waits in the cache for the name's inverse to create it.
        for team in self.filtered("crm_case_alias_id"):
            team.crm_case_alias_id.sudo().alias_contact = team.crm_case_alias_contact or "everyone"

    def _crm_case_alias_domain(self):
        """The alias domain of the team's company, as stock's alias mixin picks it."""
        self.ensure_one()
        return (self.company_id or self.env.company).alias_domain_id

    def _crm_case_alias_defaults(self):
        self.ensure_one()
        defaults = {"team_id": self.id}
        if self.company_id:
            defaults["company_id"] = self.company_id.id
        return repr(defaults)

    def _crm_case_alias_values(self):
        self.ensure_one()
        IrModel = self.env["ir.model"]
        return {
            "alias_name": self.crm_case_alias_name,
            "alias_contact": self.crm_case_alias_contact or "everyone",
            "alias_model_id": IrModel._get_id("crm.case"),
            "alias_parent_model_id": IrModel._get_id("crm.team"),
            "alias_parent_thread_id": self.id,
            "alias_defaults": self._crm_case_alias_defaults(),
            "alias_domain_id": self._crm_case_alias_domain().id,
        }

    def _notify_get_reply_to(self, default=None):
        """Stock looks a team's address up among the aliases whose parent is
        the team and takes the first by model name: the case alias
        (``crm.case``) would come before the lead alias (``crm.lead``), and
        stock leads ask their team for their reply-to. The case alias is the
        address of the team's cases only (cases ask for it themselves), so a
        team that has one answers as stock does without it: its lead alias,
        else its company's catchall, else ``default``."""
        with_case_alias = self.filtered(lambda team: team.sudo().crm_case_alias_id)
        others = self - with_case_alias
        res = super(CrmTeam, others)._notify_get_reply_to(default=default) if others or not self else {}
        for team in with_case_alias.sudo():
            company = team.company_id or self.env.company
            alias = team.alias_id
            email = alias.alias_full_name if alias.alias_name and alias.alias_domain_id else company.catchall_email
            res[team.id] = (
                self._notify_get_reply_to_formatted_email(email, team.display_name, company=company)
                if email
                else default
            )
        return res

    def write(self, vals):
        res = super().write(vals)
        if "company_id" in vals:
            # The case alias follows the team into its new company: its domain and the company of new cases.
            for team in self.filtered("crm_case_alias_id"):
                team.crm_case_alias_id.sudo().write(
                    {
                        "alias_defaults": team._crm_case_alias_defaults(),
                        "alias_domain_id": team._crm_case_alias_domain().id
                        or team.crm_case_alias_id.sudo().alias_domain_id.id,
                    }
                )
        return res

    def unlink(self):
        aliases = self.crm_case_alias_id
        res = super().unlink()
        aliases.sudo().unlink()
        return res
