import pytest


@pytest.mark.django_db
def test_the_shell_speaks_bahasa_indonesia(client, workspace_a, member):
    client.force_login(member(workspace_a).user)
    client.post("/i18n/setlang/", {"language": "id", "next": "/"})
    html = client.get("/").content.decode()
    assert 'lang="id"' in html
    assert "Keluar" in html  # Log out
    assert "Mendengarkan" in html  # Listening


@pytest.mark.django_db
def test_the_shell_speaks_english_by_default(client, workspace_a, member):
    client.force_login(member(workspace_a).user)
    html = client.get("/").content.decode()
    assert 'lang="en"' in html
    assert "Log out" in html
