"""The pages' files as they are sent: scripts and styles without their comments.

The sources under ``frontend/static`` are written to be read: every module explains itself,
and about a third of their bytes are comments. A doctor on a phone over a hospital network
needs none of that, so scripts and styles are sent with comments and spare whitespace
removed (rjsmin, rcssmin: well-kept, C-accelerated, aware of strings, template literals and
regular expressions), the result cached per file and modification time. Everything else under
``static/`` is sent as it is. The code that runs is the code in the repository, less its
comments: nothing is bundled, renamed or transpiled.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import rcssmin
import rjsmin
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

MINIFIERS: dict[str, tuple[Callable[[str], str], str]] = {
    ".js": (rjsmin.jsmin, "text/javascript; charset=utf-8"),
    ".css": (rcssmin.cssmin, "text/css; charset=utf-8"),
}


def sent_bytes(path: Path) -> bytes:
    """What is sent for a file under static/ (before compression)."""
    minify = MINIFIERS.get(path.suffix)
    if minify is None:
        return path.read_bytes()
    return _minified(str(path), path.stat().st_mtime_ns)[0]


@lru_cache(maxsize=512)
def _minified(path: str, mtime_ns: int) -> tuple[bytes, str]:
    body = MINIFIERS[Path(path).suffix][0](Path(path).read_text(encoding="utf-8")).encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


class Static(StaticFiles):
    """StaticFiles that sends scripts and styles without their comments."""

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result,
                      scope: Scope, status_code: int = 200) -> Response:
        suffix = Path(full_path).suffix
        if suffix not in MINIFIERS:
            return super().file_response(full_path, stat_result, scope, status_code)
        body, etag = _minified(str(full_path), stat_result.st_mtime_ns)
        response = Response(body, status_code=status_code, media_type=MINIFIERS[suffix][1],
                            headers={"etag": etag})
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response
