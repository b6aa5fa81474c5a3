from collections import defaultdict

from odoo import Command, api, models

# The CRM Client Suite roles, weakest first: a role's level is its index.
ROLE_XMLIDS = (
    "crm_client_suite.group_guest",
    "crm_client_suite.group_contributor",
    "crm_client_suite.group_manager",
    "crm_client_suite.group_admin",
)
# Stock Sales rights and the level of the role each one maps to (readme/CONFIGURE.md): the least
# privileged role that keeps everything the right allowed. Contributor is narrower than any stock
# right (contacts they own only, no unassigned deal): the lead form of a client without
# salesperson would fail for a stock salesman made Contributor, so nobody is made one by default.
SALES_ROLE_LEVELS = (
    ("sales_team.group_sale_salesman", 2),
    ("sales_team.group_sale_salesman_all_leads", 2),
    ("sales_team.group_sale_manager", 3),
)
NO_LEVEL = -1


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model_create_multi
    def create(self, vals_list):
        users = super().create(vals_list)
        users._crm_sync_roles()
        return users

    def write(self, vals):
        if not any(key == "groups_id" or key.startswith(("in_group_", "sel_groups_")) for key in vals):
            return super().write(vals)
        before = self._crm_access_levels()
        res = super().write(vals)
        self._crm_sync_roles(before)
        return res

    @api.model
    def _crm_role_groups(self):
        """The four roles, weakest first, or nothing while the add-on's groups are not loaded."""
        roles = [self.env.ref(xmlid, raise_if_not_found=False) for xmlid in ROLE_XMLIDS]
        return roles if all(roles) else []

    def _crm_access_levels(self):
        """``{user_id: (sales level, role level)}``: the role level the user's stock Sales rights map
        to, and the level of the role they hold (``NO_LEVEL`` for none)."""
        roles = self._crm_role_groups()
        if not roles:
            return {}
        sales = [
            (group.id, level)
            for xmlid, level in SALES_ROLE_LEVELS
            if (group := self.env.ref(xmlid, raise_if_not_found=False))
        ]
        levels = {}
        for user in self.with_context(active_test=False):
            group_ids = set(user.groups_id.ids)
            levels[user.id] = (
                max((level for group_id, level in sales if group_id in group_ids), default=NO_LEVEL),
                max((level for level, role in enumerate(roles) if role.id in group_ids), default=NO_LEVEL),
            )
        return levels

    def _crm_sync_roles(self, before=None):
        """Give users the role matching the stock Sales rights they hold, so that the add-on's
        screens and rules apply to them as to everyone else.

        ``before`` is the result of ``_crm_access_levels`` ahead of a change of groups: a user whose
        Sales rights rose gets at least the matching role, unless the same change set their role
        (that choice wins). Without ``before`` (new users, install), only users without any role
        get one. Roles are never lowered here.
        """
        roles = self._crm_role_groups()
        if not roles:
            return
        to_grant = defaultdict(list)
        for user_id, (sales, role) in self._crm_access_levels().items():
            if sales <= role:
                continue
            if before is None:
                if role != NO_LEVEL:
                    continue
            else:
                old_sales, old_role = before.get(user_id, (NO_LEVEL, NO_LEVEL))
                if role != old_role or sales <= old_sales:
                    continue
            to_grant[sales].append(user_id)
        for level, user_ids in to_grant.items():
            roles[level].write({"users": [Command.link(user_id) for user_id in user_ids]})

    @api.model
    def _crm_assign_roles_from_sales(self):
        """Install and upgrade: every internal user with stock Sales rights and no role gets the
        matching role."""
        sales_groups = self.env["res.groups"].browse(
            [
                group.id
                for xmlid, _level in SALES_ROLE_LEVELS
                if (group := self.env.ref(xmlid, raise_if_not_found=False))
            ]
        )
        users = self.with_context(active_test=False).search([("groups_id", "in", sales_groups.ids)])
        users._crm_sync_roles()
