# The relance worker image (also runs one-shot commands such as `relance migrate`).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Only what `pip install .` packages: the work tree also holds a venv and local state.
COPY pyproject.toml *.py ./
COPY relance relance
COPY workflows workflows
COPY activities activities
COPY models models
COPY starter starter

RUN pip install . && useradd --system --no-create-home relance

USER relance
CMD ["relance", "worker"]
