"""`jakcheck serve`: start the service with uvicorn (one process; see docs for several replicas)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

from jakcheck.errors import JakcheckError
from jakcheck.settings import load_settings


def serve(host: str = "127.0.0.1", port: int = 8000, config: Path | None = None, insecure_dev: bool = False) -> None:
    """Load settings (file, then JAKCHECK_* environment), build the app and serve it until interrupted."""
    import uvicorn

    from jakcheck.service.app import create_app

    environ = dict(os.environ)
    cfg = config or (Path(environ["JAKCHECK_CONFIG"]) if environ.get("JAKCHECK_CONFIG") else None)
    settings = load_settings(environ, cfg)
    if insecure_dev:
        settings = replace(settings, insecure_dev=True)
    if "JAKCHECK_SERVICE_BASE_URL" not in environ and (cfg is None or "service_base_url" not in
                                                          cfg.read_text(encoding="utf-8")):
        settings = replace(settings, service_base_url=f"http://{host}:{port}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(settings)
    banner = " (INSECURE DEV MODE: no authentication, not for clinical use)" if settings.insecure_dev else ""
    print(f"jakcheck serving on {settings.service_base_url}/  - API docs {settings.service_base_url}/docs, "
          f"CDS Hooks discovery {settings.service_base_url}/cds-services{banner}", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=True, server_header=False)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m jakcheck.service.run", description=serve.__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--config", type=Path)
    p.add_argument("--insecure-dev", action="store_true", help="local demos only: no JWT check, shown everywhere")
    args = p.parse_args(argv)
    try:
        serve(args.host, args.port, args.config, args.insecure_dev)
    except JakcheckError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
