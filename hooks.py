def post_init_hook(env):
    """Installed on a database already in use: the users who hold stock Sales rights get the
    matching role (readme/CONFIGURE.md), so that the add-on's screens and rules work for them."""
    env["res.users"]._crm_assign_roles_from_sales()


def uninstall_hook(env):
    """Leave crm with working stages, and remove what the custom field
    definitions generated outside the module's data."""
    keep_used_stages(env)
    remove_custom_fields(env)
    env["res.partner"]._crm_prefix_table_uninstall()


def keep_used_stages(env):
    """crm's four stock stages keep their xml ids and stay (Lead, Qualified,
    Proposal, Closed Won). Of the add-on's own stages, Negotiation and Closed
    Lost, those that deals (lost ones included) still use stay too, as plain
    columns: forgetting their xml ids spares them the deletion that the deals
    would refuse. Unused ones are deleted with the module's data."""
    stages = env["ir.model.data"].search([("module", "=", "crm_client_suite"), ("model", "=", "crm.stage")])
    used = (
        env["crm.lead"]
        .with_context(active_test=False)
        ._read_group([("stage_id", "in", stages.mapped("res_id"))], ["stage_id"])
    )
    used_ids = {stage.id for (stage,) in used}
    stages.filtered(lambda imd: imd.res_id in used_ids).unlink()


def remove_custom_fields(env):
    """The inherited views first (they name the fields), then the stored fields themselves."""
    definitions = env["crm.custom.field"].with_context(active_test=False).search([])
    env["ir.ui.view"].with_context(active_test=False).search(
        [("name", "=like", "%.custom_fields.crm_client_suite")]
    ).unlink()
    env["ir.default"].search([("field_id", "in", definitions.field_id.ids)]).unlink()
    definitions.field_id.unlink()
