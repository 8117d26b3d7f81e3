"""The world's push proxies: one per role the chat server can be pointed at (mattermost-push.md §9).

- HPNS (TLS) and TPNS (plain HTTP) always run: Mattermost's public proxies, holding Mattermost's
  APNs key and Firebase service account, serving the public apps.
- EAS runs when the world's role is EAS: your own proxy with your own app ids and keys.
The world's *primary* proxy is the one for ``SimConfig.role``: it is the chat server's default
``PushNotificationServer``, and ``proxy_tls`` decides whether it listens on TLS. The chat server's
"DNS" maps Mattermost's public push URLs to the local HPNS and TPNS proxies, so switching the
setting really switches proxies, keys and reachable phones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .config import SimConfig
from .egress import MATTERMOST_HOSTS
from .proxy import Role
from .proxy.deployment import PUBLIC_APP, AppIds, ProxyDeployment, ProxyKeys

TPNS_HOST: Final = "push-test.mattermost.com"
HPNS_HOSTS: Final = tuple(h for h in MATTERMOST_HOSTS if h != TPNS_HOST)
# Mattermost's own Apple team, used when the world's configured team is an EAS customer's.
PUBLIC_TEAM_ID: Final = "MMPUBLIC01"
PUBLIC_KEY_ID: Final = "MMPUBKEY01"
PUBLIC_BUNDLES: Final = ("com.mattermost.rn", "com.mattermost.rnbeta")  # App Store + TestFlight beta
PUBLIC_PACKAGES: Final = ("com.mattermost.rn", "com.mattermost.rnbeta")


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedProxy:
    """One proxy to start: its deployment and the host names it answers for."""

    deployment: ProxyDeployment
    names: tuple[str, ...]  # real host names on its certificate, and mapped to it by CONNECT

    @property
    def role(self) -> Role:
        return self.deployment.role


def own_app(config: SimConfig) -> AppIds:
    """The app the world's configured keys belong to (the public app unless the role is EAS)."""
    return AppIds(ios_bundle_id=config.ios_bundle_id, android_package=config.android_package,
                  firebase_project_id=config.firebase_project_id, apple_type=config.ios_push_type,
                  android_type=config.android_push_type)


def plan(config: SimConfig, *, own: ProxyKeys, public: ProxyKeys) -> dict[Role, PlannedProxy]:
    """The proxies of a world: HPNS and TPNS always, EAS when it is the world's role."""
    primary = Role(config.role)
    planned: dict[Role, PlannedProxy] = {}
    for role in (Role.HPNS, Role.TPNS, Role.EAS):
        if role is Role.EAS and primary is not Role.EAS:
            continue
        is_primary = role is primary
        keys = own if is_primary else public
        app = own_app(config) if is_primary else PUBLIC_APP
        names = HPNS_HOSTS if role is Role.HPNS else (TPNS_HOST,) if role is Role.TPNS else ()
        host = names[0] if names else f"push.{app.ios_bundle_id}"
        tls = config.proxy_tls if is_primary else role is not Role.TPNS
        planned[role] = PlannedProxy(
            deployment=ProxyDeployment(role=role, app=app, keys=keys, name="proxy" if is_primary else role.value.lower(),
                                       host=host, tls=tls),
            names=names if names else (host,))
    return planned

