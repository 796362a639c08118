"""`jakcheck serve`: start the service with uvicorn, one worker process or several (`--workers N`).

Service-level environment (besides the JAKCHECK_* settings that `load_settings` reads):

* `JAKCHECK_WORKERS` (default 1): uvicorn worker processes. With N > 1 the report cache and the JWT replay cache
  move to SQLite files in a private temporary folder the workers share (see shared.py); the feedback store is
  shared already (one SQLite file in WAL mode, or PostgreSQL).
* `JAKCHECK_VALIDATE_RESPONSES` (default false here, true in tests): check every CDS Hooks response against the
  spec models before sending it.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from jakcheck.errors import ConfigError, JakcheckError
from jakcheck.runtime import serving_gc
from jakcheck.settings import Settings, load_settings

if TYPE_CHECKING:
    from fastapi import FastAPI

SHARED_DIR_ENV = "JAKCHECK_SHARED_STATE_DIR"  # set by serve for its workers; not a setting
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _flag(environ: dict[str, str], name: str, default: bool) -> bool:
    v = environ.get(name, "").strip().lower()
    if not v:
        return default
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {v!r}")


def _settings(environ: dict[str, str], config: Path | None) -> tuple[Settings, Path | None]:
    cfg = config or (Path(environ["JAKCHECK_CONFIG"]) if environ.get("JAKCHECK_CONFIG") else None)
    return load_settings(environ, cfg), cfg


def production_app(settings: Settings, shared_state_dir: Path | None = None,
                   today: Callable[[], date] = date.today) -> FastAPI:
    """The app as `serve` runs it: response validation off unless JAKCHECK_VALIDATE_RESPONSES, the collector tuned
    (jakcheck.runtime.serving_gc)."""
    from jakcheck.service.app import create_app

    app = create_app(settings, today=today, shared_state_dir=shared_state_dir,
                     validate_responses=_flag(dict(os.environ), "JAKCHECK_VALIDATE_RESPONSES", False))
    serving_gc()
    return app


_REPORT_PATH = re.compile(r"/report/[^/?\s]+")


class HideReportTokens(logging.Filter):
    """The access log line of a report page shows `/report/…`, never its token: the token alone opens a page
    with the patient's name, birth date and record numbers."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_REPORT_PATH.sub("/report/…", a) if isinstance(a, str) else a for a in record.args)
        return True


def hide_report_tokens() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, HideReportTokens) for f in access.filters):
        access.addFilter(HideReportTokens())


def build_app() -> FastAPI:
    """The app from the environment that `serve` prepared (the uvicorn factory of each worker process)."""
    environ = dict(os.environ)
    settings, _ = _settings(environ, None)
    shared = environ.get(SHARED_DIR_ENV)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    hide_report_tokens()
    return production_app(settings, Path(shared) if shared else None)


def serve(host: str = "127.0.0.1", port: int = 8000, config: Path | None = None, insecure_dev: bool = False,
          workers: int | None = None) -> None:
    """Load settings (file, then JAKCHECK_* environment), build the app and serve it until interrupted."""
    import uvicorn

    environ = dict(os.environ)
    settings, cfg = _settings(environ, config)
    n = workers if workers is not None else int(environ.get("JAKCHECK_WORKERS", "1") or "1")
    if n < 1:
        raise ConfigError(f"workers must be 1 or more, not {n}")
    if insecure_dev:
        settings = replace(settings, insecure_dev=True)
    if "JAKCHECK_SERVICE_BASE_URL" not in environ and (cfg is None or "service_base_url" not in
                                                          cfg.read_text(encoding="utf-8")):
        settings = replace(settings, service_base_url=f"http://{host}:{port}")
    # The workers build the app from the environment: pass on what the command line decided.
    os.environ["JAKCHECK_SERVICE_BASE_URL"] = settings.service_base_url
    if settings.insecure_dev:
        os.environ["JAKCHECK_INSECURE_DEV"] = "true"
    if cfg is not None:
        os.environ["JAKCHECK_CONFIG"] = str(cfg)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    banner = " (INSECURE DEV MODE: no authentication, not for clinical use)" if settings.insecure_dev else ""
    print(f"jakcheck serving on {settings.service_base_url}/ with {n} worker process(es) - API docs "
          f"{settings.service_base_url}/docs, CDS Hooks discovery {settings.service_base_url}/cds-services{banner}",
          flush=True)
    if n == 1:
        os.environ.pop(SHARED_DIR_ENV, None)
        app = build_app()
        server_config = uvicorn.Config(app, host=host, port=port, log_level="info", access_log=True,
                                       server_header=False)
        server = uvicorn.Server(server_config)  # the Config sets up logging: the filter is added after it
        hide_report_tokens()
        server.run()
        return
    shared = tempfile.mkdtemp(prefix="jakcheck-shared-")  # mode 0700
    os.environ[SHARED_DIR_ENV] = shared
    try:
        uvicorn.run("jakcheck.service.run:build_app", factory=True, host=host, port=port, workers=n,
                    log_level="info", access_log=True, server_header=False)
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m jakcheck.service.run", description=serve.__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--config", type=Path)
    p.add_argument("--workers", type=int, help="uvicorn worker processes (default JAKCHECK_WORKERS or 1)")
    p.add_argument("--insecure-dev", action="store_true", help="local demos only: no JWT check, shown everywhere")
    args = p.parse_args(argv)
    try:
        serve(args.host, args.port, args.config, args.insecure_dev, args.workers)
    except JakcheckError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
