"""The Docker side of tests/test_docker_image.py: a daemon (started here as root where Debian's
docker.io is installed and none runs), a local Debian base image (debootstrap, where no image
registry is reachable), images built from the repository, and compose projects."""

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

REPO = Path(settings.BASE_DIR)
BASE_IMAGE = "faceapp-base:bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
# What the Dockerfile and the stand-ins need of a base: python3 and its venv module (the official
# python images have them), CA certificates for pip.
BASE_PACKAGES = "python3,python3-venv,ca-certificates"
BUILD_CA = ".build-ca.pem"  # in the build context while a build runs (.gitignore'd)
HOST_CA = Path(os.environ.get("PIP_CERT") or "/etc/ssl/certs/ca-certificates.crt")
DAEMON_DEADLINE = 60  # seconds: a deadline for slow machines, not a timing assertion
BUILD_DEADLINE = 900


def docker(*args: str, timeout: float = 120, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and done.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def _daemon_answers() -> bool:
    return docker("info", timeout=30, check=False).returncode == 0


def daemon_ready() -> subprocess.Popen | None:
    """A Docker daemon that answers; the one started here (to stop after), or None. Skips, with
    its reason, where none can start."""
    if not shutil.which("docker"):
        pytest.skip("no docker client: apt-get install docker.io")
    if _daemon_answers():
        return None
    if os.geteuid() != 0 or not shutil.which("dockerd"):
        pytest.skip("the Docker daemon does not answer, and cannot be started here (needs root and dockerd)")
    log = open(Path(tempfile.gettempdir()) / "faceapp-test-dockerd.log", "w")  # noqa: SIM115  (the daemon's)
    daemon = subprocess.Popen(["dockerd"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    give_up = time.monotonic() + DAEMON_DEADLINE
    while time.monotonic() < give_up and daemon.poll() is None:
        if _daemon_answers():
            return daemon
        time.sleep(1)
    daemon.terminate()
    daemon.wait(timeout=30)
    pytest.skip(f"dockerd did not start (see {log.name})")


def compose_command() -> list[str]:
    """docker-compose (v1, Debian bookworm's) or the docker compose plugin (v2): compose.yaml is for both."""
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if docker("compose", "version", check=False).returncode == 0:
        return ["docker", "compose"]
    pytest.skip("neither docker-compose nor the docker compose plugin: apt-get install docker-compose")


def _image_id(tag: str) -> str | None:
    done = docker("image", "inspect", "--format", "{{.Id}}", tag, check=False)
    return done.stdout.strip() if done.returncode == 0 else None


def base_image() -> str:
    """The local Debian base (made once, then reused): debootstrap's minimal bookworm with python3."""
    if _image_id(BASE_IMAGE):
        return BASE_IMAGE
    if os.geteuid() != 0 or not shutil.which("debootstrap"):
        pytest.skip(f"no {BASE_IMAGE} image, and debootstrap cannot run here (needs root): apt-get install debootstrap")
    with tempfile.TemporaryDirectory(prefix="faceapp-rootfs-") as rootfs:
        subprocess.run(["debootstrap", "--variant=minbase", f"--include={BASE_PACKAGES}", "bookworm", rootfs,
                        DEBIAN_MIRROR], check=True, capture_output=True, timeout=BUILD_DEADLINE)  # fmt: skip
        tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
        docker("import", "-", BASE_IMAGE, stdin=tar.stdout, timeout=BUILD_DEADLINE)
        assert tar.wait() == 0
    return BASE_IMAGE


@dataclass
class Built:
    tag: str
    seconds: float
    size_bytes: int


def build(tag: str, context: Path, *build_args: str) -> Built:
    """Build `context`'s Dockerfile on the local base; the tag's previous image is removed (no
    dangling image left per run)."""
    previous = _image_id(tag)
    args = ["--build-arg", f"BASE={base_image()}"]
    for build_arg in build_args:
        args += ["--build-arg", build_arg]
    started = time.monotonic()
    # --network host: containers here reach the package registries only through the host's network.
    docker("build", "--network", "host", "--quiet", *args, "--tag", tag, str(context), timeout=BUILD_DEADLINE)
    seconds = time.monotonic() - started
    if previous and previous != _image_id(tag):
        docker("rmi", previous, check=False)
    size = int(docker("image", "inspect", "--format", "{{.Size}}", tag).stdout)
    return Built(tag=tag, seconds=seconds, size_bytes=size)


def build_faceapp(tag: str) -> Built:
    """The repository's Dockerfile, with the host's CA bundle for pip (a TLS-intercepting proxy's
    CA where one sits before the registries; the system's CAs elsewhere)."""
    if not HOST_CA.is_file():
        return build(tag, REPO)
    shutil.copyfile(HOST_CA, REPO / BUILD_CA)
    try:
        return build(tag, REPO, f"PIP_CA={BUILD_CA}")
    finally:
        (REPO / BUILD_CA).unlink()


@dataclass
class Project:
    """One compose project of compose.yaml, named for this run, with its environment."""

    command: list[str]
    name: str
    env: dict[str, str]

    def __call__(self, *args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([*self.command, "--project-name", self.name, "--file", str(REPO / "compose.yaml"),
                               *args], cwd=REPO, env=self.env, capture_output=True, text=True,
                              timeout=timeout)  # fmt: skip
        if check and done.returncode != 0:
            raise AssertionError(f"compose {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done

    def logs(self, service: str) -> str:
        return self("logs", "--no-color", service).stdout
