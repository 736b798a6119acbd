"""Plug ``models`` into the core's protocols: the one place where the two meet.

The core defines ``Scorer``/``Featurizer``/``Head`` and never imports ``models``; this module
(inside ``labeler.workflows``, the one composition root) imports ``models`` lazily and adapts
it. Trained heads are stored inside the project (tens of KB) and registered with their
version, so every model label names the exact head and encoder that made it, and a project
file copied to another machine scores exactly as it did. Projects trained by older versions
name a head file in the user's data folder instead; it is still read from there, and copied
into the project the first time that project is scored (opened read-write), so from then on
the file alone suffices.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from threadpoolctl import threadpool_limits

from labeler.routing import HeadTrainer, logistic_head
from labeler.scoring import Head, HeadScorer, ItemScore, Scorer
from labeler.store.reward_models import (
    TRAINED_KIND,
    head_data,
    keep_head,
    latest_model,
    register_head_model,
)
from labeler.types import Item, prompt_to_json

if TYPE_CHECKING:
    import sqlite_utils

DEFAULT_MODEL_NAME = "prefmark-default"
N_EXTRA = 4  # length features appended after the embedding (models.features.LENGTH_FEATURES)


def runtime_options(threads: int | None = None, *, interactive: bool = False) -> Any:
    """``threads`` onnxruntime threads; by default every core, or all but one when
    ``interactive`` (the app, whose window must stay responsive meanwhile)."""
    from models.protocol import RuntimeOptions, default_intra_op_threads

    options = RuntimeOptions()
    options.intra_op_threads = threads or default_intra_op_threads(keep_one_free=interactive)
    return options


def runtime_summary() -> str:
    """Which onnxruntime runs the models and on which provider, for the version and About."""
    from models.runtime import describe_runtime

    return str(describe_runtime(runtime_options()))


def encoder_note(int8: bool = True) -> str | None:
    """What to tell a person before the default encoder's one-time graph build, else None."""
    from models.encoder_build import is_built
    from models.paths import model_cache_dir

    if is_built(variant="int8" if int8 else "fp32"):
        return None
    return (
        "preparing the default encoder for this machine (once; a few seconds, cached in "
        f"{model_cache_dir()})"
    )


def prepare_default_model(int8: bool = True) -> tuple[str, bool]:
    """Build the default encoder's graph for this machine now, not at the first model job:
    (where it is, whether it was built now). ``prefmark prepare`` runs it at installation."""
    from models.encoder_build import ensure_encoder, is_built

    variant = "int8" if int8 else "fp32"
    built_before = is_built(variant=variant)
    files = ensure_encoder(variant=variant, options=runtime_options())
    return str(files.onnx_path), not built_before


class DefaultFeaturizer:
    """MiniLM pair embeddings plus length features.

    The encoder session is opened at the first ``features`` call: features already cached in
    the project need none, and a job's progress is shown before the encoder loads.
    """

    def __init__(self, options: Any = None, *, int8: bool = True) -> None:
        from models.encoder_build import encoder_version_of

        self.options, self.int8 = options, int8
        self._version = encoder_version_of(variant="int8" if int8 else "fp32")
        self._encoder: Any = None

    @property
    def version(self) -> str:
        return str(self._version)

    @property
    def encoder(self) -> Any:
        if self._encoder is None:
            from models.default_model import load_default_encoder

            self._encoder = load_default_encoder(self.options, int8=self.int8)
        return self._encoder

    def features(
        self, prompts: Sequence[str], responses: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        from models.features import pair_features

        embeddings, lengths = pair_features(self.encoder, prompts, responses)
        return embeddings, lengths


class OnnxHead:
    """A trained preference head run as an onnxruntime session."""

    def __init__(self, head: Any, options: Any = None) -> None:
        from models.head_onnx import head_to_onnx
        from models.runtime import make_session

        self.head = head
        self._session = make_session(head_to_onnx(head).SerializeToString(), options)

    @property
    def version(self) -> str:
        return str(self.head.version)

    def rewards(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        reward, spread, members = self._session.run(None, {"features": features})
        return reward, spread, members


class DefaultTrainer:
    """A ``HeadTrainer``: winner/loser feature rows -> a bootstrap ensemble of BT heads, its
    setting (and whether the embeddings beat length alone) chosen by 5-fold cross-validation
    over the items; ``near`` is the strength chosen last time on the project, so only it and
    its neighbours are tried."""

    def __init__(
        self, n_heads: int = 8, seed: int = 0, options: Any = None, near: float | None = None
    ) -> None:
        self.n_heads, self.seed, self.options, self.near = n_heads, seed, options, near

    def steps(self, n_items: int) -> int:
        from models.head import fit_steps

        # the columns only matter when there are none beside the length ones: never here
        return int(fit_steps(n_items, N_EXTRA + 1, N_EXTRA, n_heads=self.n_heads, near=self.near))

    def __call__(
        self, winners: np.ndarray, losers: np.ndarray, groups: np.ndarray
    ) -> Generator[tuple[int, int], None, Head]:
        from dataclasses import replace

        from models.features import FEATURES_VERSION
        from models.head import fit_head_steps

        dim = winners.shape[1] - N_EXTRA
        # Hundreds of small solves: BLAS threads only add hand-offs (15x slower on a busy
        # machine), so the fit runs numpy's BLAS on one thread.
        with threadpool_limits(limits=1, user_api="blas"):
            head = yield from fit_head_steps(
                winners[:, :dim], losers[:, :dim], winners[:, dim:], losers[:, dim:],
                n_heads=self.n_heads, seed=self.seed, groups=groups, near=self.near,
            )  # fmt: skip
        # Name the feature layout, so a head is never applied to features it was not fit on.
        head = replace(head, meta={**head.meta, "features": FEATURES_VERSION})
        return OnnxHead(head, self.options)


def default_trainer(
    n_heads: int = 8, seed: int = 0, options: Any = None, near: float | None = None
) -> DefaultTrainer:
    """The default model's head trainer (see ``DefaultTrainer``)."""
    return DefaultTrainer(n_heads, seed, options, near)


def _head_version(record: dict[str, Any]) -> str:
    """The head part of a registered trained model (older records name it in the version)."""
    return str(record["info"].get("head") or record["version"].rsplit("+", 1)[-1])


def previous_strength(db: sqlite_utils.Database) -> float | None:
    """The embedding strength the project's latest trained head chose, if any."""
    found = trained_default_head(db)
    l2 = None if found is None else found[1].meta.get("l2")
    return float(l2) if isinstance(l2, int | float) else None


def head_meta(head: Head) -> dict[str, Any]:
    """What fitting recorded with a default head (its cross-validation included)."""
    return dict(head.head.meta) if isinstance(head, OnnxHead) else {}


def save_head(db: sqlite_utils.Database, featurizer: DefaultFeaturizer, head: Head) -> str:
    """Store a trained head inside the project and register the full model (encoder + head)
    in the same transaction."""
    if not isinstance(head, OnnxHead):
        raise TypeError("only heads made by default_trainer can be saved")
    version = f"{featurizer.version}+{head.version}"
    register_head_model(
        db, version, head_version=head.version, data=head.head.to_bytes(),
        kind=TRAINED_KIND, name=DEFAULT_MODEL_NAME,
        info={"encoder": featurizer.version, "head": head.version, "n_heads": head.head.n_heads},
    )  # fmt: skip
    return version


def trained_default_head(db: sqlite_utils.Database) -> tuple[dict[str, Any], Any] | None:
    """The project's latest trained default head and its registry record, or None if it has
    never been trained or was trained on another feature layout (so must be retrained).
    Reads only: a head found in an older version's data folder is kept by the caller."""
    from models.features import FEATURES_VERSION
    from models.head import PreferenceHead

    record = latest_model(db, kind=TRAINED_KIND)
    if record is None:
        return None
    head_version = _head_version(record)
    data = head_data(db, head_version)
    if data is None:
        # Trained by an older version: the head is a file in that machine's data folder.
        path = Path(record["path"]) if record["path"] else None
        if path is None or not path.is_file():
            return None
        data = path.read_bytes()
    head = PreferenceHead.from_bytes(data, f"head {head_version}")
    if head.meta.get("features") != FEATURES_VERSION:
        return None  # trained by an older prefmark on other features: retrain
    return record, head


def load_trained_default(
    db: sqlite_utils.Database, options: Any = None, *, int8: bool | None = None
) -> HeadScorer | None:
    """The project's latest trained default model as a Scorer, or None if it must be
    (re)trained first (see ``trained_default_head``).

    ``int8=None`` runs the encoder variant the head was trained on."""
    found = trained_default_head(db)
    if found is None:
        return None
    record, head = found
    head_version = _head_version(record)
    if head_data(db, head_version) is None and head.version == head_version:
        keep_head(db, head_version, head.to_bytes())  # from now on the project file suffices
    if int8 is None:
        int8 = "-fp32-" not in str(record["info"].get("encoder", ""))
    featurizer = DefaultFeaturizer(options, int8=int8)
    return HeadScorer(db, featurizer, OnnxHead(head, options), name=DEFAULT_MODEL_NAME)


class OnnxFolderScorer:
    """Any ONNX reward model folder (``model.onnx`` + ``tokenizer.json``) as a ``Scorer``."""

    def __init__(self, folder: Path, options: Any = None) -> None:
        from models.onnx_reward import OnnxRewardModel

        self.model = OnnxRewardModel.from_folder(folder, options)
        self._name = folder.name

    @property
    def version(self) -> str:
        return str(self.model.version)

    @property
    def name(self) -> str:
        return self._name

    def score_items(self, items: Sequence[Item]) -> list[ItemScore]:
        from models.protocol import ScoreRequest

        requests = [
            ScoreRequest(prompt_to_json(item.prompt), [r.text for r in item.responses])
            for item in items
        ]
        return [
            ItemScore(r.rewards, r.uncertainty, r.member_rewards)
            for r in self.model.score_batch(requests)
        ]


def scorer_for(
    db: sqlite_utils.Database, model: str, options: Any = None, *, int8: bool | None = None
) -> Scorer:
    """``default`` (the project's trained default model) or a path to an ONNX model folder."""
    if model == "default":
        scorer = load_trained_default(db, options, int8=int8)
        if scorer is None:
            raise LookupError(
                "the default model has not been trained on this project yet: label some "
                "items, then train it"
            )
        return scorer
    return OnnxFolderScorer(Path(model), options)


def default_head_trainer(l2: float = 0.05) -> HeadTrainer:
    """The default model's Bradley-Terry head (one member) as routing's ``HeadTrainer``.

    ``x`` rows are f(B) - f(A); a label 1 (B preferred) makes B the chosen response. Falls back
    to the core's numpy logistic head when ``models`` is not installed.
    """
    try:
        from models.head import fit_head
    except ImportError:
        return logistic_head()

    def train(x: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        sign = np.where(y >= 0.5, 1.0, -1.0)[:, None]
        half = sign * x / 2
        empty = np.zeros((len(x), 0))
        with threadpool_limits(limits=1, user_api="blas"):
            head = fit_head(half, -half, empty, empty, n_heads=1, l2=l2)

        def predict(xt: np.ndarray) -> np.ndarray:
            diff = head.member_rewards(xt / 2) - head.member_rewards(-xt / 2)
            out: np.ndarray = 1.0 / (1.0 + np.exp(-diff[:, 0].astype(np.float64)))
            return out

        return predict

    return train
