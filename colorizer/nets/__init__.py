"""The torch networks: the design's U-Net (unet), the U-Net on a pretrained EfficientNet-Lite encoder
(lite_unet, efficientnet), and the factory that builds either from a run's settings (factory).

Training, evaluation with --device cpu/cuda and the torch backend import these; colorizing with ONNX
Runtime never does (colorizer.onnx_net and colorizer.onnx_unet build the same networks without torch).
"""
