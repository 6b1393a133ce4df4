"""The baseline: a bare Flask hello world, served exactly like Tend in the benchmark."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, world!"
