"""The network a run trains, or a checkpoint holds, built from the run's settings."""
from .efficientnet import blocks_of, load_pretrained
from .lite_unet import LiteUNet, LiteUNetConfig
from .unet import UNet, UNetConfig


def build_model(cfg, n_classes: int, source: dict = None):
    """The design's U-Net, or the U-Net on a pretrained encoder (its ImageNet weights loaded here for a
    fresh start; a resumed or --init run, or an export, brings its own in `source`).

    cfg: a run's settings (colorizer.training.config.TrainConfig: encoder, width, activation,
    global_context, logit_stride, decoder, decoder_depth, hint_stem, scene_context). source: a checkpoint, or the state
    and architecture of a shipped model (colorizer.training.start.load_init)."""
    if cfg.encoder == "design":
        return UNet(UNetConfig(n_classes=n_classes, width=cfg.width, activation=cfg.activation,
                               global_context=cfg.global_context))
    if source and "architecture" in source:  # a hint stem may be added to a model without one
        arch = source["architecture"]
        return LiteUNet(LiteUNetConfig(**{**arch, "hint_stem": arch.get("hint_stem", False) or cfg.hint_stem,
                                          "scene_context": arch.get("scene_context", True) and cfg.scene_context}))
    if source:  # a checkpoint: the blocks are read off its weights, the decoder's shape off its run's config
        enc = {k[len("encoder."):]: v for k, v in source["model"].items() if k.startswith("encoder.")}
        ran = source.get("config", {})
        shape = {"decoder": list(ran["decoder"])} if ran.get("decoder") else {}
        return LiteUNet(LiteUNetConfig(n_classes=n_classes, encoder=cfg.encoder,
                                       blocks=[list(b) for b in blocks_of(enc)],
                                       logit_stride=cfg.logit_stride, decoder_depth=ran.get("decoder_depth", 1),
                                       hint_stem=ran.get("hint_stem", False) or cfg.hint_stem,
                                       scene_context=ran.get("scene_context", True), **shape))
    encoder = load_pretrained(cfg.encoder)
    shape = {"decoder": list(cfg.decoder)} if cfg.decoder else {}
    model = LiteUNet(LiteUNetConfig(n_classes=n_classes, encoder=cfg.encoder,
                                    blocks=[list(b) for b in encoder.blocks_spec],
                                    logit_stride=cfg.logit_stride, decoder_depth=cfg.decoder_depth,
                                    hint_stem=cfg.hint_stem, scene_context=cfg.scene_context, **shape))
    model.load_encoder(encoder)
    return model
