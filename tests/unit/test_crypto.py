"""Sealing personal data: authenticated, under a key the value names, keys that rotate, key
files made once and private, a wrong or missing key said in one line."""

import stat
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common import keystore
from services.common.crypto import (
    KeyProblem,
    Keyring,
    Undecryptable,
    UnknownKey,
    encode_key,
    key_id,
    keyed_hash,
    new_key,
    sealed_key_id,
)


@given(st.binary(max_size=2000), st.binary(max_size=40))
def test_a_value_opens_to_itself_and_names_its_key(plaintext: bytes, aad: bytes) -> None:
    ring = Keyring([new_key()])
    sealed = ring.seal(plaintext, aad)
    assert ring.open(sealed, aad) == plaintext
    assert sealed_key_id(sealed) == ring.primary and sealed.startswith(f"od1.{ring.primary}.")
    assert ring.seal(plaintext, aad) != sealed  # a fresh nonce each time


def test_an_altered_value_or_another_context_does_not_open() -> None:
    ring = Keyring([new_key()])
    sealed = ring.seal("王秀英".encode(), b"app-1")
    body = sealed.rsplit(".", 1)[1]
    flipped = sealed[:-len(body)] + ("A" if body[0] != "A" else "B") + body[1:]
    for wrong, aad in ((flipped, b"app-1"), (sealed, b"app-2"), (sealed[:-4], b"app-1")):
        with pytest.raises(Undecryptable):
            ring.open(wrong, aad)
    with pytest.raises(Undecryptable, match="not a sealed value"):
        ring.open('{"name": "王秀英"}')


def test_values_open_under_any_key_of_the_ring_and_seal_under_the_primary() -> None:
    old, new = new_key(), new_key()
    before = Keyring([old]).seal(b"x")
    ring = Keyring({key_id(new): new, key_id(old): old}, key_id(new))
    assert ring.open(before) == b"x"
    assert sealed_key_id(ring.seal(b"y")) == key_id(new)
    assert sealed_key_id(ring.reseal(before)) == key_id(new)
    with pytest.raises(UnknownKey, match=key_id(old)):
        Keyring([new], source="ONEDOOR_DATA_KEY").open(before)


def test_a_keyed_hash_is_exact_and_needs_the_key() -> None:
    key = new_key()
    assert keyed_hash(key, "id_number", "34132119990412002X") == keyed_hash(
        key, "id_number", "34132119990412002X")
    assert keyed_hash(key, "id_number", "34132119990412002X") != keyed_hash(
        new_key(), "id_number", "34132119990412002X")
    assert keyed_hash(key, "name", "王秀英") != keyed_hash(key, "id_number", "王秀英")


def test_key_files_are_made_once_private_and_atomic(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    rings: list[Keyring] = []
    # Ten processes starting together (here: threads) all end with the one key file's key.
    threads = [threading.Thread(target=lambda: rings.append(
        keystore.keyring(keystore.DATA, None, data_dir))) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({(r.primary, tuple(r.ids)) for r in rings}) == 1
    path = keystore.key_file(data_dir, keystore.DATA)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["data.json"]  # no temporary file left


def test_a_running_process_takes_up_a_rotated_key(tmp_path: Path) -> None:
    running = keystore.keyring(keystore.DATA, None, tmp_path)
    old = running.primary
    path = keystore.key_file(tmp_path, keystore.DATA)
    stored = keystore.read_key_file(path)
    key = new_key()
    keystore.write_key_file(path, {key_id(key): key, **stored.keys}, key_id(key))
    # A value another process sealed under the new key: the ring reads its file again.
    assert running.open(keystore.read_key_file(path).seal(b"v")) == b"v"
    assert running.primary == key_id(key) and old in running.ids


def test_keys_from_the_environment_first_one_primary(tmp_path: Path) -> None:
    first, second = new_key(), new_key()
    keys = keystore.load(tmp_path, {"data": f"{encode_key(first)},{encode_key(second)}",
                                    "search": encode_key(new_key()), "bus": None}, bus=False)
    assert (keys.data.primary, keys.data.ids) == (key_id(first), [key_id(first), key_id(second)])
    assert keys.bus is None
    assert not keystore.key_file(tmp_path, keystore.DATA).exists()  # the environment's only


@pytest.mark.parametrize(("value", "problem"), [
    ("not base64!", "ONEDOOR_DATA_KEY (key 1 of 1) is not base64"),
    (encode_key(b"short"), "is 5 bytes; a key is 32 bytes"),
])
def test_a_malformed_key_is_one_line(tmp_path: Path, value: str, problem: str) -> None:
    with pytest.raises(KeyProblem, match=problem.replace("(", r"\(").replace(")", r"\)")) as caught:
        keystore.load(tmp_path, {"data": value}, bus=False)
    assert "\n" not in str(caught.value) and value not in str(caught.value)


def test_a_damaged_key_file_is_one_line(tmp_path: Path) -> None:
    path = keystore.key_file(tmp_path, keystore.DATA)
    keystore.keyring(keystore.DATA, None, tmp_path)
    path.write_text('{"primary": "x"}')
    with pytest.raises(KeyProblem, match="is not a OneDoor key file"):
        keystore.keyring(keystore.DATA, None, tmp_path)
