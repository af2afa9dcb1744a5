import os
import stat

import pytest

from libs.config import ServiceSettings, SettingsError, load
from libs.crypto import SealError, create_keyring, load_keyring, open_sealed, seal
from libs.crypto.keyring import save_keyring


def test_settings_come_from_prefixed_environment_variables():
    settings = load(ServiceSettings, {"LIFEBOAT_RPC_TIMEOUT_SECONDS": "2.5", "LIFEBOAT_DATA_DIR": "/srv/lb"})
    assert settings.rpc_timeout_seconds == 2.5
    assert str(settings.master_key_path) == "/srv/lb/master.key"


def test_a_malformed_setting_names_its_variable():
    with pytest.raises(SettingsError, match="LIFEBOAT_RPC_TIMEOUT_SECONDS"):
        load(ServiceSettings, {"LIFEBOAT_RPC_TIMEOUT_SECONDS": "soon"})


def test_master_key_file_is_private_and_never_overwritten(tmp_path):
    path = tmp_path / "master.key"
    keyring = create_keyring(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with pytest.raises(FileExistsError):
        create_keyring(path)
    assert load_keyring(path) == keyring


def test_sealed_secrets_open_only_with_their_purpose_and_survive_rotation(tmp_path):
    path = tmp_path / "master.key"
    keyring = create_keyring(path)
    sealed = seal(keyring, b"hunter2", "server.password")
    assert b"hunter2" not in sealed.ciphertext.encode()
    with pytest.raises(SealError):
        open_sealed(keyring, sealed, "server.ssh_key")
    rotated = keyring.rotated()
    save_keyring(path, rotated)
    assert rotated.current != keyring.current
    assert open_sealed(load_keyring(path), sealed, "server.password") == b"hunter2"
    tampered = sealed.__class__(
        key_id=sealed.key_id, nonce=sealed.nonce, ciphertext=sealed.ciphertext[:-4] + "AAAA"
    )
    with pytest.raises(SealError):
        open_sealed(rotated, tampered, "server.password")
