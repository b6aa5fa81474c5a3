def uninstall_hook(env):
    """Remove what the custom field definitions generated outside the
    module's data: the inherited views first (they name the fields), then
    the stored fields themselves."""
    definitions = env["crm.custom.field"].with_context(active_test=False).search([])
    env["ir.ui.view"].with_context(active_test=False).search(
        [("name", "=like", "%.custom_fields.crm_client_suite")]
    ).unlink()
    env["ir.default"].search([("field_id", "in", definitions.field_id.ids)]).unlink()
    definitions.field_id.unlink()
