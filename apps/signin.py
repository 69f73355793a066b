"""The sign-in form, the signed-in session and its expiry (Streamlit side of `apps.auth`)."""

from __future__ import annotations

import time

import streamlit as st

from apps import auth

SESSION_KEY = "_shopsight_session"
NOTICE_KEY = "_shopsight_signin_notice"


@st.cache_resource
def _throttle() -> auth.LoginThrottle:
    """One throttle for the whole server process: every browser session shares it."""
    return auth.LoginThrottle()


def current_user() -> auth.User | None:
    """The signed-in user, or None; ends the session when it is too old or idle."""
    session = st.session_state.get(SESSION_KEY)
    if not session:
        return None
    now = time.time()
    reason = auth.SessionPolicy.from_env().expiry_reason(
        session["signed_in_at"], session["last_seen"], now
    )
    if reason:
        sign_out(reason)
        return None
    session["last_seen"] = now
    return session["user"]


def sign_out(notice: str | None = None) -> None:
    # Dropping all state also drops the filters and any cached page context of this user.
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if notice:
        st.session_state[NOTICE_KEY] = notice


def _submit(username: str, password: str) -> str | None:
    """Try to sign in; returns an error message, or None on success."""
    path = auth.users_file()
    try:
        records = auth.load_users(path)
    except auth.UsersFileError as exc:
        return (
            f"Sign-in is not set up: {exc}. "
            "Create users with `shopsight serve --create-demo-users`."
        )
    result = auth.authenticate(records, _throttle(), username, password)
    if result.user is None:
        return result.error
    now = time.time()
    st.session_state[SESSION_KEY] = {"user": result.user, "signed_in_at": now, "last_seen": now}
    st.session_state.pop(NOTICE_KEY, None)
    return None


def render_form() -> None:
    """The sign-in page. On success it reruns the app as the signed-in user."""
    st.title("Shopsight")
    st.caption("Marketplace KPIs for executives and brand managers. Please sign in.")
    notice = st.session_state.get(NOTICE_KEY)
    if notice:
        st.info(notice)
    with st.form("signin", clear_on_submit=False):
        username = st.text_input("User name", key="signin_username")
        password = st.text_input("Password", type="password", key="signin_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        error = _submit(username, password)
        if error:
            st.error(error)
        else:
            st.rerun()


def render_account(user: auth.User) -> None:
    """Who is signed in, what they may see, and the sign-out button (sidebar)."""
    with st.sidebar:
        role = "Executive (all brands)" if user.is_executive else "Brand manager"
        st.markdown(f"**{user.display_name or user.username}** · {role}")
        if st.button("Sign out", key="signout"):
            sign_out("You signed out.")
            st.rerun()
