"""Shopsight's executive dashboard (Streamlit): `shopsight serve` runs `apps/app.py`.

The modules split the app by job: `snapshot` opens the published serving file, `queries` holds
every SQL statement, `filters` the sidebar state, `auth` and `signin` the users and sessions,
`charts` the Altair charts, `format` the executive number style and `ui` the shared widgets.
Page files under `pages/` only lay out.
"""
