"""The image and compose.yaml for real (issue 27): the Dockerfile built on a locally made Debian
base, the compose stack started on stand-ins for the postgres and redis images (built here
from the same base: no image registry is reachable), a person enrolled and a photo recognised
through the API, the stack stopped and started with the person still there.

Skips, with its reason, only where no Docker daemon can run. Slow (the image's pip install):
the build's time and the image's size are printed (`pytest -s`)."""

import os
import uuid

import pytest
import requests

from tests.docker_stack import REPO, Project, build, build_faceapp, compose_command, daemon_ready, docker
from tests.faces_data import FIXTURES
from tests.streams import free_port
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(1800)  # a cold build: the base, pip's downloads, the stand-ins

STACK_DEADLINE = 300  # seconds for the stack to come up: a deadline for slow machines, not a timing assertion
ADMIN_CREATED = "Created the admin account: user 'admin', password "
ROLES = ["web", "worker", "live", "readers", "beat"]
# Settings through the env file, as a user's .env: the API waits for the workers long enough here.
ENV_FILE = "FACEAPP_API_WAIT_SECONDS=60\n"


class Api:
    def __init__(self, port: int, token: str):
        self.url = f"http://127.0.0.1:{port}"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.url + path, timeout=30)

    def enrol(self, name: str, photo: str) -> requests.Response:
        files = [("photos", (photo, (FIXTURES / photo).read_bytes(), "image/jpeg"))]
        return self.session.post(self.url + "/api/people/", data={"name": name, "consent": "true"}, files=files,
                                 timeout=120)  # fmt: skip

    def recognised(self, photo: str) -> list[str]:
        """The names of the faces recognised in a fixture photo."""
        files = {"image": (photo, (FIXTURES / photo).read_bytes(), "image/jpeg")}
        result = self.session.post(self.url + "/api/recognize/", files=files, timeout=120).json()
        if "status_url" in result:  # still processing after the wait
            result = wait_until(lambda: self._finished(result["status_url"]), "the recognition", poll=1)
        return [face["person"]["name"] for face in result["faces"] if face["person"]]

    def _finished(self, status_url: str) -> dict | None:
        result = self.session.get(status_url, timeout=30).json()
        return None if "status_url" in result else result

    def people(self) -> list[str]:
        return [person["name"] for person in self.get("/api/people/?limit=500").json()["results"]]

    def health(self) -> dict | None:
        try:
            response = self.get("/healthz")
        except requests.ConnectionError:
            return None
        return response.json() if response.status_code == 200 else None


def _images() -> dict[str, str]:
    faceapp = build_faceapp("faceapp-test:latest")
    print(f"\nfaceapp image: built in {faceapp.seconds:.0f} s, {faceapp.size_bytes / 1e9:.2f} GB")
    postgres = build("faceapp-test-postgres:15", REPO / "tests" / "docker" / "postgres")
    redis = build("faceapp-test-redis:7", REPO / "tests" / "docker" / "redis")
    return {"FACEAPP_IMAGE": faceapp.tag, "FACEAPP_POSTGRES_IMAGE": postgres.tag, "FACEAPP_REDIS_IMAGE": redis.tag}


def _healthy(api: Api) -> dict:
    """/healthz's report once every check passes, the web and live workers among them."""

    def report():
        found = api.health()
        return found if found and {"worker", "live"} <= {w.split("@")[0] for w in found["workers"]["detail"]} else None

    return wait_until(report, "/healthz 200 with the workers", deadline=STACK_DEADLINE, poll=2)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    daemon = daemon_ready()
    tmp = tmp_path_factory.mktemp("docker")
    (tmp / "env").write_text(ENV_FILE)
    port = free_port()
    env = {**os.environ, **_images(), "FACEAPP_ENV_FILE": str(tmp / "env"), "FACEAPP_PORT": str(port)}
    project = Project(command=compose_command(), name=f"faceapp-test-{uuid.uuid4().hex[:8]}", env=env)
    try:
        project("up", "--detach", "--no-build")
        wait_until(lambda: ADMIN_CREATED in project.logs("migrate"), "the admin's password", deadline=STACK_DEADLINE)
        token = project("exec", "-T", "web", "python3", "manage.py", "api_token", "admin").stdout.strip()
        yield project, Api(port, token)
    finally:
        project("down", "--volumes", "--remove-orphans", check=False)
        if daemon:
            daemon.terminate()
            daemon.wait(timeout=60)


def test_it_runs_as_a_non_root_user_without_compilers(stack):
    project, _ = stack
    image = project.env["FACEAPP_IMAGE"]
    assert docker("run", "--rm", image, "id", "-u").stdout.strip() == "10001"
    compilers = docker("run", "--rm", image, "sh", "-c", "command -v gcc cc c++ || true").stdout
    assert compilers.strip() == ""


def test_it_prints_the_first_admin_password_in_the_migrate_log(stack):
    project, api = stack
    password = project.logs("migrate").split(ADMIN_CREATED, 1)[1].split()[0]
    signed_in = requests.Session()
    signed_in.get(api.url + "/accounts/login/", timeout=30)
    response = signed_in.post(api.url + "/accounts/login/", data={"username": "admin", "password": password,
                              "csrfmiddlewaretoken": signed_in.cookies["csrftoken"]}, allow_redirects=False,
                              timeout=30)  # fmt: skip
    assert response.status_code == 302 and "sessionid" in signed_in.cookies


def test_it_answers_healthz_with_its_workers_and_every_role_running(stack):
    project, api = stack
    report = _healthy(api)
    assert all(report[check]["ok"] for check in ("database", "broker", "workers", "models"))
    assert report["database"]["detail"] == "postgresql" and report["broker"]["detail"] == "redis"
    running = project("ps", "--services", "--filter", "status=running").stdout.split()
    assert set(ROLES) <= set(running)


def test_it_enrols_and_recognises_through_the_api(stack):
    _, api = stack
    _healthy(api)
    enrolled = api.enrol("Aaron Peirsol", "lfw_person_a_1.jpg")
    assert enrolled.status_code == 201, enrolled.text
    assert api.recognised("lfw_person_a_2.jpg") == ["Aaron Peirsol"]


def test_it_keeps_the_person_across_a_stop_and_start(stack):
    project, api = stack
    _healthy(api)
    assert api.enrol("Colin Powell", "e2e/Colin_Powell_0001.jpg").status_code == 201
    project("stop")
    project("start")
    _healthy(api)
    assert "Colin Powell" in api.people()
    assert api.recognised("e2e/Colin_Powell_0002.jpg") == ["Colin Powell"]
    assert project.logs("migrate").count(ADMIN_CREATED) == 1  # migrate ran again, and made no second admin
