"""The server ``verify --against URL`` talks to: made like the recording's, and kept to its pace.

A recording's requests came at recorded times: a render polled 30 s after its submit was
``processing``, its download came after it had finished. Sent back to back, the same requests
find the render still ``pending`` and the download refused: differences that say nothing about
the server. :class:`Target` keeps the recorded pauses between requests, in one of two ways:

- a server it cannot control (a real API, a proxy, or a mock with ``--keep-config``) is waited
  for: each pause in real time, scaled to the target's time scale (``--time-scale``, else what
  its ``GET /__admin/clock`` says, else 1);
- a nemokit mock (one that offers ``/__admin``) has its clock *driven*: it runs at real time
  (scale 1), so a request's own latency costs no virtual time, and is moved on by hand
  (``POST /__admin/clock/advance``) to each request's recorded time. A stream is moved on in
  one step as soon as it opens: to the next request's recorded time (the mock sends everything
  due by then, heartbeats included, and closes the stream where the script ends), or to the
  last recorded event of a stream that was cut or that the client closed. The stream of a
  cassette's last request, whose end is not recorded, plays its rest at the mock's own scale.
  Real waiting scaled by 1000 is exact to a few virtual seconds at best (a loopback request
  takes milliseconds, and a millisecond is a virtual second: a title that lands two seconds
  after a state fetch is seen or not by chance); driven, every request comes at its recorded
  virtual time, at any scale. The mock's scale is given back at the end.

A nemokit mock is also made like the recording's: the settings it was recorded with (every
``MockConfig`` field, so flags the mock was started with do not leak in), its seed, a reset (ids
start again from the seed) and the cassette's faults. Otherwise the drift report would list the
difference between two configurations, not between two servers. ``configure=False`` leaves a
shared mock alone (and its clock too: it is then waited for, like any server).
"""

from __future__ import annotations

import dataclasses
import enum
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from ._cassette import Cassette, Interaction

__all__ = ["Target", "recorded_config"]

_CLOCK = "/__admin/clock"


def recorded_config(
    cassette: Cassette, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Every setting of the mock a cassette was recorded against (as ``PATCH /__admin/config``
    takes them): the defaults, the recorded ``extra.mock`` and seed, then ``overrides``."""
    from mockserver import MockConfig

    recorded = cassette.extra.get("mock", {})
    settings = {**(recorded if isinstance(recorded, dict) else {}), **(overrides or {})}
    made = MockConfig().replace(seed=cassette.seed or 0, **settings)
    config = {
        f.name: (v.value if isinstance(v := getattr(made, f.name), enum.Enum) else v)
        for f in dataclasses.fields(made)
    }
    config.pop("admin", None)  # the control API stays as it is: verify is using it
    return config


@dataclass(slots=True)
class Target:
    """A live server, paced to the recording.

    ``scale`` is its virtual seconds per real second; ``drive`` says its clock is moved by hand
    (a nemokit mock set up by verify) rather than waited for.
    """

    client: httpx.Client
    scale: float = 1.0
    admin: bool = False
    drive: bool = False
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    _origin: float | None = field(default=None, init=False)
    #: The target's virtual time and our real time when we last read it (driven only).
    _seen: tuple[float, float] = field(default=(0.0, 0.0), init=False)
    _running: float = field(default=1.0, init=False)
    #: Where a stream being played moves the clock (recorded time), and whether the clock then
    #: runs at the mock's scale until the stream ends.
    _plan: tuple[float, bool] | None = field(default=None, init=False)

    @classmethod
    def discover(
        cls,
        client: httpx.Client,
        *,
        time_scale: float | None = None,
        configure: bool = True,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Target:
        """The target behind ``client``: its time scale (``time_scale`` wins), whether it offers
        the mock's control API, and whether its clock can be driven (``configure``)."""
        clock = _clock(client)
        if clock is None:
            return cls(client, time_scale or 1.0, sleep=sleep)
        scale = clock.get("scale")
        virtual = clock.get("kind") == "VirtualClock"
        if not isinstance(scale, (int, float)) or isinstance(scale, bool) or scale <= 0:
            scale = 1.0
        drive = configure and (virtual or clock.get("kind") == "ScaledClock")
        target = cls(client, float(time_scale or scale), admin=True, drive=drive, sleep=sleep)
        target._running = float(scale)
        return target

    def prepare(self, cassette: Cassette, overrides: Mapping[str, Any] | None = None) -> None:
        """Make a nemokit mock like the recording's: its settings, a reset, its faults."""
        if not self.admin:
            return
        _admin(self.client, "PATCH", "/__admin/config", recorded_config(cassette, overrides))
        _admin(self.client, "POST", "/__admin/reset", None)
        faults = cassette.extra.get("faults", [])
        if isinstance(faults, list) and faults:
            _admin(self.client, "POST", "/__admin/faults", faults)

    def before(self, interaction: Interaction, next_at: float | None = None) -> None:
        """Wait (or move the clock on) until the interaction's recorded time. ``next_at`` is
        the next interaction's (``None``: this is the last one)."""
        at = interaction.at
        self._plan = None
        if not self.drive:
            self._wait(at)
            return
        if self._origin is None:
            self._set_scale(1.0)  # real time: a request's latency costs no virtual time
            self._origin = self._now() - (at or 0.0)
        if at is not None:
            due, now = self._origin + at, self._now()
            if due > now:
                self._advance(due - now)
            else:  # late: the pauses after this request are kept from here
                self._origin += now - due
        response, events = interaction.response, interaction.response.events
        if events is None:
            return
        last = (at or 0.0) + max((event.t for event in events), default=0.0)
        if response.cut or response.client_closed:
            self._plan = (last, False)  # read no further than the recording did
        elif next_at is None:  # its end is not recorded: the rest plays at the mock's scale
            self._plan = (last, True)
        else:
            self._plan = (next_at, False)

    def opened(self) -> None:
        """The stream is open: move the clock on to where the recording went next."""
        if self._plan is None or self._origin is None:
            return
        until, then_run = self._plan
        due, now = self._origin + until, self._now()
        if due > now:
            self._advance(due - now)
        if then_run:
            self._set_scale(self.scale)

    def after(self, interaction: Interaction) -> None:
        """After the last stream, the clock goes back to real time."""
        del interaction
        if self.drive and self._running != 1.0:
            self._set_scale(1.0)

    def close(self) -> None:
        """Give a driven clock its scale back."""
        if self.drive and self._origin is not None:
            self._set_scale(self.scale)

    # --- waiting ------------------------------------------------------------------------------

    def _wait(self, at: float | None) -> None:
        if at is None:
            return
        now = self.monotonic()
        if self._origin is None:
            self._origin = now - at / self.scale
            return
        due = self._origin + at / self.scale
        if due > now:
            self.sleep(due - now)
        else:  # late: keep the pauses after this request, not the recording's clock
            self._origin += now - due

    # --- driving ------------------------------------------------------------------------------

    def _advance(self, seconds: float) -> None:
        self._look(_admin(self.client, "POST", "/__admin/clock/advance", {"seconds": seconds}))

    def _set_scale(self, scale: float) -> None:
        if scale == self._running:
            return
        view = _admin(self.client, "POST", "/__admin/clock/scale", {"scale": scale})
        self._running = scale
        self._look(view)

    def _look(self, view: Any) -> None:
        if isinstance(view, dict) and isinstance(view.get("now"), (int, float)):
            self._seen = (float(view["now"]), self.monotonic())

    def _now(self) -> float:
        if self._seen == (0.0, 0.0):
            self._look(_clock(self.client))
        now, then = self._seen
        return now + (self.monotonic() - then) * self._running


def _clock(client: httpx.Client) -> dict[str, Any] | None:
    try:
        response = client.get(_CLOCK)
    except httpx.TransportError:
        return None
    if response.status_code != 200:
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) and "now" in data else None


def _admin(client: httpx.Client, method: str, path: str, body: Any) -> Any:
    response = client.request(method, path, json=body)
    if response.status_code >= 400:
        raise ValueError(
            f"the target refused {method} {path} ({response.status_code}): "
            f"{response.text[:200]}; pass --keep-config to verify it as it is"
        )
    try:
        return response.json()
    except ValueError:
        return None
