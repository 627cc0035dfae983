"""Security manager: FAB's, with Alembic owning the schema."""
import logging

from flask import current_app, g, has_request_context
from flask_jwt_extended import current_user as current_user_jwt
from flask_login import current_user
from flask_appbuilder.security.sqla.manager import SecurityManager as SQLASecurityManager
from flask_appbuilder.security.sqla.models import assoc_permissionview_role
from sqlalchemy import inspect

log = logging.getLogger(__name__)


from app.views.core import security as views  # noqa: E402


def _memoised() -> bool:
    """Inside a request, and not switched off (PERMISSION_MEMO = False: FAB's own checks
    on every call, which `python -m bench.pages` measures beside these)."""
    return has_request_context() and current_app.config.get("PERMISSION_MEMO", True)


def _identity():
    """Who the current request acts as, for remembering access answers within it: the
    flask-login user, FAB's g.user, an API key's or a JWT's user (the objects themselves,
    which the request keeps alive)."""
    jwt = g.get("_jwt_extended_jwt_user")  # set once flask_jwt_extended has loaded a user
    return (id(g.get("_login_user")), id(g.get("user")), bool(g.get("_api_key_user", False)),
            id(jwt["loaded_user"]) if jwt else None)


class SecurityManager(SQLASecurityManager):
    """FAB's SQLA security manager, minus `create_all`.

    FAB's `create_db` creates every table it knows at start-up, which hides our
    models from Alembic. Here the schema comes only from `flask db upgrade`, and the
    built-in roles (FAB_ROLES) and Admin/Public are seeded by `seed_roles`, which
    `flask db upgrade` runs (app.sync_permissions) — not at every start, where FAB's
    create_db would look up every built-in permission (about 60 queries) each time a
    CLI command or a worker starts.
    """

    # 用户权限 in Chinese (app/views/core/security.py)
    userdbmodelview = views.UserView
    rolemodelview = views.RoleView
    groupmodelview = views.GroupView
    permissionmodelview = views.PermissionNamesView
    viewmenumodelview = views.ViewNamesView
    permissionviewmodelview = views.PermissionOnViewsView
    userstatschartview = views.UserStatsView
    authdbview = views.AuthDBView

    @property
    def is_auth_limited(self) -> bool:
        """FAB would limit the login blueprint per address only (an office behind one
        address would share 10 attempts a minute); app/views/hardening.py limits both
        login doors per account and per address instead."""
        return False

    def has_access(self, permission_name: str, view_name: str) -> bool:
        """FAB's check, remembered for the rest of the request: a page asks about the same
        menu items and buttons about 75 times (each a walk over the user's roles, and for
        an anonymous visitor a query of the public role's permissions). The answer is kept
        per signed-in identity, so signing in or out during a request asks again."""
        if not _memoised():
            return super().has_access(permission_name, view_name)
        key = (_identity(), permission_name, view_name)
        cache = g.__dict__.setdefault("_has_access", {})
        if key not in cache:
            cache[key] = super().has_access(permission_name, view_name)
        return cache[key]

    def _has_view_access(self, user, permission_name: str, view_name: str) -> bool:
        """FAB's check for `user`, remembered for the rest of the request (see has_access)."""
        if not _memoised():
            return super()._has_view_access(user, permission_name, view_name)
        key = (id(user), getattr(user, "id", None), permission_name, view_name)
        cache = g.__dict__.setdefault("_has_view_access", {})
        if key not in cache:
            cache[key] = super()._has_view_access(user, permission_name, view_name)
        return cache[key]

    def get_user_roles(self, user):
        """FAB builds the user's roles (own and through groups) on every check; here once
        per request and user."""
        if not _memoised() or not user.is_authenticated:
            return super().get_user_roles(user)
        cache = g.__dict__.setdefault("_user_roles", {})
        if id(user) not in cache:
            cache[id(user)] = (user, super().get_user_roles(user))  # keeps `user` alive
        return cache[id(user)][1]

    def is_item_public(self, permission_name: str, view_name: str) -> bool:
        """FAB reads the public role's permissions from the database on every check (two
        queries each, a dozen checks on the login page); here once per request."""
        if not _memoised():
            return super().is_item_public(permission_name, view_name)
        return (view_name, permission_name) in self._public_pairs()

    def _public_pairs(self) -> frozenset:
        """The public role's (view, permission) pairs, read once per request."""
        public = g.get("_public_permissions")
        if public is None:
            public = g._public_permissions = frozenset(
                (p.view_menu.name, p.permission.name) for p in self.get_public_permissions())
        return public

    def _has_access_builtin_roles(self, role, permission_name: str, view_name: str) -> bool:
        """FAB matches every regular expression of a built-in role (FAB_ROLES, fixed at
        start) on each check; the answer depends only on the three names: remember it."""
        if not _memoised():
            return super()._has_access_builtin_roles(role, permission_name, view_name)
        key = (role.name, permission_name, view_name)
        cache = self.__dict__.setdefault("_builtin_access_cache", {})
        if key not in cache:
            cache[key] = super()._has_access_builtin_roles(role, permission_name, view_name)
        return cache[key]

    def exist_permission_on_roles(self, view_name, permission_name, role_ids) -> bool:
        """FAB asks the database once per check, and a page's menu alone checks about 30
        items; here the roles' (view, permission) pairs are read once per request."""
        if not _memoised():
            return super().exist_permission_on_roles(view_name, permission_name, role_ids)
        return (view_name, permission_name) in self._role_pairs(role_ids)

    def _role_pairs(self, role_ids) -> frozenset:
        """The (view, permission) pairs of the database roles `role_ids`, read once per
        request."""
        cache = g.__dict__.setdefault("_role_permissions", {})
        key = tuple(sorted(role_ids))
        if key not in cache:
            pv, perm, view = self.permissionview_model, self.permission_model, self.viewmenu_model
            rows = (self.session.query(view.name, perm.name)
                    .select_from(pv)
                    .join(assoc_permissionview_role,
                          pv.id == assoc_permissionview_role.c.permission_view_id)
                    .join(perm, perm.id == pv.permission_id)
                    .join(view, view.id == pv.view_menu_id)
                    .filter(assoc_permissionview_role.c.role_id.in_(key)))
            cache[key] = frozenset((v, p) for v, p in rows)
        return cache[key]

    def access_signature(self):
        """Everything `has_access` answers from for this request's identity, as one hashable
        value: the built-in roles' names and the database roles' (view, permission) pairs of
        the user FAB's `has_access` would check (an API key's, the signed-in one's, a JWT's —
        the same branches in the same order), or the public role's pairs. Two requests with
        equal signatures get the same answer to every `has_access(…)`, so what is derived
        from those answers alone (the navbar's permitted entries, app/views/core/
        navigation.py) may be kept under it: a role's permissions edited change the pairs
        read by the next request, and so its signature."""
        if getattr(g, "_api_key_user", False) and hasattr(g, "user"):
            user = self._get_safe_user(g.user)
            if user and user.is_active:
                return self._user_signature(user)
        if current_user.is_authenticated:
            user = self._get_safe_user(g.user)
            return self._user_signature(user) if user and user.is_active else ("none",)
        if current_user_jwt and current_user_jwt.is_active:
            return self._user_signature(current_user_jwt)
        return ("public", self._public_pairs())

    def _user_signature(self, user):
        roles = self.get_user_roles(user)
        builtin = tuple(sorted({r.name for r in roles if r.name in self.builtin_roles}))
        db_ids = [r.id for r in roles if r.name not in self.builtin_roles]
        return ("roles", builtin, self._role_pairs(db_ids) if db_ids else frozenset())

    # --- sessions that end (issue 22; app/workflows/accounts/sessions.py) ---------------------
    def get_user_by_id(self, pk):
        """The user with its account row in the same query: every signed-in request reads
        the account (session generation, first-login gate)."""
        from sqlalchemy.orm import joinedload

        return self.session.get(self.user_model, pk,
                                options=[joinedload(self.user_model.account)])

    def load_user(self, pk):
        """The session cookie's user, while the session's generation is the account's (a
        sign-out, a password change, a reset, a revocation or a role change bumps it)."""
        from flask import session

        from app.workflows.accounts.sessions import SESSION_KEY, generation

        user = super().load_user(pk)
        if user is not None and session.get(SESSION_KEY, 0) != generation(user):
            return None
        return user

    def load_user_jwt(self, _jwt_header, jwt_data):
        """A token's user, while the token's generation (claim `sgen`) is the account's."""
        from app.workflows.accounts.sessions import CLAIM, generation

        user = self.get_user_by_id(int(jwt_data["sub"]))
        if user is None or not user.is_active or jwt_data.get(CLAIM, 0) != generation(user):
            return None
        g.user = user
        return user

    def create_jwt_manager(self, app):
        """FAB's, and every token (access and refresh) carries its account's generation."""
        from app.workflows.accounts.sessions import CLAIM, generation

        manager = super().create_jwt_manager(app)

        @manager.additional_claims_loader
        def session_generation(identity):
            try:
                return {CLAIM: generation(self.get_user_by_id(int(identity)))}
            except (TypeError, ValueError):
                return {}

        return manager

    def create_login_manager(self, app):
        """FAB's, and a new session records the account's generation when it signs in."""
        from flask import session
        from flask_login import user_logged_in

        from app.workflows.accounts.sessions import SESSION_KEY, generation

        def remember_generation(_sender, user, **_extra):
            session[SESSION_KEY] = generation(user)

        real_app = getattr(app, "_get_current_object", lambda: app)()  # FAB passes a proxy
        user_logged_in.connect(remember_generation, real_app, weak=False)
        return super().create_login_manager(app)

    def reset_password(self, userid, password):
        """用户列表 → 重置密码 (FAB's page): the account's other sessions and tokens end."""
        from app.workflows.accounts.sessions import end_sessions

        user = self.get_user_by_id(userid)
        if user is not None:
            end_sessions(user)
        super().reset_password(userid, password)

    def auth_user_db(self, username, password):
        """FAB's check, plus accounts created in bulk that store no hash yet: while
        ab_user.password is NULL, their derived initial password signs them in
        (and they must change it at once). A stopped account whose right password was
        typed leaves the reason in `g.login_refusal` (e.g. 已撤销, whom to ask).

        The typed 用户名 is resolved here, once, by `accounts.resolve_login`: a CPA's
        证书编号 or a 非执业会员's 会员证书编号 names its account as well as its login name
        (seeds 001/002: 「非执业会员直接使用其“会员证书编号”作为用户名进行登录」)."""
        from flask import g, has_request_context, request

        from app.workflows.accounts import refusal_of_inactive, resolve_login, verify_password

        user = resolve_login(username) if username else None
        if user is not None:
            username = user.username  # FAB's own check below looks the login name up
        if user is not None and not user.is_active:
            g.login_refusal = refusal_of_inactive(user, password)
        if user is not None and self._api_only(user) and has_request_context() \
                and not request.path.startswith("/api/"):
            # an accounting institute's LMS account: a token for the API, never a web session
            if user.is_active and verify_password(user, password):
                g.login_refusal = "会计学院接口账号只能通过接口（POST /api/v1/security/login）使用，不能登录网页"
            return None
        if user is not None and user.password is None:
            if user.is_active and verify_password(user, password):
                self.update_user_auth_stat(user, True)
                return self._signed_in(user)
            self.update_user_auth_stat(user, False)
            return None
        return self._signed_in(super().auth_user_db(username, password))

    @staticmethod
    def _signed_in(user):
        """A right password from this address: the login limit lets it through for this
        account even while strangers are locked out (app/views/core/hardening.py)."""
        from flask import has_request_context
        from flask_limiter.util import get_remote_address

        from app.clock import now
        from app.workflows.accounts.sessions import remember_address

        if user is not None and has_request_context():
            remember_address(user, now(), get_remote_address())
        return user

    @staticmethod
    def _api_only(user) -> bool:
        from app.roles import INSTITUTE

        return any(role.name == INSTITUTE for role in (user.roles or []))

    def create_db(self) -> None:
        """Called by FAB at every start: nothing to do (see `seed_roles`)."""

    def seed_roles(self) -> None:
        engine = self.session.get_bind(mapper=None, clause=None)
        if "ab_role" not in inspect(engine).get_table_names():
            log.info("database not migrated yet: run `flask --app run.py db upgrade`")
            return
        # skip SQLASecurityManager.create_db (create_all); keep the role seeding
        super(SQLASecurityManager, self).create_db()
