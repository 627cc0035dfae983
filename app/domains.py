"""The business domains, in menu order. The factory loops over this list and nothing else:
adding a domain is one line here plus the domain's own modules (models/<name>.py,
workflows/<name>/, views/<name>.py, templates/<name>/, tests/<name>/, demo/<name>.py).

One declaration per domain: each `app/views/<name>` module declares its `DOMAIN`, the
whole of what the domain plugs into the platform, each item imported by name:

    DOMAIN = Domain(
        name="training", register=register, cli=None,
        permissions={STAFF: [...]},                     # what its roles hold, its menus
        audited={TrainingClass: {"updated_at"}},        # models the audit log records
        jobs=(waitlist.training_waitlist_offers,),      # functions decorated with @job
        import_kinds=(results_import.IMPORTER,),        # ImportKind instances
        file_owners={**classes.FILE_OWNERS},            # owner kind -> can_read(actor, id)
        answer_sources=(),                              # 智能客服 sources fn(question, terms)
        queues=(review.QUEUE,),                         # what waits on the institute (审核中心)
    )

Nothing registers itself when a module is imported: `@job` only describes its function,
an ImportKind is a plain object, a workflow module's FILE_OWNERS is a plain dict.
create_app loads the domains (`load()`) and registers every declaration, once, with
`install()` — the core's own (app/views/core `DOMAIN`) first. A name that two
declarations claim, or that a registry already holds for something else, stops the
start-up with a message naming both.
"""
import dataclasses
import importlib
from typing import Callable

DOMAINS = ("registry", "roster", "hours", "inhouse", "training", "registration", "applications",
           "learning", "messages", "help", "accounts", "operations", "channels", "review_centre")


@dataclasses.dataclass(frozen=True)
class Domain:
    name: str
    register: Callable
    # role -> [[view name (regex), permission (regex)], …]; menus as [label, "menu_access"]
    permissions: dict = dataclasses.field(default_factory=dict)
    # model -> columns never written to the audit log
    audited: dict = dataclasses.field(default_factory=dict)
    cli: Callable | None = None
    # functions decorated with @job (app/workflows/core/jobs.py)
    jobs: tuple = ()
    # ImportKind instances (app/workflows/core/importing/kinds.py)
    import_kinds: tuple = ()
    # owner kind -> can_read(actor, owner_id): who may download its files (core/files.py)
    file_owners: dict = dataclasses.field(default_factory=dict)
    # fn(question, terms) -> [Answer] | None, asked before the knowledge base (help/search.py)
    answer_sources: tuple = ()
    # [(hook, subscriber), …]: what this domain does when another module announces
    # something (app/workflows/core/hooks.py); connected by the factory, never on import
    hooks: tuple = ()
    # Queue instances (app/workflows/core/queues.py): what waits on the institute, read by
    # the review centre from the same query as the domain's own review list
    queues: tuple = ()
    # {role: {entry or category label: group}}: where this domain's menu entries sit in
    # that role's navbar (app/views/core/navigation.py; groups ordered by app.roles.MENU_ORDER)
    menus: dict = dataclasses.field(default_factory=dict)


def load() -> list[Domain]:
    domains = []
    for name in DOMAINS:
        domain = importlib.import_module(f"app.views.{name}").DOMAIN
        if domain.name != name:
            raise RuntimeError(f"app/views/{name}.py declares DOMAIN named {domain.name!r}")
        domains.append(domain)
    return domains


def _claims(domain: Domain):
    """(what, key, label) for everything `domain` registers, keyed as its registry is."""
    for model in domain.audited:
        yield "audited model", model, model.__name__
    for declared in domain.jobs:
        definition = getattr(declared, "job", None)
        if definition is None:
            raise RuntimeError(f"domain {domain.name!r} lists {declared!r} in jobs, "
                               "which is not decorated with @job")
        yield "job", definition.name, definition.name
    for kind in domain.import_kinds:
        yield "import kind", kind.name, kind.name
    for owner_kind in domain.file_owners:
        yield "file owner kind", owner_kind, owner_kind
    for source in domain.answer_sources:
        label = f"{source.__module__}.{source.__qualname__}"
        yield "answer source", label, label
    for queue in domain.queues:
        yield "review queue", queue.name, queue.name


def check(domains: list[Domain]) -> None:
    """Refuse a name that two declarations claim (or one claims twice)."""
    seen = {}
    for domain in domains:
        for what, key, label in _claims(domain):
            if (what, key) in seen:
                raise RuntimeError(f"{what} {label!r} is declared twice: by domain "
                                   f"{seen[what, key]!r} and by domain {domain.name!r}")
            seen[what, key] = domain.name


def install(domains: list[Domain]) -> None:
    """Register every declaration of `domains` in the registries the workflows read.

    Called by create_app, once per app; the same declarations again (a second app in one
    process, as the tests make) change nothing, while a registry entry of the same name
    for another object is refused by the registry itself.
    """
    from app.views.core import navigation
    from app.workflows.core import audit, files, jobs, queues
    from app.workflows.core.importing import kinds
    from app.workflows.help import search

    check(domains)
    for domain in domains:
        for model, excluded in domain.audited.items():
            audit.register_audited(model, excluded)
        for definition in domain.jobs:
            jobs.register(definition)
        for kind in domain.import_kinds:
            kinds.register_kind(kind)
        for owner_kind, can_read in domain.file_owners.items():
            files.register_owner(owner_kind, can_read)
        for source in domain.answer_sources:
            search.register_answer_source(source)
        for queue in domain.queues:
            queues.register(queue)
        navigation.register(domain.menus, domain.name)
