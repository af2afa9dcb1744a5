"""Throughput of the compress+encrypt stage alone (ArtifactWriter.feed), no reading or storage.

    .venv/bin/python bench/pipeline_throughput.py [--mib 256] [--compression zstd gzip none]

The input is pgbench_accounts-like COPY text generated up front (not timed), fed in 1 MiB pieces
as store_stream does. "compress only" is the same zstandard/zlib call without encryption, for
comparison. Machines are noisy: run it a few times and compare medians.
"""

import argparse
import base64
import time
import zlib

import harness  # noqa: F401  (puts this tree first on sys.path: the stage measured is its own)
import zstandard

from libs.crypto.artifact import ArtifactWriter, Compression
from libs.crypto.keyring import Keyring

PIECE = 1024 * 1024


def pgbench_text(mib: int) -> list[bytes]:
    pieces, aid, pending = [], 1, bytearray()
    while len(pieces) < mib:
        rows = [
            f"{a}\t{(a - 1) // 100000 + 1}\t{(a * 7919) % 20001 - 10000}\t{' ' * 84}\n"
            for a in range(aid, aid + 10000)
        ]
        aid += 10000
        pending += "".join(rows).encode()
        while len(pending) >= PIECE and len(pieces) < mib:
            pieces.append(bytes(pending[:PIECE]))
            del pending[:PIECE]
    return pieces


def seal(pieces: list[bytes], compression: Compression) -> tuple[float, int]:
    keyring = Keyring(current="mk-bench", keys={"mk-bench": base64.b64encode(b"b" * 32).decode()})
    writer = ArtifactWriter(keyring, "bench", compression)
    start = time.perf_counter()
    for piece in pieces:
        writer.feed(piece)
    writer.finish()
    return time.perf_counter() - start, writer.stored_size


def compress_only(pieces: list[bytes], compression: Compression) -> float:
    if compression == "none":
        return 0.0
    codec = (
        zstandard.ZstdCompressor(level=3).compressobj()
        if compression == "zstd"
        else zlib.compressobj(6, zlib.DEFLATED, 31)
    )
    start = time.perf_counter()
    for piece in pieces:
        codec.compress(piece)
    codec.flush()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument(
        "--compression", nargs="+", default=["zstd", "none", "gzip"], choices=["zstd", "gzip", "none"]
    )
    args = parser.parse_args()
    pieces = pgbench_text(args.mib)
    megabytes = args.mib * PIECE / 1e6
    for compression in args.compression:
        seconds, stored = seal(pieces, compression)
        baseline = compress_only(pieces, compression)
        sizes = f"{megabytes:.0f} MB -> {stored / 1e6:.1f} MB"
        line = f"{compression:>5}: compress+encrypt {megabytes / seconds:8.1f} MB/s  ({sizes})"
        if baseline:
            line += f"   compress only {megabytes / baseline:8.1f} MB/s"
        print(line, flush=True)


if __name__ == "__main__":
    main()
