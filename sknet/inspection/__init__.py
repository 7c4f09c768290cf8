"""Which input features drove a fitted network's predictions.

:func:`attributions` computes exact gradient attributions (saliency,
gradient x input, integrated gradients) with the network's own backward
pass, through a Pipeline's affine preprocessing back to the user's features.
:class:`AttributionDisplay` plots them. This module reads fitted attributes
only (``coefs_``, ``intercepts_``, ``activation``, ``out_activation_``,
``classes_``).
"""

from ._attributions import attributions
from ._display import AttributionDisplay

__all__ = ["AttributionDisplay", "attributions"]
