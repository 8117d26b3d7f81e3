"""Phone models: platform, OS version, and how fast the app runs on them.

``speed`` scales the app's own work (see perf.WORK_MS): 1.0 is the doc's reference iPhone 6s
Plus; larger is slower. The figures are a model, ordered by the chips' single-core speed.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import DeviceError
from .models import Platform


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceModel:
    """A phone model as the app experiences it."""

    name: str
    platform: Platform
    os_version: str
    speed: float = 1.0

    @property
    def os_major(self) -> int:
        """The OS major version (0 when unparseable)."""
        head = self.os_version.split(".", 1)[0]
        return int(head) if head.isdigit() else 0


DEVICES: dict[str, DeviceModel] = {d.name: d for d in (
    # The doc's benchmark phones.
    DeviceModel(name="iPhone 6s Plus", platform=Platform.IOS, os_version="15.8", speed=1.0),  # A9, 2015
    DeviceModel(name="iPhone 5s", platform=Platform.IOS, os_version="12.5.7", speed=1.6),  # A7, 2013
    DeviceModel(name="Samsung Galaxy S6", platform=Platform.ANDROID, os_version="7.0", speed=1.1),  # Exynos 7420
    # A few more, old and new.
    DeviceModel(name="iPhone SE (2nd generation)", platform=Platform.IOS, os_version="17.6", speed=0.5),
    DeviceModel(name="iPhone 13", platform=Platform.IOS, os_version="17.6", speed=0.35),
    DeviceModel(name="Pixel 7", platform=Platform.ANDROID, os_version="14", speed=0.4),
    DeviceModel(name="Samsung Galaxy A14", platform=Platform.ANDROID, os_version="14", speed=1.2),
    DeviceModel(name="Moto E (2020)", platform=Platform.ANDROID, os_version="10", speed=2.2),
)}


def device(name: str, *, platform: Platform | None = None, os_version: str | None = None) -> DeviceModel:
    """The catalogue entry for ``name`` (with overrides), or a reference-speed model of that name."""
    known = DEVICES.get(name)
    if known is None:
        return DeviceModel(name=name, platform=platform or Platform.IOS, os_version=os_version or "")
    if platform is not None and platform is not known.platform:
        raise DeviceError(f"{name} is an {known.platform.value} phone, not {platform.value}")
    if not os_version or os_version == known.os_version:
        return known  # shared: ten thousand phones of one model need one entry
    return DeviceModel(name=known.name, platform=known.platform, os_version=os_version, speed=known.speed)
