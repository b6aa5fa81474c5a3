import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_client_suite_custom_field", {
    steps: () => [
        {
            content: "Create a client",
            trigger: ".o_control_panel_main_buttons .o-kanban-button-new, .o_control_panel_main_buttons .o_list_button_add",
            run: "click",
        },
        {
            content: "Name the client",
            trigger: ".o_form_view .o_field_widget[name=name] textarea, .o_form_view .o_field_widget[name=name] input",
            run: "edit Herrajes Ortega S.L.",
        },
        ...["Irene Ortega", "Tomás Ortega"].flatMap((fullName) => {
            const [first, last] = fullName.split(" ");
            return [
                {
                    content: `Add the contact ${fullName}`,
                    trigger: ".o_field_widget[name=child_ids] .o-kanban-button-new",
                    run: "click",
                },
                {
                    content: "First name",
                    trigger: ".modal .o_field_widget[name=crm_first_name] input",
                    run: `edit ${first}`,
                },
                {
                    content: "Last name",
                    trigger: ".modal .o_field_widget[name=crm_last_name] input",
                    run: `edit ${last}`,
                },
                {
                    content: "Save the contact",
                    trigger: ".modal .o_form_button_save",
                    run: "click",
                },
                {
                    content: "The contact is listed on the client",
                    trigger: `.o_field_widget[name=child_ids] .o_kanban_record:contains('${fullName}')`,
                },
            ];
        }),
        {
            content: "Save the client",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Wait for the save",
            trigger: ".o_form_saved",
        },
        {
            content: "Go to the contacts",
            trigger: ".o_menu_sections a:contains('Contacts'), .o_menu_sections button:contains('Contacts')",
            run: "click",
        },
        {
            content: "Find Irene",
            trigger: ".o_searchview_input",
            run: "edit Irene Ortega",
        },
        {
            content: "Validate the search",
            trigger: ".o_searchview_input",
            run: "press Enter",
        },
        {
            content: "Open Irene",
            trigger: ".o_kanban_record:contains('Irene Ortega')",
            run: "click",
        },
        {
            content: "Open the custom fields",
            trigger: ".o_notebook .nav-link:contains('Custom Fields')",
            run: "click",
        },
        {
            content: "Enter an invalid badge number",
            trigger: ".o_field_widget[name=x_badge_number] input",
            run: "edit ab1234",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "The rule's message is shown",
            trigger: ".modal .modal-body:contains('Use two capitals, a dash and four digits')",
        },
        {
            content: "Close the message",
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "Enter a valid badge number",
            trigger: ".o_field_widget[name=x_badge_number] input",
            run: "edit AB-1234",
        },
        {
            content: "Save again",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_saved",
        },
        {
            content: "Back to the contacts",
            trigger: ".o_breadcrumb .o_back_button a, .o_breadcrumb li.breadcrumb-item:first-child a",
            run: "click",
        },
        {
            content: "Clear the name search",
            trigger: ".o_searchview .o_facet_remove",
            run: "click",
        },
        {
            content: "Search by the custom field",
            trigger: ".o_searchview_input",
            run: "edit AB-1234",
        },
        {
            content: "Choose the Badge Number search",
            trigger: ".o_searchview_autocomplete .o_menu_item:contains('Badge Number')",
            run: "click",
        },
        {
            content: "Irene is found by her badge number",
            trigger: ".o_kanban_record:contains('Irene Ortega')",
        },
    ],
});
