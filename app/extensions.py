"""Process-wide singletons; bound to an app in create_app()."""
from flask_appbuilder import Model
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

# FAB's Model base: our tables and FAB's ab_* tables share one MetaData, so
# Alembic sees them all (FAB_NOTES).
db = SQLAlchemy(model_class=Model)
migrate = Migrate()
csrf = CSRFProtect()
