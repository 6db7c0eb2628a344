"""``python -m gateway``: serve the gateway with uvicorn on GATEWAY_HOST:GATEWAY_PORT."""

from __future__ import annotations

import logging
import os
import sys

import uvicorn

from gateway.app import create_app
from gateway.logconfig import configure_logging
from gateway.settings import Settings, SettingsError
from gateway.transport import UnsupportedServer, server_options


def main() -> None:
    """Read settings from the environment, print the demo URL and serve until interrupted."""
    # Before anything logs: uvicorn's error and access logs go through the same redaction as the gateway's.
    configure_logging(os.environ.get("GATEWAY_LOG_LEVEL", "INFO").upper())
    try:
        settings = Settings.from_env(os.environ)
        app = create_app(settings)
        transport = server_options(settings)
    except (SettingsError, UnsupportedServer) as exc:
        logging.getLogger("gateway").error("invalid configuration: %s", exc)
        sys.exit(2)
    shown_host = "127.0.0.1" if settings.host in {"0.0.0.0", "::"} else settings.host
    logging.getLogger("gateway").info("demo page: http://%s:%d/", shown_host, settings.port)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        # Behind a TLS proxy, set FORWARDED_ALLOW_IPS to its address so rate limits see residents' addresses.
        proxy_headers=True,
        forwarded_allow_ips=list(settings.forwarded_allow_ips),
        server_header=False,
        log_config=None,  # configured above; uvicorn's own config would add unfiltered handlers
        access_log=True,
        # Header, body and keep-alive timeouts and the connection limit (gateway/transport.py).
        **transport,
    )


if __name__ == "__main__":
    main()
