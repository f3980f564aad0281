"""From photos to a shipped model.

- train: the Trainer, with its settings in config and its parts in start (what a run starts from),
  processes and precision (where and how it runs), validation and run_folder (what it writes);
- data, photo_cache, loss: the crops it learns from and what it learns;
- export, soup, share: what turns runs into models, writing their cards through card, whose records
  come from provenance.

Importing the package imports nothing: train and export need torch, while config, provenance, card,
soup and share are torch-free.
"""
