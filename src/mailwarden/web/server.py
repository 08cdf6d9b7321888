"""Run the app under uvicorn."""

from __future__ import annotations

from mailwarden.web.config import WebConfig, check_bind


def serve(config: WebConfig) -> None:
    """Listen on ``config.host:config.port`` until interrupted (refuses an open bind without login)."""
    check_bind(config)
    import uvicorn

    from mailwarden.web.app import create_app

    host = config.host.strip("[]")
    shown = f"[{host}]" if ":" in host else host
    print(f"mailwarden web: http://{shown}:{config.port}/  (Ctrl+C stops it)", flush=True)
    uvicorn.run(create_app(config), host=host, port=config.port, log_level="warning", access_log=False,
                server_header=False, proxy_headers=False, h11_max_incomplete_event_size=64 * 1024)
