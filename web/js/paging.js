// "Load more" for every list the API pages with `next_cursor` (keyset cursors).

import { h } from "./dom.js";

/**
 * A "Load more" button: `fetchPage(cursor)` answers the next page, `onPage(page)` adds its
 * items. Hidden once no cursor is left; a failure is announced and the button stays for
 * another try.
 */
export function loadMore(ctx, firstCursor, fetchPage, onPage) {
  let cursor = firstCursor;
  const more = h("button", { type: "button", class: "secondary", hidden: !cursor }, "Load more");
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      const page = await fetchPage(cursor);
      onPage(page);
      cursor = page.next_cursor;
      more.hidden = !cursor;
    } catch (e) {
      ctx.announce(`Could not load more: ${e.message}`);
    } finally {
      more.disabled = false;
    }
  });
  return more;
}
