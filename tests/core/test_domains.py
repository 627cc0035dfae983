"""One declaration per domain (issue 25, item 7): everything a domain plugs in — jobs, import
kinds, file-owner policies, 智能客服 answer sources, audited models — is listed in its
DOMAIN and registered by create_app; importing a module registers nothing, and a name two
declarations claim stops the start-up."""
import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

from app import domains
from app.domains import Domain
from app.workflows.core import audit, files, jobs, queues
from app.workflows.core.importing import kinds
from app.workflows.help import search

ROOT = Path(__file__).resolve().parents[2]

_IMPORT_EVERYTHING = """
import importlib, json, pkgutil
import app.views, app.workflows
for package in (app.workflows, app.views):
    for module in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
        importlib.import_module(module.name)
from app.workflows.core import audit, files, jobs, queues
from app.workflows.core.importing import kinds
from app.workflows.help import search
print(json.dumps({"jobs": sorted(jobs.JOBS), "import kinds": sorted(kinds.KINDS),
                  "file owners": sorted(files.READERS), "queues": sorted(queues.QUEUES),
                  "answer sources": [s.__qualname__ for s in search._answer_sources],
                  "audited": sorted(m.__name__ for m in audit.AUDITED)}))
"""


def test_importing_every_module_registers_nothing():
    """A fresh interpreter imports every workflow and view module (DOMAIN declarations
    included) without building an app: every registry is still empty."""
    done = subprocess.run([sys.executable, "-c", _IMPORT_EVERYTHING], cwd=ROOT,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    registries = json.loads(done.stdout.strip().splitlines()[-1])
    assert registries == {"jobs": [], "import kinds": [], "file owners": [], "queues": [],
                          "answer sources": [], "audited": []}


def _workflow_modules():
    import app.workflows as package

    return [importlib.import_module(m.name)
            for m in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}.")]


def test_everything_a_workflow_defines_is_declared_by_a_domain(app):
    """Nothing defined is forgotten: every @job function, every ImportKind instance and
    every FILE_OWNERS policy of a workflow module is registered by the app."""
    for module in _workflow_modules():
        for name, value in vars(module).items():
            if getattr(value, "__module__", None) != module.__name__ and not isinstance(
                    value, kinds.ImportKind):
                continue
            definition = getattr(value, "job", None)
            if isinstance(definition, jobs.Job):
                assert jobs.JOBS.get(definition.name) is definition, \
                    f"{module.__name__}.{name} is a job no DOMAIN lists"
            if isinstance(value, kinds.ImportKind) and type(value).__module__ == module.__name__:
                assert kinds.KINDS.get(value.name) is value, \
                    f"{module.__name__}.{name} is an import kind no DOMAIN lists"
        for owner_kind, can_read in getattr(module, "FILE_OWNERS", {}).items():
            assert files.READERS.get(owner_kind) is can_read, \
                f"{module.__name__}.FILE_OWNERS[{owner_kind!r}] is listed by no DOMAIN"
        for queue in getattr(module, "QUEUES", ()):
            if isinstance(queue, queues.Queue):
                assert queues.QUEUES.get(queue.name) is queue, \
                    f"{module.__name__}.QUEUES[{queue.name!r}] is listed by no DOMAIN"
    from app.workflows.registration import help_source

    assert help_source.answer in search._answer_sources


def _job(name):
    return jobs.job(name, "interval:60")(lambda now: None)


def _noop(appbuilder, app):
    return None


@pytest.mark.parametrize("field, first, second, message", [
    ("jobs", (_job("twice"),), (_job("twice"),), "job 'twice' is declared twice"),
    ("file_owners", {"twice": lambda a, i: True}, {"twice": lambda a, i: False},
     "file owner kind 'twice' is declared twice"),
])
def test_a_name_two_domains_declare_is_refused(field, first, second, message):
    one = Domain("one", register=_noop, **{field: first})
    other = Domain("other", register=_noop, **{field: second})
    with pytest.raises(RuntimeError) as refused:
        domains.check([one, other])
    assert message in str(refused.value)
    assert "'one'" in str(refused.value) and "'other'" in str(refused.value)


def test_an_import_kind_two_domains_declare_is_refused():
    class Twice(kinds.ImportKind):
        name = "twice"

    with pytest.raises(RuntimeError, match="import kind 'twice' is declared twice"):
        domains.check([Domain("one", register=_noop, import_kinds=(Twice(),)),
                       Domain("other", register=_noop, import_kinds=(Twice(),))])


def test_start_up_stops_when_two_domains_claim_a_name(test_config, monkeypatch):
    """create_app itself refuses: 'learning' lists registry's job as well."""
    from app import create_app

    real = domains.load()
    registry = next(d for d in real if d.name == "registry")
    learning = next(d for d in real if d.name == "learning")
    claimed = Domain(**{**{f: getattr(learning, f) for f in learning.__dataclass_fields__},
                        "jobs": learning.jobs + registry.jobs})
    monkeypatch.setattr(domains, "load",
                        lambda: [claimed if d.name == "learning" else d for d in real])
    with pytest.raises(RuntimeError, match="job 'expire_transfers' is declared twice: "
                                           "by domain 'registry' and by domain 'learning'"):
        create_app(test_config, pages=False)


def test_a_registry_refuses_another_object_under_a_taken_name(app):
    """Registering the same object again (a second app in one process) changes nothing;
    another object under a name already registered is refused by the registry."""
    mail_job = jobs.JOBS["deliver_outbox"]
    assert jobs.register(mail_job) is mail_job
    with pytest.raises(RuntimeError, match="job 'deliver_outbox' is registered twice"):
        jobs.register(jobs.job("deliver_outbox", "interval:30")(lambda now: None))
    staff = kinds.KINDS["staff"]
    assert kinds.register_kind(staff) is staff
    with pytest.raises(RuntimeError, match="import kind 'staff' is registered twice"):
        kinds.register_kind(type(staff)())
    policy = files.READERS["import_batch"]
    files.register_owner("import_batch", policy)
    with pytest.raises(RuntimeError, match="file owner kind 'import_batch' has two read"):
        files.register_owner("import_batch", lambda actor, owner_id: True)
    assert files.READERS["import_batch"] is policy and jobs.JOBS["deliver_outbox"] is mail_job
    with pytest.raises(TypeError, match="not a job"):
        jobs.register(lambda now: None)
    assert audit.AUDITED  # the domains' audited models are registered by the same call
