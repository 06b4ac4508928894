"""bouclier: CI/CD for AI models.

The library is the product; the ``bouclier`` command is a thin shell over it.
"""

__version__ = "0.1.0"
