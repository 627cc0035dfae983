"""Related rows loaded with a page's query, not one at a time (issue 28's N+1s).

`loads(model, ["firm", "person.firm"])` turns dotted many-to-one paths into SQLAlchemy
loader options — one extra statement per relationship for the whole page (selectin)
instead of one per row. Used by list views (the relationships their columns name) and by
the review centre (what each queue's title and firm read)."""
from sqlalchemy import inspect
from sqlalchemy.orm import selectinload


def relation_path(model, dotted: str) -> tuple:
    """The many-to-one relationship attributes a dotted name walks (`person.firm` →
    (X.person, Person.firm)), up to its first column or collection."""
    mapper, path = inspect(model), []
    for part in dotted.split("."):
        relation = mapper.relationships.get(part)
        if relation is None or relation.uselist:
            break
        path.append(relation.class_attribute)
        mapper = relation.mapper
    return tuple(path)


def option(path: tuple):
    """The selectin loader option for a path of relationship attributes."""
    loaded = selectinload(path[0])
    for step in path[1:]:
        loaded = loaded.selectinload(step)
    return loaded


def loads(model, dotted) -> list:
    """Loader options for the dotted many-to-one paths of `model` (unknown parts end a
    path; a path that names no relationship is left out)."""
    return [option(path) for path in dict.fromkeys(
        relation_path(model, name) for name in dotted) if path]
