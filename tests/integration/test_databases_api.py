"""Database configurations through the gateway and the catalog."""

SERVER = {
    "name": "pg",
    "engine_type": "postgresql",
    "host": "pg.internal",
    "port": 5433,
    "credentials": {"username": "backup", "password": "server-secret"},
}
OWN = {
    "name": "Orders",
    "database_type": "postgresql",
    "host": "db.internal",
    "port": 5432,
    "database_name": "orders",
    "username": "backup",
    "password": "db-secret",
}


async def test_a_database_with_its_own_credentials_round_trips_without_its_password(api):
    created = await api.post("/databases", json={**OWN, "tags": {"team": "shop"}, "compression": False})
    assert created.status_code == 201, created.text
    database = created.json()["database"]
    assert created.json()["message"] == "Database configuration created"
    assert database["has_password"] and database["compression"] == "none"
    assert "db-secret" not in created.text and "password" not in database
    listed = (await api.get("/databases")).json()
    assert (listed["count"], listed["total"], listed["has_more"]) == (1, 1, False)
    got = (await api.get(f"/databases/{database['id']}")).json()["database"]
    assert got["database_name"] == "orders" and got["tags"] == {"team": "shop"}


async def test_engine_credentials_inherit_the_server_and_deleting_the_server_needs_cascade(api):
    server = (await api.post("/servers", json=SERVER)).json()
    body = {
        "name": "Inventory",
        "database_type": "postgresql",
        "engine_id": server["id"],
        "use_engine_credentials": True,
        "database_name": "inventory",
    }
    database = (await api.post("/databases", json=body)).json()["database"]
    assert (database["host"], database["port"], database["engine_name"]) == ("pg.internal", 5433, "pg")
    assert (await api.get(f"/servers/{server['id']}")).json()["database_count"] == 1
    refused = await api.delete(f"/servers/{server['id']}")
    assert refused.status_code == 409 and "delete_databases" in refused.json()["detail"]
    cascade = await api.delete(f"/servers/{server['id']}", params={"delete_databases": "true"})
    assert cascade.status_code == 200 and cascade.json()["databases_deleted"] == 1
    assert (await api.get(f"/databases/{database['id']}")).status_code == 404


async def test_filters_search_and_pagination(api):
    for n in range(5):
        await api.post(
            "/databases", json={**OWN, "name": f"db{n}", "database_name": f"app{n}", "enabled": n % 2 == 0}
        )
    await api.post(
        "/databases", json={"name": "cache", "database_type": "redis", "host": "r", "database_name": "0"}
    )
    page = (await api.get("/databases", params={"limit": 2, "offset": 2})).json()
    assert (page["count"], page["total"], page["has_more"]) == (2, 6, True)
    assert (await api.get("/databases", params={"enabled_only": "true"})).json()["total"] == 4
    assert [
        d["name"] for d in (await api.get("/databases", params={"type": "redis"})).json()["databases"]
    ] == ["cache"]
    assert (await api.get("/databases", params={"search": "app3"})).json()["total"] == 1


async def test_rules_are_enforced_and_nothing_is_stored(api):
    cases = [
        ({**OWN, "password": None}, "password"),
        ({**OWN, "username": None}, "username"),
        ({**OWN, "use_engine_credentials": True}, "engine_id"),
        ({**OWN, "engine_id": 9999}, "engine_id"),
        ({**OWN, "host": None}, "host"),
        ({**OWN, "database_type": "oracle"}, "database_type"),
    ]
    for body, field in cases:
        reply = await api.post("/databases", json=body)
        assert reply.status_code == 422, (field, reply.text)
        assert field in reply.json()["detail"], (field, reply.text)
    server = (await api.post("/servers", json={**SERVER, "engine_type": "redis", "credentials": None})).json()
    mismatch = await api.post("/databases", json={**OWN, "engine_id": server["id"]})
    assert mismatch.status_code == 422 and "database_type" in mismatch.json()["detail"]
    assert (await api.get("/databases")).json()["total"] == 0
    created = (await api.post("/databases", json=OWN)).json()["database"]
    assert (await api.post("/databases", json=OWN)).status_code == 409
    cleared = await api.put(f"/databases/{created['id']}", json={"username": None})
    assert cleared.status_code == 422 and "username" in cleared.json()["detail"]
    renamed = await api.put(f"/databases/{created['id']}", json={"name": "Orders v2", "enabled": False})
    assert renamed.status_code == 200 and renamed.json()["database"]["enabled"] is False
    deleted = await api.delete(f"/databases/{created['id']}")
    assert deleted.status_code == 200 and "Orders v2" in deleted.json()["message"]
