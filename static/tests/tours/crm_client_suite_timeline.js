import { noteLoggedElsewhereSteps } from "@crm_client_suite/../tests/tours/crm_timeline_steps";
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_client_suite_timeline", {
    steps: () => [
        {
            content: "Open the client's timeline",
            trigger: ".o_notebook .nav-link[name=crm_timeline]",
            run: "click",
        },
        {
            content: "The contact's email shows on the client's timeline",
            trigger: ".o_crm_timeline_entry[data-type=email_in]:contains('Presupuesto nave')",
        },
        {
            content: "The deal's call shows too",
            trigger: ".o_crm_timeline_entry[data-type=call]:contains('Obra nueva Madrid')",
        },
        {
            content: "The deal's entry names the deal's reference",
            trigger: ".o_crm_timeline_entry[data-type=call] .o_crm_timeline_reference:contains('[D')",
        },
        {
            content: "Filter the timeline to incoming emails",
            trigger: ".o_crm_timeline_type",
            run: "select email_in",
        },
        {
            content: "Only emails remain",
            trigger: ".o_crm_timeline_entries:not(:has(.o_crm_timeline_entry:not([data-type=email_in])))",
        },
        {
            content: "Open the email's record",
            trigger: ".o_crm_timeline_entry[data-type=email_in]:contains('Presupuesto nave')",
            run: "click",
        },
        {
            content: "The contact's form opens",
            trigger: ".o_form_view .o_field_widget[name=name]:contains('Lucía'), .o_form_view .o_field_widget[name=name] input",
        },
        {
            content: "Back to the client",
            trigger: ".o_breadcrumb .breadcrumb-item a",
            run: "click",
        },
        {
            content: "The client's form is back",
            trigger: ".o_breadcrumb .o_last_breadcrumb_item:contains('Construcciones Ibéricas'):not(:contains('Lucía'))",
        },
        {
            content: "Keep the client's timeline open beside the chatter",
            trigger: ".o_notebook .nav-link[name=crm_timeline]",
            run: "click",
        },
        {
            trigger: ".o_crm_timeline_entry[data-type=email_in]:contains('Presupuesto nave')",
        },
        {
            content: "Schedule an activity from the chatter",
            trigger: ".o-mail-Chatter-topbar button:contains('Activities')",
            run: "click",
        },
        {
            content: "The dialog is ready",
            trigger: ".modal div[name='crm_remind'] input:not(:checked)",
        },
        {
            content: "Choose the Call type",
            trigger: ".modal div[name='activity_type_id'] input",
            run: "click",
        },
        {
            trigger: ".modal div[name='activity_type_id'] input",
            run: "edit Call",
        },
        {
            trigger: ".modal .o-autocomplete--dropdown-item a:contains('Call')",
            run: "click",
        },
        {
            trigger: ".modal div[name='activity_type_id'] input:value('Call')",
        },
        {
            content: "Name the call",
            trigger: ".modal div[name='summary'] input",
            run: "edit Llamada de seguimiento",
        },
        {
            content: "Ask for a reminder",
            trigger: ".modal div[name='crm_remind'] input",
            run: "click",
        },
        {
            content: "Two hours before",
            trigger: ".modal div[name='crm_reminder_number'] input",
            run: "edit 2",
        },
        {
            content: "Schedule it",
            trigger: ".modal-footer button[name='action_schedule_activities']",
            run: "click",
        },
        {
            content: "The call is planned on the client",
            trigger: ".o-mail-Activity:contains('Llamada de seguimiento')",
        },
        {
            content: "The timeline shows the planned call without a page reload",
            trigger: ".o_crm_timeline_entry[data-type=call]:contains('Llamada de seguimiento'):has(.text-bg-warning)",
        },
        {
            content: "Mark it done",
            trigger: ".o-mail-Activity:contains('Llamada de seguimiento') .o-mail-Activity-markDone",
            run: "click",
        },
        {
            content: "Write the feedback",
            trigger: ".o-mail-ActivityMarkAsDone textarea",
            run: "edit Cliente interesado en la ampliación",
        },
        {
            trigger: ".o-mail-ActivityMarkAsDone button[aria-label='Done']",
            run: "click",
        },
        {
            content: "The done call is in the chatter",
            trigger: ".o-mail-Message:contains('Cliente interesado en la ampliación')",
        },
        {
            content: "The timeline shows the done call, no longer planned, without a page reload",
            trigger: ".o_crm_timeline_entry[data-type=call]:contains('Cliente interesado en la ampliación'):not(:has(.text-bg-warning))",
        },
        {
            trigger: ".o_crm_timeline_entries:not(:has(.o_crm_timeline_entry[data-type=call]:has(.text-bg-warning):contains('Llamada de seguimiento')))",
        },
        {
            content: "Post a note from the chatter",
            trigger: ".o-mail-Chatter-topbar button:contains('Log note')",
            run: "click",
        },
        {
            trigger: ".o-mail-Composer-input",
            run: "edit Enviar catálogo de fachadas",
        },
        {
            trigger: ".o-mail-Composer-send:enabled",
            run: "click",
        },
        {
            content: "The note shows in the timeline without a page reload",
            trigger: ".o_crm_timeline_entry[data-type=note]:contains('Enviar catálogo de fachadas')",
        },
        {
            content: "Filter the timeline to field changes",
            trigger: ".o_crm_timeline_type",
            run: "select tracking",
        },
        {
            content: "Change the client's email",
            trigger: ".o_form_view div[name=email] input",
            run: "edit compras@construcciones-ibericas.example.com",
        },
        {
            content: "Save the client",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "The change shows in the timeline after the save, without a page reload",
            trigger: ".o_crm_timeline_entry[data-type=tracking]:contains('compras@construcciones-ibericas.example.com')",
        },
        {
            content: "Filter the timeline to notes",
            trigger: ".o_crm_timeline_type",
            run: "select note",
        },
        {
            trigger: ".o_crm_timeline_entry[data-type=note]:contains('Enviar catálogo de fachadas')",
        },
        ...noteLoggedElsewhereSteps("Lucía Fernández", "Confirma la visita del jueves"),
        {
            content: "The contact's note shows in the client's timeline without a page reload",
            trigger: ".o_crm_timeline_entry[data-type=note]:contains('Confirma la visita del jueves')",
        },
        {
            content: "Its deal's reference opens the deal",
            trigger: ".o_crm_timeline_type",
            run: "select call",
        },
        {
            trigger: ".o_crm_timeline_entry[data-type=call]:contains('Obra nueva Madrid') a.o_crm_timeline_reference",
            run: "click",
        },
        {
            content: "The deal's form opens",
            trigger: ".o_breadcrumb .o_last_breadcrumb_item:contains('Obra nueva Madrid')",
        },
        {
            content: "Back to the client",
            trigger: ".o_breadcrumb .breadcrumb-item a",
            run: "click",
        },
        {
            trigger: ".o_notebook .nav-link[name=crm_timeline]",
            run: "click",
        },
        {
            content: "Filter the timeline to calls",
            trigger: ".o_crm_timeline_type",
            run: "select call",
        },
        {
            content: "The done call is in the timeline",
            trigger: ".o_crm_timeline_entry[data-type=call]:contains('Cliente interesado en la ampliación')",
        },
    ],
});
