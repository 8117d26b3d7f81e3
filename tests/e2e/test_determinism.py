"""A seed fixes a world: same seed, same keys, tokens and ids; another seed, other ones."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization

from fake_apns import PushAccepted
from fake_devices import NotificationShown
from simulator import FakeClock, SimConfig, Simulator
from simulator.story import cast_dm_world, send_dm


async def fingerprint(seed: int) -> tuple[object, ...]:
    async with Simulator(SimConfig(seed=seed), clock=FakeClock()) as sim:
        cast = await cast_dm_world(sim)
        await cast.phone.to_background()
        post = await send_dm(sim, cast)
        shown = await sim.bus.wait_for(NotificationShown, timeout=5)
        await sim.settle()
        accepted = sim.bus.find(PushAccepted)[0]
        public = sim.provider_key.key.public_key().public_bytes(serialization.Encoding.DER,
                                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
        return (public, cast.phone.app().token, post["id"], shown.notification.ack_id, accepted.apns_id,
                sim.chat_core.diagnostic_id)


async def test_same_seed_same_world_other_seed_other_world() -> None:
    first, again, other = await fingerprint(5), await fingerprint(5), await fingerprint(6)
    assert first == again
    assert all(a != b for a, b in zip(first, other))
