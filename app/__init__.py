"""SparkTrainer's application core: services, database, jobs and settings.

Nothing here imports QtWidgets (views/ does) or torch (the engine process does).
"""

__version__ = "0.1.0"
APP_NAME = "SparkTrainer"
APP_ID = "sparktrainer"
