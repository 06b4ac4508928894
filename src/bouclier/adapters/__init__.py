"""Model adapters: the :class:`Model` contract and the registry that builds models by name.

Built-in adapters (``python``, ``openai``, ``http``) are imported only when used.
"""

from bouclier.adapters.base import BatchModel, Completion, Model, ModelCallError, Request
from bouclier.adapters.registry import adapter_names, build_model, register_adapter

__all__ = [
    "BatchModel",
    "Completion",
    "Model",
    "ModelCallError",
    "Request",
    "adapter_names",
    "build_model",
    "register_adapter",
]
