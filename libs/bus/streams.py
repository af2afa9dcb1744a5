"""The JetStream streams, declared here and nowhere else (services bind with declare=False)."""

import nats
from faststream.nats import JStream
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from contracts import subjects

DUPLICATE_WINDOW_SECONDS = 600.0
EVENTS_MAX_AGE_SECONDS = 30 * 24 * 3600.0

EVENTS = JStream(subjects.EVENTS_STREAM, declare=False)
JOBS = JStream(subjects.JOBS_STREAM, declare=False)

STREAM_CONFIGS = (
    StreamConfig(
        name=subjects.EVENTS_STREAM,
        subjects=[subjects.ALL_EVENTS],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        max_age=EVENTS_MAX_AGE_SECONDS,
        discard=DiscardPolicy.OLD,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
    ),
    StreamConfig(
        name=subjects.JOBS_STREAM,
        subjects=[subjects.ALL_JOBS],
        retention=RetentionPolicy.WORK_QUEUE,
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
    ),
)


async def provision_streams(nats_url: str) -> list[str]:
    """Create or update both streams; safe to run on every start."""
    nc = await nats.connect(nats_url, name="lifeboat-provision")
    try:
        js = nc.jetstream()
        for config in STREAM_CONFIGS:
            try:
                await js.stream_info(config.name or "")
                await js.update_stream(config)
            except NotFoundError:
                await js.add_stream(config)
    finally:
        await nc.close()
    return [config.name or "" for config in STREAM_CONFIGS]
