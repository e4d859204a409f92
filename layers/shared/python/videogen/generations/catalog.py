"""The supported fal.ai text-to-video models: their parameters, safety pins and costs.

Each model has its own parameter model (unknown parameters are refused) and a cost
function. Prices change: they live only in `PRICES_USD`, read by the estimates here.

Endpoints and input fields follow fal's own client types: fal-js
`libs/client/src/types/endpoints.ts` at commit 381105e (2026-08-02, "update endpoints
types"), https://github.com/fal-ai/fal-js/blob/381105e138b85502b528fb8f6c16d909e30e462a/libs/client/src/types/endpoints.ts
That update dropped `fal-ai/veo3` and keeps `fal-ai/veo3.1*` (see `RETIRED`).

A school runs every model at the strictest safety settings fal offers for it. Those
settings are `safety_pins`: merged into fal's input after the user's parameters, and a
request that names one is refused (422 naming the field) rather than silently overridden.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from videogen.errors import InvalidInput

LTX = "fal-ai/ltx-video"
KLING = "fal-ai/kling-video/v2.1/master/text-to-video"
VEO31 = "fal-ai/veo3.1"
VEO31_FAST = "fal-ai/veo3.1/fast"
WAN = "fal-ai/wan-t2v"

# Public list prices (USD), read 2026-11-25 from each model's fal page. The only place
# prices are written.
PRICES_USD: dict[str, dict[str, Decimal]] = {
    # Not on a fal page we could read this time; the figure checked 2026-11 is kept.
    LTX: {"per_video": Decimal("0.02")},
    # https://fal.ai/models/fal-ai/kling-video/v2.1/master/text-to-video/llms.txt
    # "For 5s video your request will cost $1.40. For every additional second ... $0.28."
    KLING: {"first_5_seconds": Decimal("1.40"), "per_extra_second": Decimal("0.28")},
    # https://fal.ai/models/fal-ai/veo3.1/llms.txt: $0.20/s without audio, $0.40/s with,
    # at 720p or 1080p; at 4k $0.40/s without audio, $0.60/s with.
    VEO31: {
        "per_second": Decimal("0.20"),
        "per_second_with_audio": Decimal("0.40"),
        "per_second_4k": Decimal("0.40"),
        "per_second_4k_with_audio": Decimal("0.60"),
    },
    # The Veo 3.1 Fast tier as fal prices it, e.g.
    # https://fal.ai/models/fal-ai/veo3.1/fast/first-last-frame-to-video/llms.txt:
    # $0.10/s without audio, $0.15/s with, at 720p or 1080p; at 4k $0.30/s and $0.35/s.
    VEO31_FAST: {
        "per_second": Decimal("0.10"),
        "per_second_with_audio": Decimal("0.15"),
        "per_second_4k": Decimal("0.30"),
        "per_second_4k_with_audio": Decimal("0.35"),
    },
    # Per video by resolution (480p and 720p as on fal's Wan-2.1 pages, e.g.
    # https://fal.ai/models/fal-ai/wan-i2v/llms.txt: "$0.2 at 480p and 0.4$ at 720p ...
    # More than the default frames will cost 1.25x more"); 580p as checked 2026-11.
    WAN: {
        "480p": Decimal("0.20"),
        "580p": Decimal("0.30"),
        "720p": Decimal("0.40"),
        "more_than_default_frames_factor": Decimal("1.25"),
    },
}

# Endpoints fal no longer lists, and what replaced them. Old jobs keep their model string
# (lists and KPIs read it as it is); submitting or retrying one is a 422 `model_retired`.
RETIRED: dict[str, str] = {"fal-ai/veo3": VEO31}

NegativePrompt = Field(None, max_length=500)
Seed = Field(None, ge=0, le=2**31 - 1)


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LtxVideoParams(_Params):
    """fal-js `LtxVideoInput`: no safety setting exists for this model."""

    negative_prompt: str | None = NegativePrompt
    guidance_scale: float = Field(3.0, ge=1.0, le=10.0)
    num_inference_steps: int = Field(30, ge=1, le=50)
    seed: int | None = Seed


class KlingParams(_Params):
    """fal-js `KlingVideoV15ProTextToVideoInput` (the v2.1 master input): no safety setting."""

    duration: Literal["5", "10"] = "5"
    aspect_ratio: Literal["16:9", "9:16", "1:1"] = "16:9"
    negative_prompt: str | None = NegativePrompt
    cfg_scale: float = Field(0.5, ge=0.0, le=1.0)


class Veo31Params(_Params):
    """fal-js `Veo31Input` (`Veo31FastInput` is the same type), without its safety fields.

    fal generates audio unless told otherwise; here it is off unless asked for, since it
    doubles the price.
    """

    duration: Literal["4s", "6s", "8s"] = "8s"
    aspect_ratio: Literal["16:9", "9:16"] = "16:9"
    resolution: Literal["720p", "1080p", "4k"] = "720p"
    generate_audio: bool = False
    negative_prompt: str | None = NegativePrompt
    seed: int | None = Seed


class WanParams(_Params):
    """fal-js `WanT2vInput`, without its safety checker and prompt-expansion switches."""

    num_frames: int = Field(81, ge=81, le=100)
    frames_per_second: int = Field(16, ge=5, le=24)
    resolution: Literal["480p", "580p", "720p"] = "480p"
    aspect_ratio: Literal["16:9", "9:16"] = "16:9"
    negative_prompt: str | None = NegativePrompt
    seed: int | None = Seed


def _ltx_cost(_: Any) -> Decimal:
    return PRICES_USD[LTX]["per_video"]


def _kling_cost(params: KlingParams) -> Decimal:
    price = PRICES_USD[KLING]
    return price["first_5_seconds"] + price["per_extra_second"] * (int(params.duration) - 5)


def _veo31_cost(key: str) -> Callable[[Veo31Params], Decimal]:
    def cost(params: Veo31Params) -> Decimal:
        price = PRICES_USD[key]
        name = "per_second_4k" if params.resolution == "4k" else "per_second"
        if params.generate_audio:
            name += "_with_audio"
        return price[name] * int(params.duration.rstrip("s"))

    return cost


def _wan_cost(params: WanParams) -> Decimal:
    price = PRICES_USD[WAN]
    default_frames = WanParams.model_fields["num_frames"].default
    factor = price["more_than_default_frames_factor"] if params.num_frames > default_frames else 1
    return price[params.resolution] * factor


@dataclass(frozen=True)
class VideoModel:
    key: str
    title: str
    description: str
    params: type[_Params]
    cost: Callable[[Any], Decimal]
    safety_pins: dict[str, Any] = field(default_factory=dict)

    def validate(self, params: dict[str, Any]) -> _Params:
        """The user's parameters, checked; a pinned safety setting is refused by name."""
        pinned = [name for name in params if name in self.safety_pins]
        if pinned:
            raise ValidationError.from_exception_data(
                self.params.__name__,
                [
                    InitErrorDetails(
                        type=PydanticCustomError(
                            "pinned_by_school",
                            "Fixed by the school at {value} for safety; it cannot be set.",
                            {"value": self.safety_pins[name]},
                        ),
                        loc=(name,),
                        input=params[name],
                    )
                    for name in pinned
                ],
            )
        return self.params.model_validate(params)

    def arguments(self, prompt: str, params: _Params) -> dict[str, Any]:
        """The JSON fal receives: prompt, the user's parameters, then the safety pins."""
        return {
            "prompt": prompt,
            **params.model_dump(exclude_none=True),
            **self.safety_pins,
        }


# Veo: `safety_tolerance` "1" is "the most strict (blocks most content)" of "1".."6"
# (fal's default is "4"); `auto_fix` false, so a prompt that fails Google's content policy
# is refused instead of being rewritten by fal until it passes.
_VEO_PINS = {"safety_tolerance": "1", "auto_fix": False}

MODELS: dict[str, VideoModel] = {
    model.key: model
    for model in (
        VideoModel(LTX, "LTX Video", "Fast and cheap; good for drafts.", LtxVideoParams, _ltx_cost),
        VideoModel(
            KLING,
            "Kling 2.1 Master",
            "High-quality motion, 5 or 10 seconds.",
            KlingParams,
            _kling_cost,
        ),
        VideoModel(
            VEO31,
            "Veo 3.1",
            "Google's model, optional generated audio; strictest safety setting.",
            Veo31Params,
            _veo31_cost(VEO31),
            dict(_VEO_PINS),
        ),
        VideoModel(
            VEO31_FAST,
            "Veo 3.1 Fast",
            "Veo 3.1 at half the price or less; strictest safety setting.",
            Veo31Params,
            _veo31_cost(VEO31_FAST),
            dict(_VEO_PINS),
        ),
        VideoModel(
            WAN,
            "Wan 2.1",
            "Open model; the safety checker is always on.",
            WanParams,
            _wan_cost,
            # The checker on; no prompt expansion, so the model sees the prompt we checked.
            {"enable_safety_checker": True, "enable_prompt_expansion": False},
        ),
    )
}


def model_for(key: str) -> VideoModel:
    """The catalogue entry for `key`; a retired or unknown key is a 422 naming `model`."""
    model = MODELS.get(key)
    if model is not None:
        return model
    successor = RETIRED.get(key)
    if successor is not None:
        error = InvalidInput(
            [("model", f"fal retired {key}; choose {successor} instead.")], code="model_retired"
        )
        error.message = f"The model {key} was retired; its successor is {successor}."
        error.details = {**(error.details or {}), "successor": successor}
        raise error
    raise InvalidInput(
        [("model", f"Unknown model; choose one of: {', '.join(MODELS)}.")], code="unknown_model"
    )
