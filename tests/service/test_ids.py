"""Card uuids and correlation ids: RFC 4122 version 4 text from OS random bytes, never repeated."""

from __future__ import annotations

import os
import re
import uuid

import pytest

from jakcheck.service import ids


def test_card_ids_are_version_4_uuids_as_uuid_prints_them() -> None:
    made = [ids.new_uuid() for _ in range(3000)]  # more than one block of random bytes
    assert len(set(made)) == len(made)
    for text in made:
        u = uuid.UUID(text)
        assert str(u) == text and u.version == 4 and u.variant == uuid.RFC_4122


def test_correlation_ids_are_16_hex_digits() -> None:
    made = {ids.correlation_id() for _ in range(500)}
    assert len(made) == 500
    assert all(re.fullmatch(r"[0-9a-f]{16}", c) for c in made)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_does_not_repeat_the_parents_ids() -> None:
    ids.new_uuid()  # the parent holds a block of random bytes
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids, to the parent
        os.close(read)
        os.write(write, " ".join(ids.new_uuid() for _ in range(4)).encode())
        os._exit(0)
    os.close(write)
    child = set(os.read(read, 4096).decode().split())
    os.close(read)
    os.waitpid(pid, 0)
    parent = {ids.new_uuid() for _ in range(4)}
    assert len(child) == 4 and not child & parent
