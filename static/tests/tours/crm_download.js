import { browser } from "@web/core/browser/browser";

/**
 * Click with ``actions`` and fetch the file the click downloads instead of
 * leaving the page: ``show(response, bytes)`` returns an element showing it,
 * which is added to the page for the next steps to check.
 */
export async function clickAndShowDownload(actions, show) {
    const real = Object.getOwnPropertyDescriptor(browser, "location");
    const assign = async (url) => {
        Object.defineProperty(browser, "location", real);
        const response = await fetch(url);
        const bytes = new Uint8Array(await response.arrayBuffer());
        const element = show(response, bytes);
        element.classList.add("position-fixed", "bottom-0", "end-0", "bg-white");
        document.body.append(element);
    };
    // The router still reads the address: the real location's parts.
    const location = { assign, reload: () => window.location.reload() };
    for (const key of ["href", "origin", "protocol", "host", "hostname", "port", "pathname", "search", "hash"]) {
        Object.defineProperty(location, key, { get: () => window.location[key] });
    }
    Object.defineProperty(browser, "location", { configurable: true, get: () => location });
    await actions.click();
}
