"""Download links come from the catalog (it checks the file and signs the URL); the gateway
serves the bytes of a signed URL. A gateway and a catalog, no executor: backups stay pending."""

import httpx

from tests.integration.test_databases_api import OWN


async def test_a_file_link_is_absolute_signed_and_serves_the_file(api, stack_settings):
    root = stack_settings("catalog").data_path / "backups" / "srv-1"
    root.mkdir(parents=True)
    (root / "b-1.lbart").write_bytes(b"artifact bytes")

    reply = await api.get("/backups/download", params={"blob_name": "srv-1/b-1.lbart", "expiry_hours": 2})
    assert reply.status_code == 200, reply.text
    link = reply.json()
    assert (link["blob_name"], link["expires_in_hours"]) == ("srv-1/b-1.lbart", 2)
    assert link["download_url"].startswith(f"{api.base_url.scheme}://{api.base_url.host}:")
    assert "/api/v1/backups/files/content?destination=default&key=srv-1%2Fb-1.lbart" in link["download_url"]
    async with httpx.AsyncClient() as anonymous:
        fetched = await anonymous.get(link["download_url"])
        assert fetched.status_code == 200 and fetched.content == b"artifact bytes"
        assert fetched.headers["content-disposition"] == 'attachment; filename="b-1.lbart"'
        other = link["download_url"].replace("b-1.lbart", "b-2.lbart")
        refused = (await anonymous.get(other)).json()
        assert refused["code"] == "INVALID_SIGNATURE" and refused["status"] == 403


async def test_a_file_link_refuses_missing_files_and_unknown_destinations(api):
    missing = await api.get("/backups/download", params={"blob_name": "srv-1/none.lbart"})
    assert missing.status_code == 404
    assert (missing.json()["code"], missing.json()["detail"]) == (
        "NOT_FOUND",
        "backup file 'srv-1/none.lbart' not found",
    )
    unknown = await api.get("/backups/download", params={"blob_name": "a", "destination": "nowhere"})
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["code"] == "VALIDATION_ERROR" and "blob_name" in unknown.json()["detail"]


async def test_a_backup_link_needs_a_completed_backup(api):
    absent = await api.post("/backups/987654/download")
    assert (absent.status_code, absent.json()["code"]) == (404, "BACKUP_NOT_FOUND")
    database = (await api.post("/databases", json=OWN)).json()["database"]
    backup = (await api.post("/backups", json={"database_id": database["id"]})).json()
    pending = await api.post(f"/backups/{backup['id']}/download")
    assert pending.status_code == 409, pending.text
    assert pending.json()["code"] == "BACKUP_NOT_COMPLETED"
    assert pending.json()["detail"] == f"backup {backup['id']} is pending; nothing to download"
