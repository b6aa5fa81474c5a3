import { registry } from "@web/core/registry";

function addStep(name, delay, unit, action) {
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
            content: "Set its delay",
            trigger: ".modal .o_field_widget[name=delay] input",
            run: `edit ${delay}`,
        },
        {
            content: "Set the unit of the delay",
            trigger: ".modal .o_field_widget[name=delay_unit] select",
            run: `select "${unit}"`,
        },
        {
            content: "Choose what the step does",
            trigger: ".modal .o_field_widget[name=action] select",
            run: `select "${action}"`,
        },
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

registry.category("web_tour.tours").add("crm_client_suite_automation_pipeline", {
    steps: () => [
        {
            content: "Create an automation pipeline",
            trigger: ".o_control_panel_main_buttons .o_list_button_add",
            run: "click",
        },
        {
            content: "Name it",
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit Tour Welcome",
        },
        {
            content: "Open the enrolment settings",
            trigger: "a.nav-link[name=enrolment]",
            run: "click",
        },
        {
            content: "Enrol contacts when they are created",
            trigger: ".o_field_widget[name=trigger_create] input",
            run: "click",
        },
        {
            content: "Back to the steps",
            trigger: "a.nav-link[name=steps]",
            run: "click",
        },
        ...addStep("Intro call task", "1", "days", "activity"),
        ...addStep("Log the call", "2", "hours", "outreach"),
        ...addStep("Check-in task", "1", "days", "activity"),
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
