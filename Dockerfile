# One image for the three services; docker-compose.yml picks the service by command.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml constraints.txt ./
COPY shared ./shared
COPY services ./services
COPY devtools ./devtools
RUN pip install --no-cache-dir -c constraints.txt .
USER nobody
EXPOSE 8000
CMD ["uvicorn", "--factory", "services.bookings.app:create_app", "--host", "0.0.0.0", "--port", "8000", "--no-proxy-headers"]
