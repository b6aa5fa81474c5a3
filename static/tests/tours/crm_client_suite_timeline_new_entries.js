import { noteLoggedElsewhereSteps } from "@crm_client_suite/../tests/tours/crm_timeline_steps";
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_client_suite_timeline_new_entries", {
    steps: () => [
        {
            content: "Open the client's timeline",
            trigger: ".o_notebook .nav-link[name=crm_timeline]",
            run: "click",
        },
        {
            content: "Read past the first page",
            trigger: ".o_crm_timeline_more",
            run: "click",
        },
        {
            content: "The second page is shown",
            trigger: ".o_crm_timeline_entry:contains('Seguimiento 1 de la nave')",
        },
        ...noteLoggedElsewhereSteps("Lucía Fernández", "Confirma la visita del jueves"),
        {
            content: "The page being read stays as it is: a button offers the new entries",
            trigger: ".o_crm_timeline_new_entries",
            run() {
                const timeline = document.querySelector(".o_crm_timeline");
                if (timeline.textContent.includes("Confirma la visita del jueves")) {
                    throw new Error("The timeline reloaded under the reader's eyes.");
                }
                if (!timeline.textContent.includes("Seguimiento 1 de la nave")) {
                    throw new Error("The second page is gone before the button was clicked.");
                }
            },
        },
        {
            content: "Show them",
            trigger: ".o_crm_timeline_new_entries",
            run: "click",
        },
        {
            content: "The new note is at the top, and the button is gone",
            trigger: ".o_crm_timeline:not(:has(.o_crm_timeline_new_entries)) .o_crm_timeline_entry:first:contains('Confirma la visita del jueves')",
        },
    ],
});
