"""Where a model's training came from, for its card: the checkout's commit, a file's git object id, an
earlier card from git's history, and the data sets behind the photos. Torch-free (soup and share use it)."""
import hashlib
import json
import subprocess
from pathlib import Path


def git_blob_id(path) -> str:
    """A file's git object id (what `git hash-object` prints), by hand so that no git is needed:
    `git log --find-object=ID` finds the commit that held these exact bytes, e.g. an earlier model that
    a run started from and that has since been replaced at the same path."""
    data = Path(path).read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def card_in_git_history(path, blob: str):
    """(card, commit) of the commit that added these exact weights at path, from git (the card beside
    them then), or (None, None) where there is no git, no repository or no such commit."""
    path = Path(path).resolve()

    def git(*args, cwd=path.parent):
        return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, timeout=30)
    try:
        top = git("rev-parse", "--show-toplevel")
        if top.returncode:
            return None, None
        top = Path(top.stdout.strip()).resolve()
        rel = path.relative_to(top).as_posix()
        found = git("log", "--all", "--format=%H", f"--find-object={blob}", "--", rel, cwd=top).stdout.split()
        for commit in found:
            if git("rev-parse", f"{commit}:{rel}", cwd=top).stdout.strip() == blob:  # added here, not removed
                card = git("show", f"{commit}:{Path(rel).with_suffix('.json').as_posix()}", cwd=top)
                if card.returncode == 0:
                    return json.loads(card.stdout), commit
    except (OSError, ValueError, subprocess.SubprocessError):
        pass
    return None, None


def git_commit() -> str:
    """The checkout's commit, "-dirty" if it has changes; "unknown" outside git. The exit code is what
    counts: in a repository without commits `git rev-parse HEAD` prints "HEAD" and fails."""
    try:
        package = Path(__file__).resolve().parents[1]  # colorizer/
        rev = subprocess.run(["git", "rev-parse", "--verify", "HEAD"], cwd=package, capture_output=True, text=True)
        if rev.returncode != 0 or not rev.stdout.strip():
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "."], cwd=package.parent,
                               capture_output=True, text=True).stdout.strip()
        return rev.stdout.strip() + ("-dirty" if dirty else "")
    except OSError:
        return "unknown"


# the research datasets of ../shared/photos/scenes: published for research, no licence stated for the
# photos; every card of a model trained on them must name them
RESEARCH_DATASETS = {
    "intel-image-classification": "Intel Image Classification scene set (Kaggle)",
    "road-image-datasets": "a public road-image dataset (web images and ImageNet)",
    "bsds500": "Berkeley Segmentation Dataset (BSDS500)",
    "sun-hays80-urban100": "Sun-Hays 80 and Urban100 image-restoration test sets",
    # ../shared/photos/broad (its README.md and MANIFEST.csv)
    "imagenet-sample": "ImageNet (ILSVRC 2012), one photo per class; ImageNet's terms: non-commercial research",
    "imagenet-1perclass": "ImageNet, five photos of 200 classes; ImageNet's terms: non-commercial research",
    "hymenoptera": "ants and bees from ImageNet (a PyTorch tutorial set)",
    "cats-dogs": "cats and dogs (Kaggle), no licence stated",
    "dogs-vs-cats": "Dogs vs Cats (Kaggle, Asirra), no licence stated",
    "10-monkey-species": "10 Monkey Species (Kaggle), no licence stated",
    "camvid": "CamVid street frames (Cambridge), research use",
    "kodak24": "Kodak's 24 PhotoCD test photos, free for research use",
    "people-web": "people from a person-detection set of web photos, no licence stated",
    "raccoon": "raccoons from a detection set of web photos (repository MIT)",
    "mmpose-aic": "pose-estimation test samples (AI Challenger)",
    "mmpose-coco": "pose-estimation test samples (COCO)",
    "mmpose-crowdpose": "pose-estimation test samples (CrowdPose)",
    "mmpose-mpii": "pose-estimation test samples (MPII)",
    "mmpose-ochuman": "pose-estimation test samples (OCHuman)",
}
# data sets of ../shared/photos/broad with a free licence, named on the card with it
LICENSED_DATASETS = {
    "tf-flower-photos": "TensorFlow flower photos (Flickr, CC-BY 2.0)",
    "clothing-small": "clothes photographed at home, free for any purpose",
}


def training_sources(stages: list) -> dict:
    """Every source any stage trained on -> photos (the largest count among stages), and the research
    datasets among them in words."""
    photos = {}
    for st in stages:
        for per_source in st.get("sources", {}).values():
            for source, n in per_source.items():
                photos[source] = max(n, photos.get(source, 0))
    research = {s: RESEARCH_DATASETS[s] for s in photos if s in RESEARCH_DATASETS}
    licensed = {s: LICENSED_DATASETS[s] for s in photos if s in LICENSED_DATASETS}
    return {"photos_per_source": dict(sorted(photos.items(), key=lambda kv: -kv[1])),
            "research_use_only": research, **({"licensed_datasets": licensed} if licensed else {})}
