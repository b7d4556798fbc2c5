"""The bridge's settings as one value: where the broker is, how to reach it, which topics."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field

from django.conf import settings

SCHEMES = {"mqtt": (False, 1883), "mqtts": (True, 8883)}  # scheme -> (TLS, default port)
_WILDCARDS = re.compile(r"[+#\x00]")


class ConfigError(ValueError):
    """A setting the bridge cannot work with; the message never holds credentials."""


@dataclass(frozen=True)
class MqttConfig:
    url: str = field(repr=False)  # may hold credentials: show `shown` (built from the parts), never this
    host: str
    port: int
    tls: bool
    client_id: str
    prefix: str
    discovery_prefix: str  # empty: no Home Assistant discovery
    presence_timeout: float
    tls_ca: str = ""  # empty: the system's CA certificates
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    keepalive: int = 30

    @property
    def shown(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'mqtts' if self.tls else 'mqtt'}://{host}:{self.port}"

    @property
    def redis_namespace(self) -> str:
        # One bridge's consumer group and remembered state per topic prefix.
        return f"faceapp:mqtt:{self.prefix}"


def _topic_prefix(value: str, *, name: str) -> str:
    prefix = value.strip().strip("/")
    if _WILDCARDS.search(prefix):
        raise ConfigError(f"{name} must not hold MQTT wildcards (+, #): {prefix!r}")
    return prefix


def config_from_url(*, url: str, client_id: str, prefix: str, discovery_prefix: str,
                    presence_timeout: float, tls_ca: str = "") -> MqttConfig:  # fmt: skip
    # Neither the URL nor Python's errors about it (they quote its netloc) go into a message.
    try:
        parts = urllib.parse.urlsplit(url.strip())
        hostname = parts.hostname
    except ValueError:
        parts, hostname = None, None
    if parts is None or parts.scheme not in SCHEMES or not hostname:
        raise ConfigError("FACEAPP_MQTT_URL must look like mqtt://[user:pass@]host[:port] or mqtts://...")
    tls, default_port = SCHEMES[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError:
        raise ConfigError("FACEAPP_MQTT_URL has a bad port (a number from 1 to 65535)") from None
    topic_prefix = _topic_prefix(prefix, name="FACEAPP_MQTT_PREFIX")
    if not topic_prefix:
        raise ConfigError("FACEAPP_MQTT_PREFIX must not be empty")
    unquote = urllib.parse.unquote
    return MqttConfig(
        url=url, host=hostname, port=port, tls=tls, tls_ca=tls_ca, client_id=client_id,
        prefix=topic_prefix, discovery_prefix=_topic_prefix(discovery_prefix, name="FACEAPP_MQTT_DISCOVERY_PREFIX"),
        presence_timeout=max(0.0, presence_timeout),
        username=unquote(parts.username) if parts.username is not None else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )  # fmt: skip


def mqtt_config() -> MqttConfig | None:
    """The configured bridge, or None when FACEAPP_MQTT_URL is empty (MQTT off)."""
    if not settings.FACEAPP_MQTT_URL:
        return None
    return config_from_url(
        url=settings.FACEAPP_MQTT_URL, client_id=settings.FACEAPP_MQTT_CLIENT_ID,
        prefix=settings.FACEAPP_MQTT_PREFIX, discovery_prefix=settings.FACEAPP_MQTT_DISCOVERY_PREFIX,
        presence_timeout=settings.FACEAPP_MQTT_PRESENCE_TIMEOUT_SECONDS, tls_ca=settings.FACEAPP_MQTT_TLS_CA,
    )  # fmt: skip
