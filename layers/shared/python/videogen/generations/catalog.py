"""The supported fal.ai text-to-video models: their parameters, and what each run costs.

Each model has its own parameter model (unknown parameters are refused) and a cost
function. Prices change: they live only in `PRICES_USD`, read by the estimates here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# Public list prices (USD), checked 2026-11. The only place prices are written.
PRICES_USD: dict[str, dict[str, Decimal]] = {
    "fal-ai/ltx-video": {"per_video": Decimal("0.02")},
    "fal-ai/kling-video/v2.1/master/text-to-video": {
        "first_5_seconds": Decimal("1.40"),
        "per_extra_second": Decimal("0.28"),
    },
    "fal-ai/veo3": {"per_second": Decimal("0.20"), "per_second_with_audio": Decimal("0.40")},
    "fal-ai/wan-t2v": {
        "480p": Decimal("0.20"),
        "580p": Decimal("0.30"),
        "720p": Decimal("0.40"),
    },
}

NegativePrompt = Field(None, max_length=500)
Seed = Field(None, ge=0, le=2**31 - 1)


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LtxVideoParams(_Params):
    negative_prompt: str | None = NegativePrompt
    guidance_scale: float = Field(3.0, ge=1.0, le=10.0)
    num_inference_steps: int = Field(30, ge=1, le=50)
    seed: int | None = Seed


class KlingParams(_Params):
    duration: Literal["5", "10"] = "5"
    aspect_ratio: Literal["16:9", "9:16", "1:1"] = "16:9"
    negative_prompt: str | None = NegativePrompt
    cfg_scale: float = Field(0.5, ge=0.0, le=1.0)


class Veo3Params(_Params):
    duration: Literal["4s", "6s", "8s"] = "8s"
    aspect_ratio: Literal["16:9", "9:16"] = "16:9"
    resolution: Literal["720p", "1080p"] = "720p"
    generate_audio: bool = False
    negative_prompt: str | None = NegativePrompt
    seed: int | None = Seed


class WanParams(_Params):
    num_frames: int = Field(81, ge=81, le=100)
    frames_per_second: int = Field(16, ge=5, le=24)
    resolution: Literal["480p", "580p", "720p"] = "480p"
    aspect_ratio: Literal["16:9", "9:16"] = "16:9"
    negative_prompt: str | None = NegativePrompt
    seed: int | None = Seed


def _ltx_cost(_: Any) -> Decimal:
    return PRICES_USD["fal-ai/ltx-video"]["per_video"]


def _kling_cost(params: KlingParams) -> Decimal:
    price = PRICES_USD["fal-ai/kling-video/v2.1/master/text-to-video"]
    return price["first_5_seconds"] + price["per_extra_second"] * (int(params.duration) - 5)


def _veo3_cost(params: Veo3Params) -> Decimal:
    price = PRICES_USD["fal-ai/veo3"]
    per_second = price["per_second_with_audio" if params.generate_audio else "per_second"]
    return per_second * int(params.duration.rstrip("s"))


def _wan_cost(params: WanParams) -> Decimal:
    return PRICES_USD["fal-ai/wan-t2v"][params.resolution]


@dataclass(frozen=True)
class VideoModel:
    key: str
    title: str
    description: str
    params: type[_Params]
    cost: Callable[[Any], Decimal]
    fixed_arguments: dict[str, Any]

    def validate(self, params: dict[str, Any]) -> _Params:
        return self.params.model_validate(params)

    def arguments(self, prompt: str, params: _Params) -> dict[str, Any]:
        """The JSON fal receives: prompt, the user's parameters, and school-safety fixes."""
        return {
            "prompt": prompt,
            **params.model_dump(exclude_none=True),
            **self.fixed_arguments,
        }


MODELS: dict[str, VideoModel] = {
    model.key: model
    for model in (
        VideoModel(
            "fal-ai/ltx-video",
            "LTX Video",
            "Fast and cheap; good for drafts.",
            LtxVideoParams,
            _ltx_cost,
            {},
        ),
        VideoModel(
            "fal-ai/kling-video/v2.1/master/text-to-video",
            "Kling 2.1 Master",
            "High-quality motion, 5 or 10 seconds.",
            KlingParams,
            _kling_cost,
            {},
        ),
        VideoModel(
            "fal-ai/veo3",
            "Veo 3",
            "Google's model, optional generated audio.",
            Veo3Params,
            _veo3_cost,
            {},
        ),
        VideoModel(
            "fal-ai/wan-t2v",
            "Wan 2.1",
            "Open model; the safety checker is always on.",
            WanParams,
            _wan_cost,
            {"enable_safety_checker": True},
        ),
    )
}
