// Django's admin builds some widgets with its scripts after the page loads, with ARIA that
// assistive technology cannot use; each repair says which. Runs on every admin page
// (templates/admin/base_site.html) as widgets appear.
"use strict";
{
    const repair = () => {
        // SelectFilter2 (the two-box "filter_horizontal" pickers) puts aria-label on the plain
        // <span> of its magnifier icon, where ARIA forbids a name: it is an image.
        for (const icon of document.querySelectorAll(".help-tooltip[aria-label]:not([role])")) {
            icon.setAttribute("role", "img");
        }
    };
    new MutationObserver(repair).observe(document.documentElement, {childList: true, subtree: true});
}
