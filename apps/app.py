"""Shopsight dashboard entry point (`shopsight serve` runs `streamlit run apps/app.py`).

Every run: check the session (sign-in, expiry), resolve the serving snapshot once, draw the
shared sidebar filters, then hand over to the page the user picked. Pages are registered per
role, so a brand manager's navigation (and URL routing) does not even contain the
marketplace-wide pages.
"""

from __future__ import annotations

import streamlit as st

from apps import access, filters, queries, signin, snapshot, ui

PAGE_TITLES: dict[str, tuple[str, str]] = {
    "overview": ("Overview", ":material/dashboard:"),
    "mobile": ("Mobile", ":material/smartphone:"),
    "content": ("Content", ":material/play_circle:"),
    "experiments": ("Experiments", ":material/science:"),
    "omnichannel": ("Omnichannel", ":material/storefront:"),
    "data_health": ("Data health", ":material/monitor_heart:"),
}


def _pages(ids: tuple[str, ...]) -> list[st.Page]:
    return [
        st.Page(
            f"views/{page}.py",
            title=PAGE_TITLES[page][0],
            icon=PAGE_TITLES[page][1],
            url_path=page,
            default=(page == "overview"),
        )
        for page in ids
    ]


def main() -> None:
    st.set_page_config(page_title="Shopsight", page_icon=":material/insights:", layout="wide")
    st.session_state.pop(ui.CONTEXT_KEY, None)

    user = signin.current_user()
    if user is None:
        # Register every page (hidden) so that a deep link such as /mobile?from=... survives
        # the sign-in; only the form is drawn.
        st.navigation(_pages(access.ALL_PAGES), position="hidden")
        signin.render_form()
        return

    path = snapshot.serving_path()
    snap = snapshot.current(path)
    signin.render_account(user)
    if snap is None:
        st.navigation(_pages(("overview",)), position="hidden")
        ui.no_data_page(lambda: snapshot.file_version(path) is not None)
        return

    if queries.data_bounds(snap) is None:
        st.navigation(_pages(("overview",)), position="hidden")
        ui.no_data_page(
            lambda: snapshot.file_version(path) != snap.version,
            "The published snapshot has no marketplace days yet",
        )
        return

    page = st.navigation(_pages(access.pages_for(user)))
    flt, scope = filters.render(snap, user)
    publish = queries.publish_info(snap)
    with st.sidebar:
        through = publish.get("data_through")
        st.caption(
            f"Data through **{through:%Y-%m-%d}** · run `{str(publish.get('run_id'))[:8]}`"
            if through is not None
            else "Snapshot without publish information"
        )
    st.session_state[ui.CONTEXT_KEY] = ui.PageContext(
        user=user, snap=snap, filters=flt, scope=scope, publish=publish
    )
    page.run()


main()
