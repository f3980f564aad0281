"""Entry script of the packaged app (PyInstaller runs it as __main__): the same as the `landscape-colorizer`
console script, app.main:main. `landscape-colorizer --self-test` is dispatched by app.main itself."""
import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a no-op unless a worker process is started from the frozen app
    from app.main import main

    sys.exit(main())
