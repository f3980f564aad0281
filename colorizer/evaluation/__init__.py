"""How good the models are: the figures of colorized photos against their colour originals (metrics),
scoring models on a folder of photos (`colorizer evaluate`: evaluate), and plots of a model's classes and
of training runs (`colorizer figures`: figures). Training's validation uses metrics too.
"""
