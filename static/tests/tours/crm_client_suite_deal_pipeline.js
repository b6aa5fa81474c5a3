import { registry } from "@web/core/registry";

const column = (name) => `.o_opportunity_kanban .o_kanban_group:has(.o_column_title:contains('${name}'))`;

registry.category("web_tour.tours").add("crm_client_suite_deal_pipeline", {
    steps: () => [
        {
            content: "The pipeline shows the suite's stages",
            trigger: `${column("Negotiation")}`,
        },
        {
            content: "Drag the deal from Lead to Proposal",
            trigger: `${column("Lead")} .o_kanban_record:contains('Paneles solares')`,
            async run(helpers) {
                await helpers.drag_and_drop(column("Proposal"), { position: { top: 120, left: 40 }, relative: true });
            },
        },
        {
            content: "The deal is in Proposal",
            trigger: `${column("Proposal")} .o_kanban_record:contains('Paneles solares')`,
        },
        {
            content: "Drop another deal in Closed Lost",
            trigger: `.o_kanban_record:contains('Ventanas PVC')`,
            async run(helpers) {
                await helpers.drag_and_drop(column("Closed Lost"), { position: { top: 120, left: 40 }, relative: true });
            },
        },
        {
            content: "The lost reason is asked",
            trigger: ".modal .o_field_widget[name=lost_reason_id] input",
            run: "edit Precio",
        },
        {
            content: "Pick the reason",
            trigger: ".o-autocomplete--dropdown-item:contains('Precio demasiado alto')",
            run: "click",
        },
        {
            content: "Mark the deal lost",
            trigger: ".modal button[name=action_lost_reason_apply]",
            run: "click",
        },
        {
            content: "The lost deal leaves the pipeline",
            trigger: ".o_opportunity_kanban:not(:has(.o_kanban_record:contains('Ventanas PVC')))",
        },
        {
            content: "Open the lead without customer",
            trigger: ".o_kanban_record:contains('Tejados Gallegos')",
            run: "click",
        },
        {
            content: "Convert it into a customer",
            trigger: ".o_form_view button[name=action_convert_to_customer]",
            run: "click",
        },
        {
            content: "Confirm the conversion",
            trigger: ".modal button[name=action_convert]",
            run: "click",
        },
        {
            content: "The deal now has its customer",
            trigger: ".o_form_view .o_field_widget[name=partner_id] input:value('Tejados Gallegos S.L., Rosa Castro')",
        },
        {
            content: "Create a quotation from the deal",
            trigger: ".o_form_view button[name=action_sale_quotations_new]",
            run: "click",
        },
        {
            content: "The quotation is for the deal's client",
            trigger: ".o_form_view .o_field_widget[name=partner_id] input:value('Tejados Gallegos S.L., Rosa Castro')",
        },
        {
            content: "Save the quotation",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Wait for the save",
            trigger: ".o_form_saved",
        },
    ],
});
