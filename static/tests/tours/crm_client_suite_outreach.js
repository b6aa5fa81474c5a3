import { registry } from "@web/core/registry";

// A Manager follows up a visitor's contact form request: the new deal in the
// pipeline with its source, the acquisition notification in the inbox, and a
// call logged on the contact that updates its last contacted (call) date.
registry.category("web_tour.tours").add("crm_client_suite_outreach", {
    steps: () => [
        {
            content: "The visitor's request is in the pipeline, with its source",
            trigger:
                ".o_kanban_record:contains('Contacto: Lucía Fernández') .o_crm_kanban_source:contains('Web Iberia')",
        },
        {
            content: "Open the inbox",
            trigger: ".o_kanban_renderer",
            run: "goToUrl /odoo/discuss?active_id=mail.box_inbox",
        },
        {
            content: "The acquisition notification is in the inbox",
            trigger:
                ".o-mail-Message:contains('new leads, deals or contacts came in'):contains('Contacto: Lucía Fernández'):contains('Web Form')",
        },
        {
            content: "Open the contacts",
            trigger: ".o-mail-Message",
            run: "goToUrl /odoo/action-crm_client_suite.action_crm_contacts",
        },
        {
            content: "Open the visitor's contact",
            trigger: ".o_kanban_record:contains('Lucía Fernández'), .o_data_row:contains('Lucía Fernández')",
            run: "click",
        },
        {
            content: "Open the add-on's tab of the contact",
            trigger: ".o_form_view .o_notebook .nav-link[name=crm_client_suite]",
            run: "click",
        },
        {
            content: "Nobody called her yet",
            trigger:
                ".o_notebook:has(.nav-link.active[name=crm_client_suite]):not(:has(.o_field_widget[name=crm_last_contact_ids] .o_data_row:contains('Call')))",
        },
        {
            content: "Log a call",
            trigger: "div[name=crm_outreach_buttons] button:contains('Log a Call')",
            run: "click",
        },
        {
            content: "Sum the call up",
            trigger: ".modal .o_field_widget[name=summary] input",
            run: "edit Llamada: presupuesto de la nave",
        },
        {
            content: "Save the call",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The call is her last contact on the call channel",
            trigger:
                "body:not(:has(.modal)) .o_field_widget[name=crm_last_contact_ids] .o_data_row:contains('Call'):contains('Outbound')",
        },
    ],
});
