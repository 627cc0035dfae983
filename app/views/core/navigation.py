"""The navbar each role sees, in the manuals' order and words (issue 26).

FAB keeps one menu tree: each domain adds its entries under its own category (its
`register`). A role's navbar regroups them: a domain declares, in its `Domain(...,
menus={ROLE: {entry or category: group}})`, where its entries sit for that role — the
firm admin's 网络学习 pages under 信息查询 (the manual's 「查询本事务所学员…学习情况」), a
member's 学时 pages under 继续教育 (its manual's module), staff's CPE pages together under
继续教育 — and the groups are ordered as `app.roles.MENU_ORDER` says. A group with one
entry of its own name is a plain link (消息中心); a group holding entries of several
categories shows each category as a header. `RIGHT_GROUPS` sit on the right, beside the
account menu. Who may see an entry is unchanged: FAB's permission and `only_for`, on the
entry and on its own category (app/views/core/visibility.py).
"""
import dataclasses

from flask import g, has_request_context, request
from flask_babel import get_locale
from jinja2 import pass_context
from markupsafe import Markup

from app.roles import ADMIN, FIRM_ADMIN, MEMBER, MENU_HELP, MENU_ORDER, STAFF
from app.views.core.scoping import current_user
from app.views.core.visibility import shown

RIGHT_GROUPS = (MENU_HELP,)
# whose placements a user follows, first found first (Admin: its own, then staff's)
ROLE_ORDER = {ADMIN: (ADMIN, STAFF), STAFF: (STAFF,), FIRM_ADMIN: (FIRM_ADMIN,),
              MEMBER: (MEMBER,)}

_PLACEMENTS: dict[str, dict[str, str]] = {}


def register(menus: dict, domain: str) -> None:
    """A domain's `menus` ({role: {entry or category label: group}}); the same label placed
    in two groups for one role is refused, naming the domain."""
    for role, placed in menus.items():
        known = _PLACEMENTS.setdefault(role, {})
        for label, group in placed.items():
            if known.get(label, group) != group:
                raise RuntimeError(f"menu entry {label!r} is placed twice for {role}: under "
                                   f"{known[label]!r} and (domain {domain!r}) under {group!r}")
            known[label] = group


@dataclasses.dataclass
class Section:
    header: str           # "" under the group's own name, else the entries' own category
    items: list


@dataclasses.dataclass
class Top:
    name: str             # the group (a shared label, or a FAB category's name)
    label: str            # what the navbar shows (translated in the template)
    sections: list        # [Section]
    right: bool = False

    @property
    def link(self):
        """The entry itself when the group is a plain link (审核中心, a firm's 消息中心)."""
        items = [i for s in self.sections for i in s.items]
        if len(items) == 1 and items[0].name == self.name:
            return items[0]
        return None


def _placements(user) -> list[dict]:
    roles = {r.name for r in (getattr(user, "roles", None) or [])}
    chain = [r for role in (ADMIN, STAFF, FIRM_ADMIN, MEMBER) if role in roles
             for r in ROLE_ORDER[role]]
    return [_PLACEMENTS.get(role, {}) for role in dict.fromkeys(chain)]


def _group_of(placements, item_name: str, category: str | None) -> tuple[str, str]:
    """(group, section): an entry placed by its own name joins the group's own entries; a
    whole category placed in another group is a section under its own header."""
    for placed in placements:
        if item_name in placed:
            return placed[item_name], ""
        if category and category in placed:
            group = placed[category]
            return group, "" if group == category else category
    return category or item_name, ""


def _rank(name: str, label: str) -> int:
    for key in (name, label):
        if key in MENU_ORDER:
            return MENU_ORDER.index(key)
    return len(MENU_ORDER)


def build(menu, visible, user) -> list[Top]:
    """The navbar of `user`: FAB's entries that `visible(item)` passes (on the entry and on
    its own category), regrouped and ordered for its role."""
    placements = _placements(user)
    groups: dict[str, dict[str, list]] = {}
    labels: dict[str, str] = {}
    for top in menu.get_list():
        labels.setdefault(top.name, top.label or top.name)
        if top.childs:
            if not visible(top):
                continue
            entries = [(child, top.name) for child in top.childs
                       if child and child.name != "-" and visible(child)]
        else:
            entries = [(top, None)] if visible(top) else []
        for item, category in entries:
            group, section = _group_of(placements, item.name, category)
            groups.setdefault(group, {}).setdefault(section, []).append(item)
    order = list(groups)
    result = []
    for group in sorted(order, key=lambda g: (_rank(g, labels.get(g, g)), order.index(g))):
        sections = groups[group]
        names = sorted(sections, key=lambda s: (s != "", _rank(s, labels.get(s, s))))
        result.append(Top(name=group, label=labels.get(group, group),
                          sections=[Section(labels.get(s, s) if s else "", sections[s])
                                    for s in names],
                          right=group in RIGHT_GROUPS))
    return result


class _Kept(dict):
    """A bounded dict: emptied when full (a few roles make a few keys; a key per edit of a
    role's permissions is what could grow it)."""

    LIMIT = 256

    def keep(self, key, value):
        if len(self) >= self.LIMIT:
            self.clear()
        self[key] = value
        return value


@dataclasses.dataclass
class MenuHtml:
    left: Markup
    right: Markup


def install(app, appbuilder) -> None:
    """`navigation()` in templates: the signed-in user's navbar, built once per request;
    `navigation_html()`: its entries drawn.

    Building it asks FAB about every menu entry (about 75 checks) and drawing it translates
    and links every label: two thirds of a simple page's time. Both are kept across
    requests under what they are made of — the permitted entries under the request's
    `access_signature()` (the roles' permission pairs as the database gives them to this
    request: an edited role reads differently at once), the drawn entries under the
    entries shown (after each entry's `only_for` rule, asked per request), the language,
    the application root and the unread count — so nothing shown can differ from a fresh
    build. PERMISSION_MEMO = False builds and draws afresh on every page."""
    permitted_names, drawn = _Kept(), _Kept()
    sm = appbuilder.sm

    def kept() -> bool:
        return has_request_context() and app.config.get("PERMISSION_MEMO", True)

    def navigation() -> list[Top]:
        if has_request_context() and "_navigation" in g.__dict__:
            return g._navigation
        if kept():
            signature = sm.access_signature()
            names = permitted_names.get(signature)
            if names is None:
                permitted = app.jinja_env.filters["is_menu_permitted"]
                names = permitted_names.keep(signature, frozenset(
                    item.name for top in appbuilder.menu.get_list()
                    for item in (top, *(top.childs or ())) if item and permitted(item)))

            def visible(item):
                return item.name in names and shown(item.name)
        else:
            visible = app.jinja_env.filters["is_menu_visible"]
        built = build(appbuilder.menu, visible, current_user())
        if has_request_context():
            g._navigation = built
        return built

    @pass_context
    def navigation_html(context) -> MenuHtml:
        tops = navigation()
        unread = context.get("message_unread")
        unread_total = unread.total if unread is not None else 0
        message_menu = context.get("message_menu")
        key = (tuple((t.name, t.label, t.right, tuple((s.header, tuple(i.name for i in s.items))
                                                     for s in t.sections)) for t in tops),
               str(get_locale()), request.script_root, unread_total,
               tuple(sorted(message_menu.items())) if message_menu else None)
        found = drawn.get(key) if kept() else None
        if found is None:
            template = app.jinja_env.get_template("appbuilder/navbar_menu.html")
            values = {"tops": tops, "unread_total": unread_total}
            if message_menu is not None:
                values["message_menu"] = message_menu
            found = MenuHtml(*(Markup(template.render(side=side, **values))
                               for side in (False, True)))
            if kept():
                drawn.keep(key, found)
        return found

    app.jinja_env.globals["navigation"] = navigation
    app.jinja_env.globals["navigation_html"] = navigation_html
