import { registry } from "@web/core/registry";

function addStep(name, action, extra = []) {
    return [
        {
            content: `Add the step ${name}`,
            trigger: "div[name=step_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "Name the step",
            trigger: ".modal .o_field_widget[name=name] input",
            run: `edit ${name}`,
        },
        {
            content: "Choose what the step does",
            trigger: ".modal .o_field_widget[name=action] select",
            run: `select "${action}"`,
        },
        ...extra,
        {
            content: "Save the step",
            trigger: ".modal button:contains(Save & Close)",
            run: "click",
        },
        {
            content: "The step is listed",
            trigger: `div[name=step_ids] .o_data_row:contains(${name})`,
        },
    ];
}

function pick(field, search, label) {
    return [
        {
            content: `Search ${label}`,
            trigger: `.modal .o_field_widget[name=${field}] input`,
            run: `edit ${search}`,
        },
        {
            content: `Pick ${label}`,
            trigger: `.o-autocomplete--dropdown-item:contains(${label})`,
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("crm_client_suite_automation_steps", {
    steps: () => [
        {
            content: "Create an automation pipeline",
            trigger: ".o_control_panel_main_buttons .o_list_button_add",
            run: "click",
        },
        {
            content: "Name it",
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit Tour Follow-up",
        },
        ...addStep("Offer email", "email", pick("mail_template_id", "Tour Offer", "Tour Offer")),
        ...addStep("Warm call", "outreach"),
        ...addStep("Reminder task", "activity"),
        {
            content: "Save the pipeline, so that its steps can be chosen as Else steps",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Wait for the save",
            trigger: ".o_form_saved",
        },
        {
            content: "Open the call step",
            trigger: "div[name=step_ids] .o_data_row:contains(Warm call) td[name=name]",
            run: "click",
        },
        {
            content: "Run it only if the email was opened",
            trigger: ".modal .o_field_widget[name=condition] select",
            run: 'select "opened"',
        },
        {
            content: "Within 3 days",
            trigger: ".modal .o_field_widget[name=condition_days] input",
            run: "edit 3",
        },
        ...pick("else_step_id", "Reminder", "Reminder task"),
        {
            content: "Save the step",
            trigger: ".modal .modal-footer .btn-primary:contains(Save)",
            run: "click",
        },
        {
            content: "The list describes the condition",
            trigger: "div[name=step_ids] .o_data_row:contains(Warm call):contains(only if)",
        },
        {
            content: "Save the pipeline",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Wait for the save",
            trigger: ".o_form_saved",
        },
    ],
});
