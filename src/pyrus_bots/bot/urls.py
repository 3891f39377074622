"""Where the Pyrus API lives: the default URLs of real Pyrus, and those of a pyrus-bots
platform. A leaf module, so that the Bot can name the API without loading the HTTP client."""

from __future__ import annotations

__all__ = ["DEFAULT_API_URL", "DEFAULT_AUTH_URL", "DEFAULT_FILES_URL", "platform_urls"]

DEFAULT_API_URL = "https://api.pyrus.com/v4/"
DEFAULT_AUTH_URL = "https://accounts.pyrus.com/api/v4/auth"
DEFAULT_FILES_URL = "https://files.pyrus.com/"


def platform_urls(base_url: str) -> dict[str, str]:
    """API, auth and files URLs of a pyrus-bots platform served at ``base_url``."""
    base = base_url.rstrip("/")
    return {
        "api_url": f"{base}/v4/",
        "auth_url": f"{base}/v4/auth",
        "files_url": f"{base}/",
    }
