"""A headless Streamlit client that speaks the app's own websocket protocol.

Why: twenty real browsers do not fit on a 2-core CI machine next to a pipeline run, but the
server-side cost of a dashboard session (one script run per page view, every query, every
cache lookup, the snapshot re-open) is the same whether a browser or this client asks for it.
So the load test drives a few real Chromium sessions and fills up to twenty sessions with this
client. It sends the same `BackMsg` protobufs the browser sends (`rerun_script` with widget
states and the page's script hash) and reads the `ForwardMsg` stream the browser would render:
elements, the navigation, `script_finished`.

It does not render anything; it records what a user would see as text, every exception
element, and whether each script run finished.
"""

from __future__ import annotations

import asyncio
import re
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import ClientConnection, connect

RUN_TIMEOUT_S = 120.0
# Elements whose protobuf carries text a user reads.
_TEXT_FIELDS = {
    "markdown": "body",
    "text": "body",
    "alert": "body",
    "heading": "body",
    "metric": "body",
}


@dataclass
class ScriptRun:
    """What one script run sent: its elements as text, widgets, exceptions, how it ended."""

    texts: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    widgets: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (kind, id)
    metrics: dict[str, str] = field(default_factory=dict)
    downloads: list[str] = field(default_factory=list)  # media URLs of download buttons
    download_texts: list[str] = field(default_factory=list)  # their contents, if fetched
    finished: str | None = None

    @property
    def ok(self) -> bool:
        return self.finished == "FINISHED_SUCCESSFULLY" and not self.exceptions

    def text(self) -> str:
        return "\n".join(self.texts)


def _element_text(kind: str, element: Any) -> str | None:
    if kind == "metric":
        return f"{element.label}: {element.body}"
    if kind in _TEXT_FIELDS:
        return str(getattr(element, _TEXT_FIELDS[kind]))
    if kind == "exception":
        return f"{element.type}: {element.message}"
    return None


class StreamlitSession:
    """One dashboard session over one websocket (what one browser tab is to the server)."""

    def __init__(self, url: str, *, fetch_downloads: bool = False) -> None:
        # Streamlit forgets a run's media files at the session's next run, so downloads are
        # fetched right after the run that offered them, as a user clicking at once would.
        self.fetch_downloads = fetch_downloads
        self.ws_url = re.sub(r"^http", "ws", url.rstrip("/")) + "/_stcore/stream"
        self.http_url = url.rstrip("/")
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.page_hash = ""
        self._ws: ClientConnection | None = None

    async def __aenter__(self) -> StreamlitSession:
        self._ws = await connect(
            self.ws_url,
            subprotocols=["streamlit"],
            max_size=64 * 1024 * 1024,  # type: ignore[list-item]
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()

    async def run(
        self,
        *,
        page: str | None = None,
        query_string: str = "",
        widgets: list[tuple[str, str, Any]] | None = None,
    ) -> ScriptRun:
        """Ask for one script run (a page view or a widget change) and read it to its end.

        `widgets` are (id, field, value) widget states, e.g. (id, "string_value", "demo") or
        (id, "trigger_value", True) for a button press.
        """
        assert self._ws is not None
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = query_string
        if page is not None:
            state.page_script_hash = self.pages.get(page, "")
            state.page_name = page
        elif self.page_hash:
            state.page_script_hash = self.page_hash
        for wid, kind, value in widgets or []:
            w = state.widget_states.widgets.add()
            w.id = wid
            if isinstance(value, list):  # string_array_value etc. are messages with `data`
                getattr(w, kind).data.extend(value)
            else:
                setattr(w, kind, value)
        await self._ws.send(msg.SerializeToString())
        run = await asyncio.wait_for(self._read_run(), RUN_TIMEOUT_S)
        if self.fetch_downloads:
            for media in run.downloads:
                run.download_texts.append(await asyncio.to_thread(self._get, media))
        return run

    def _get(self, media: str) -> str:
        with urllib.request.urlopen(self.http_url + media, timeout=60) as resp:
            return str(resp.read().decode("utf-8"))

    async def _read_run(self) -> ScriptRun:
        assert self._ws is not None
        run = ScriptRun()
        started = False
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(await self._ws.recv())
            kind = fwd.WhichOneof("type")
            if kind == "new_session":
                started = True
                run = ScriptRun()
                self.page_hash = fwd.new_session.page_script_hash
            elif kind == "navigation":
                # The pages this run registered (before sign-in the app registers every page,
                # hidden, so that deep links survive the sign-in form).
                self.pages = {p.url_pathname: p.page_script_hash for p in fwd.navigation.app_pages}
                self.page_hash = fwd.navigation.page_script_hash or self.page_hash
            elif kind == "delta" and started:
                self._collect(fwd.delta, run)
            elif kind == "script_finished" and started:
                status = ForwardMsg.ScriptFinishedStatus.Name(fwd.script_finished)
                if status == "FINISHED_EARLY_FOR_RERUN":
                    # A rerun the script asked for (st.rerun after sign-in): keep reading.
                    started = False
                    continue
                run.finished = status
                return run

    @staticmethod
    def _collect(delta: Any, run: ScriptRun) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind is None:
            return
        body = getattr(element, kind)
        text = _element_text(kind, body)
        if kind == "exception":
            run.exceptions.append(text or "exception")
        elif kind == "metric":
            run.metrics[str(body.label)] = str(body.body)
        if text:
            run.texts.append(text)
        if kind == "download_button":
            run.downloads.append(str(body.url))
        if hasattr(body, "id") and hasattr(body, "label") and body.id:
            run.widgets[str(body.label)] = (kind, str(body.id))


async def sign_in(session: StreamlitSession, username: str, password: str) -> ScriptRun:
    """Fill the sign-in form and press its button, as a browser would."""
    form = await session.run()
    user_id = form.widgets["User name"][1]
    password_id = form.widgets["Password"][1]
    button_id = form.widgets["Sign in"][1]
    return await session.run(
        widgets=[
            (user_id, "string_value", username),
            (password_id, "string_value", password),
            (button_id, "trigger_value", True),
        ]
    )
