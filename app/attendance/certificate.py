"""The certificate a doctor downloads: one print-ready HTML page, with nothing loaded from
anywhere (it is opened from a file). Pure: values in, text out."""

from __future__ import annotations

from datetime import date
from html import escape

from app.attendance.models import AttendanceRecord, Certificate

CSP = "default-src 'none'; style-src 'unsafe-inline'"
"""The page's own policy: its one inline style sheet, nothing else."""

STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; color: #111; max-width: 42rem; margin: 2rem auto;
       padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .25rem; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #999; }
td.n, th.n { text-align: right; }
.code { font: 1.2rem/1.4 ui-monospace, monospace; letter-spacing: .05em; }
.small { font-size: .9rem; color: #333; }
@media print { body { margin: 0; } }
"""


def long_date(on: date) -> str:
    return f"{on.day} {on:%B %Y}"


def render(certificate: Certificate, records: list[AttendanceRecord], *, code: str,
           verify_url: str) -> str:
    """The certificate page."""
    rows = "\n".join(
        f'<tr><td>{escape(long_date(r.on_date))}</td><td class="n">{r.minutes}</td></tr>'
        for r in records) or '<tr><td colspan="2">No sessions recorded.</td></tr>'
    issued = long_date(certificate.created_at.date())
    return f"""<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>Certificate of attendance · Rounds</title>
<style>{STYLE}</style>
</head>
<body>
<main>
<h1>Certificate of attendance</h1>
<p>This certifies that <strong>{escape(certificate.display_name)}</strong> took part in
sessions of the facilitated peer-support group <strong>{escape(certificate.group_name)}</strong>
on Rounds, as recorded from their presence in the sessions.</p>
<table>
<caption class="small">Sessions attended</caption>
<thead><tr><th scope="col">Date</th><th scope="col" class="n">Minutes present</th></tr></thead>
<tbody>
{rows}
</tbody>
<tfoot><tr><th scope="row">{certificate.sessions} sessions</th>
<td class="n">{certificate.minutes} minutes</td></tr></tfoot>
</table>
<p>Issued on {escape(issued)}.</p>
<h2>Verification</h2>
<p>Verification code: <span class="code">{escape(code)}</span></p>
<p class="small">Anyone can check this certificate at {escape(verify_url)} with the code above.
The check confirms this certificate only. Rounds records who was present and for how long,
never what was said.</p>
</main>
</body>
</html>
"""
