from odoo import Command, models


class ResGroups(models.Model):
    _inherit = "res.groups"

    def write(self, vals):
        """Users given stock Sales rights through a group (its users, or a group it now implies)
        get the matching role too, as through ``res.users``."""
        if not (vals.get("users") or vals.get("implied_ids")):
            return super().write(vals)
        Users = self.env["res.users"].with_context(active_test=False)
        users = self.with_context(active_test=False).users | Users.browse(_linked_ids(vals.get("users")))
        before = users.exists()._crm_access_levels()
        res = super().write(vals)
        self.env["res.users"].browse(before)._crm_sync_roles(before)
        return res


def _linked_ids(commands):
    """Ids of the records that x2many ``commands`` link or set."""
    ids = set()
    for command in commands or ():
        if isinstance(command, int):
            ids.add(command)
        elif command[0] == Command.LINK:
            ids.add(command[1])
        elif command[0] == Command.SET:
            ids.update(command[2])
    return ids
